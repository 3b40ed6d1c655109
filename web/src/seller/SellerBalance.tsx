import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Reply, Shop } from '../api/types';
import { formatDateTime, formatIdr } from '../lib/format';
import { ErrorNote, Loading } from '../components/Alert';
import { AddBankAccount, PayoutList, Statement, usePayoutData, Withdraw } from '../components/Payouts';
import { SuggestSecondFactor } from '../guards/Guards';

type Balance = Reply<'/api/commerce/shops/{shopId}/balance'>;

export function SellerBalance({ shop }: { shop: Shop }) {
  const { t, i18n } = useTranslation();
  const base = `/api/commerce/shops/${shop.id}`;
  const balance = useQuery({ queryKey: [base, 'balance'], queryFn: () => api<Balance>(`${base}/balance`) });
  const { accounts, payouts, statement, refresh } = usePayoutData(base);

  if (balance.isLoading) return <Loading />;
  if (balance.isError || !balance.data) return <ErrorNote error={balance.error} />;
  const b = balance.data;
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
      <Withdraw base={base} availableIdr={b.availableIdr} accounts={accounts.data?.items ?? []} onDone={refresh} />
      <PayoutList items={payouts.data?.items ?? []} />
      <Statement base={base} statement={statement} accountLabel={(account) => t(`balance.account.${account}`)} emptyText={t('balance.noLines')} />

      <AddBankAccount base={base} onAdded={refresh} />
    </div>
  );
}
