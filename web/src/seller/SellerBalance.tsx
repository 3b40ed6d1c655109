import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Page, Shop } from '../api/types';
import { formatDateTime, formatIdr, orderNumber } from '../lib/format';
import { ErrorNote, Loading } from '../components/Alert';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { EmailNotVerified, SuggestSecondFactor } from '../guards/Guards';
import { isProblem, withReauth } from '../guards/reauth';

interface Balance {
  availableIdr: number;
  pendingIdr: number;
  escrowIdr: number;
  payoutProcessingIdr: number;
  paidOutIdr: number;
  tier: string;
  settlementDays: number;
  feeBasisPoints: number;
  nextReleaseAt: string | null;
}

interface StatementLine {
  id: string;
  at: string;
  account: string;
  amountIdr: number;
  reason: string;
  orderId: string | null;
  payoutId: string | null;
  hold: { reason: string; until: string; released: boolean } | null;
}

interface BankAccount {
  id: string;
  bankCode: string;
  bankName: string;
  accountNumberMasked: string;
  holderName: string;
}

interface Payout {
  id: string;
  bankAccountId: string;
  amountIdr: number;
  status: 'requested' | 'processing' | 'paid' | 'failed';
  failureCode: string | null;
  createdAt: string;
}

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

function AddBankAccount({ shop, onAdded }: { shop: Shop; onAdded(): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const banks = useQuery({ queryKey: ['banks'], queryFn: () => api<{ items: { code: string; name: string }[] }>('/api/commerce/banks') });
  const [form, setForm] = useState({ bankCode: 'bca', accountNumber: '', holderName: '' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => {
    errors.clearField(k);
    setForm({ ...form, [k]: e.target.value });
  };
  const add = useMutation({
    mutationFn: () =>
      withReauth(() => api<BankAccount>(`/api/commerce/shops/${shop.id}/bank-accounts`, { body: { bankCode: form.bankCode, accountNumber: form.accountNumber.replace(/[\s.-]/g, ''), holderName: form.holderName.trim() } })),
    onSuccess: () => {
      errors.clear();
      setForm({ ...form, accountNumber: '', holderName: '' });
      onAdded();
    },
    onError: (error) => errors.show(error),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    if (errors.requireFilled({ accountNumber: form.accountNumber, holderName: form.holderName })) add.mutate();
  }
  return (
    <form className="card stack" onSubmit={submit} noValidate aria-labelledby="bank-form-title">
      <h2 id="bank-form-title">{t('balance.addAccount')}</h2>
      <p className="muted small">{t('balance.addAccountIntro')}</p>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <div className="field">
        <label htmlFor="bank-code">{t('balance.bank')}</label>
        <select id="bank-code" value={form.bankCode} onChange={set('bankCode')}>
          {(banks.data?.items ?? []).map((bank) => (
            <option key={bank.code} value={bank.code}>
              {bank.name}
            </option>
          ))}
        </select>
      </div>
      <Field label={t('balance.accountNumber')} name="accountNumber" inputMode="numeric" autoComplete="off" value={form.accountNumber} onChange={set('accountNumber')} errors={errors.fields.accountNumber} required />
      <Field label={t('balance.holderName')} hint={t('balance.holderNameHint')} name="holderName" autoComplete="name" value={form.holderName} onChange={set('holderName')} errors={errors.fields.holderName} required />
      <button type="submit" className="primary" disabled={add.isPending}>
        {add.isPending ? t('balance.validating') : t('balance.addAccountSubmit')}
      </button>
    </form>
  );
}

function Withdraw({ shop, balance, accounts, onDone }: { shop: Shop; balance: Balance; accounts: BankAccount[]; onDone(): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [amount, setAmount] = useState('');
  const [accountId, setAccountId] = useState('');
  // One key per attempt the seller means: a retry of the same click is the same withdrawal.
  const [key, setKey] = useState(newKey);
  const chosen = accountId || accounts[0]?.id || '';
  const withdraw = useMutation({
    mutationFn: () =>
      withReauth(() => api<Payout>(`/api/commerce/shops/${shop.id}/payouts`, { body: { amountIdr: amount.trim() === '' ? Number.NaN : Number(amount), bankAccountId: chosen }, headers: { 'idempotency-key': key } })),
    onSuccess: () => {
      errors.clear();
      setAmount('');
      setKey(newKey());
      onDone();
    },
    onError: (error) => {
      if (isProblem(error, 'email-not-verified')) {
        errors.clear();
        return;
      }
      if (error instanceof ApiError && error.problem.status === 409) {
        errors.clear();
        errors.set(t('balance.overAvailable', { amount: formatIdr(balance.availableIdr) }));
        onDone();
        return;
      }
      errors.show(error);
    },
  });
  if (accounts.length === 0) return <p className="muted card">{t('balance.needAccount')}</p>;
  return (
    <form
      className="card stack"
      noValidate
      aria-labelledby="withdraw-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (errors.requireFilled({ amountIdr: amount })) withdraw.mutate();
      }}
    >
      <h2 id="withdraw-title">{t('balance.withdraw')}</h2>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <div className="field">
        <label htmlFor="payout-account">{t('balance.toAccount')}</label>
        <select id="payout-account" value={chosen} onChange={(e) => setAccountId(e.target.value)}>
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.bankName} {a.accountNumberMasked} · {a.holderName}
            </option>
          ))}
        </select>
      </div>
      <Field
        label={t('balance.amount')}
        hint={t('balance.amountHint', { amount: formatIdr(balance.availableIdr) })}
        name="amountIdr"
        type="number"
        inputMode="numeric"
        min={10000}
        value={amount}
        onChange={(e: { target: { value: string } }) => {
          errors.clearField('amountIdr');
          setAmount(e.target.value);
        }}
        errors={errors.fields.amountIdr}
        required
      />
      <EmailNotVerified error={withdraw.error} reason={t('guard.withdrawNeedsEmail')} />
      <button type="submit" className="primary" disabled={withdraw.isPending}>
        {withdraw.isPending ? t('auth.working') : t('balance.withdrawSubmit')}
      </button>
      {withdraw.isSuccess && (
        <p className="ok" role="status">
          {t('balance.withdrawn', { amount: formatIdr(withdraw.data.amountIdr) })}
        </p>
      )}
    </form>
  );
}

