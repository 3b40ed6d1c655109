import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type UseInfiniteQueryResult, type InfiniteData } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Item, Page, Reply } from '../api/types';
import { formatDateTime, formatIdr, orderNumber } from '../lib/format';
import { Loading } from './Alert';
import { Field } from './Field';
import { useFormErrors } from './useFormErrors';
import { EmailNotVerified } from '../guards/Guards';
import { isProblem, withReauth } from '../guards/reauth';

/*
 * Bank accounts, withdrawals and the statement, for whoever owns a balance: a shop
 * (`/api/commerce/shops/:id`) or a creator's affiliate account (`/api/commerce/affiliates/me`).
 * The server answers the same shapes under both.
 */

export type StatementLine = Item<Reply<'/api/commerce/shops/{shopId}/statement'>>;

export type BankAccount = Item<Reply<'/api/commerce/shops/{shopId}/bank-accounts'>>;

export type Payout = Item<Reply<'/api/commerce/shops/{shopId}/payouts'>>;

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

export function AddBankAccount({ base, onAdded }: { base: string; onAdded(): void }) {
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
      withReauth(() => api<BankAccount>(`${base}/bank-accounts`, { body: { bankCode: form.bankCode, accountNumber: form.accountNumber.replace(/[\s.-]/g, ''), holderName: form.holderName.trim() } })),
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

export function Withdraw({ base, availableIdr, accounts, onDone }: { base: string; availableIdr: number; accounts: BankAccount[]; onDone(): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [amount, setAmount] = useState('');
  const [accountId, setAccountId] = useState('');
  // One key per attempt the seller means: a retry of the same click is the same withdrawal.
  const [key, setKey] = useState(newKey);
  const chosen = accountId || accounts[0]?.id || '';
  const withdraw = useMutation({
    mutationFn: () =>
      withReauth(() => api<Payout>(`${base}/payouts`, { body: { amountIdr: amount.trim() === '' ? Number.NaN : Number(amount), bankAccountId: chosen }, headers: { 'idempotency-key': key } })),
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
        errors.set(t('balance.overAvailable', { amount: formatIdr(availableIdr) }));
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
        hint={t('balance.amountHint', { amount: formatIdr(availableIdr) })}
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


/** The owner's accounts, withdrawals (watched while one is in flight) and statement, and a refresh of all. */
export function usePayoutData(base: string) {
  const client = useQueryClient();
  const accounts = useQuery({ queryKey: [base, 'bank-accounts'], queryFn: () => api<{ items: BankAccount[] }>(`${base}/bank-accounts`) });
  const payouts = useQuery({
    queryKey: [base, 'payouts'],
    queryFn: () => api<{ items: Payout[] }>(`${base}/payouts`),
    // A payout in flight settles within moments at the provider; look again until it has.
    refetchInterval: (query) => (query.state.data?.items.some((p) => p.status === 'requested' || p.status === 'processing') ? 1500 : false),
  });
  const statement = useInfiniteQuery({
    queryKey: [base, 'statement'],
    initialPageParam: '',
    queryFn: ({ pageParam }) => api<Page<StatementLine>>(`${base}/statement?limit=20${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const refresh = () => void client.invalidateQueries({ queryKey: [base] });
  // When a payout's status changes, the balance and statement changed with it.
  const settled = payouts.data?.items.map((p) => `${p.id}:${p.status}`).join(',');
  const [seenSettled, setSeenSettled] = useState(settled);
  if (settled !== seenSettled) {
    setSeenSettled(settled);
    void client.invalidateQueries({ queryKey: [base, 'balance'] });
    void client.invalidateQueries({ queryKey: [base, 'statement'] });
  }
  return { accounts, payouts, statement, refresh };
}

export function PayoutList({ items }: { items: Payout[] }) {
  const { t, i18n } = useTranslation();
  if (items.length === 0) return null;
  return (
    <section className="card stack" aria-labelledby="payouts-title">
      <h2 id="payouts-title">{t('balance.payouts')}</h2>
      <ul className="plain stack">
        {items.map((p) => (
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
  );
}

export function Statement({
  base,
  statement,
  accountLabel,
  emptyText,
}: {
  base: string;
  statement: UseInfiniteQueryResult<InfiniteData<Page<StatementLine>>>;
  accountLabel(account: string): string;
  emptyText: string;
}) {
  const { t, i18n } = useTranslation();
  const lines = statement.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="card stack" aria-labelledby="statement-title">
      <div className="line">
        <h2 id="statement-title">{t('balance.statement')}</h2>
        <a href={`${base}/statement.csv`} download>
          {t('balance.csv')}
        </a>
      </div>
      {statement.isLoading && <Loading />}
      {!statement.isLoading && lines.length === 0 && <p className="muted">{emptyText}</p>}
      <ul className="plain ledger-statement">
        {lines.map((line) => (
          <li key={line.id} className="statement-line" data-reason={line.reason} data-account={line.account}>
            <div>
              <strong>{t(`balance.reason.${line.reason}`)}</strong>
              <br />
              <span className="muted small">
                {accountLabel(line.account)} · {formatDateTime(line.at, i18n.language)}
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
  );
}