export function SellerBalance({ shop }: { shop: Shop }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const balance = useQuery({ queryKey: ['balance', shop.id], queryFn: () => api<Balance>(`/api/commerce/shops/${shop.id}/balance`) });
  const accounts = useQuery({ queryKey: ['bank-accounts', shop.id], queryFn: () => api<{ items: BankAccount[] }>(`/api/commerce/shops/${shop.id}/bank-accounts`) });
  const payouts = useQuery({
    queryKey: ['payouts', shop.id],
    queryFn: () => api<{ items: Payout[] }>(`/api/commerce/shops/${shop.id}/payouts`),
    // A payout in flight settles within moments at the provider; look again until it has.
    refetchInterval: (query) => (query.state.data?.items.some((p) => p.status === 'requested' || p.status === 'processing') ? 1500 : false),
  });
  const statement = useInfiniteQuery({
    queryKey: ['statement', shop.id],
    initialPageParam: '',
    queryFn: ({ pageParam }) => api<Page<StatementLine>>(`/api/commerce/shops/${shop.id}/statement?limit=20${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const refresh = () => {
    for (const key of ['balance', 'bank-accounts', 'payouts', 'statement']) void client.invalidateQueries({ queryKey: [key, shop.id] });
  };
  const settled = payouts.data?.items.map((p) => `${p.id}:${p.status}`).join(',');
  const [seenSettled, setSeenSettled] = useState(settled);
  if (settled !== seenSettled) {
    setSeenSettled(settled);
    void client.invalidateQueries({ queryKey: ['balance', shop.id] });
    void client.invalidateQueries({ queryKey: ['statement', shop.id] });
  }

  if (balance.isLoading) return <Loading />;
  if (balance.isError || !balance.data) return <ErrorNote error={balance.error} />;
  const b = balance.data;
  const lines = statement.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="balance-title">
        <h2 id="balance-title">{t('balance.title')}</h2>
        <p>
          <span className="muted">{t('balance.available')}</span>
          <br />
          <strong className="price balance-available" data-testid="available">
            {formatIdr(b.availableIdr)}
          </strong>
        </p>
        <dl className="balance-grid">
          <div>
            <dt className="muted small">{t('balance.pending')}</dt>
            <dd data-testid="pending">{formatIdr(b.pendingIdr)}</dd>
          </div>
          <div>
            <dt className="muted small">{t('balance.escrow')}</dt>
            <dd data-testid="escrow">{formatIdr(b.escrowIdr)}</dd>
          </div>
          <div>
            <dt className="muted small">{t('balance.processing')}</dt>
            <dd>{formatIdr(b.payoutProcessingIdr)}</dd>
          </div>
          <div>
            <dt className="muted small">{t('balance.paidOut')}</dt>
            <dd data-testid="paid-out">{formatIdr(b.paidOutIdr)}</dd>
          </div>
        </dl>
        <p className="muted small">
          {t('balance.terms', { days: b.settlementDays, fee: (b.feeBasisPoints / 100).toLocaleString(i18n.language === 'en' ? 'en-GB' : 'id-ID') })}
          {b.nextReleaseAt && ` ${t('balance.nextRelease', { at: formatDateTime(b.nextReleaseAt, i18n.language) })}`}
        </p>
      </section>

      <SuggestSecondFactor />
      <Withdraw shop={shop} balance={b} accounts={accounts.data?.items ?? []} onDone={refresh} />

      {(payouts.data?.items.length ?? 0) > 0 && (
        <section className="card stack" aria-labelledby="payouts-title">
          <h2 id="payouts-title">{t('balance.payouts')}</h2>
          <ul className="plain stack">
            {payouts.data!.items.map((p) => (
              <li key={p.id} className="line" data-payout-id={p.id}>
                <span>
                  {formatIdr(p.amountIdr)} · <span className="muted small">{formatDateTime(p.createdAt, i18n.language)}</span>
                </span>
                <span className={`status payout-${p.status}`}>
                  {t(`balance.payoutStatus.${p.status}`)}
                  {p.failureCode && ` (${t(`balance.failure.${p.failureCode}`, { defaultValue: p.failureCode })})`}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section className="card stack" aria-labelledby="statement-title">
        <div className="line">
          <h2 id="statement-title">{t('balance.statement')}</h2>
          <a href={`/api/commerce/shops/${shop.id}/statement.csv`} download>
            {t('balance.csv')}
          </a>
        </div>
        {statement.isLoading && <Loading />}
        {!statement.isLoading && lines.length === 0 && <p className="muted">{t('balance.noLines')}</p>}
        <ul className="plain ledger-statement">
          {lines.map((line) => (
            <li key={line.id} className="statement-line" data-reason={line.reason}>
              <div>
                <strong>{t(`balance.reason.${line.reason}`)}</strong>
                <br />
                <span className="muted small">
                  {t(`balance.account.${line.account}`)} · {formatDateTime(line.at, i18n.language)}
                  {line.orderId && ` · ${t('orders.order', { id: orderNumber(line.orderId) })}`}
                </span>
                {line.hold && !line.hold.released && (
                  <>
                    <br />
                    <span className="small">{t('balance.heldUntil', { reason: t(`balance.hold.${line.hold.reason}`), at: formatDateTime(line.hold.until, i18n.language) })}</span>
                  </>
                )}
              </div>
              <span className={line.amountIdr < 0 ? 'amount out' : 'amount in'}>
                {line.amountIdr > 0 ? '+' : '−'}
                {formatIdr(Math.abs(line.amountIdr))}
              </span>
            </li>
          ))}
        </ul>
        {statement.hasNextPage && (
          <button type="button" onClick={() => void statement.fetchNextPage()} disabled={statement.isFetchingNextPage}>
            {t('balance.more')}
          </button>
        )}
      </section>

      <AddBankAccount shop={shop} onAdded={refresh} />
    </div>
  );
}
