import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Commissions, Consent, Reply } from '../api/types';
import { formatDateTime, formatIdr } from '../lib/format';
import { ErrorNote, Loading } from '../components/Alert';
import { AddBankAccount, PayoutList, Statement, usePayoutData, Withdraw } from '../components/Payouts';
import { SuggestSecondFactor } from '../guards/Guards';

const ME = '/api/commerce/affiliates/me';

/** Whether the creator has enrolled: asked first, so a creator who has not meets no error request. */
function useEnrolment() {
  return useQuery({ queryKey: ['affiliate-enrolment'], queryFn: () => api<{ affiliateId: string | null }>(ME) });
}

/** Commission listing, for an enrolled creator. */
function useCommissions(enrolled: boolean) {
  return useQuery({ queryKey: ['commissions'], enabled: enrolled, queryFn: () => api<Commissions>(`${ME}/commissions?limit=50`) });
}

type CommissionBalance = Reply<'/api/commerce/affiliates/me/balance'>;

/** The creator's commission money: what waits, what can be withdrawn and how, and every line of it. */
function CommissionPayouts() {
  const { t } = useTranslation();
  const balance = useQuery({ queryKey: [ME, 'balance'], queryFn: () => api<CommissionBalance>(`${ME}/balance`) });
  const { accounts, payouts, statement, refresh } = usePayoutData(ME);
  if (balance.isLoading) return <Loading />;
  if (balance.isError || !balance.data) return <ErrorNote error={balance.error} />;
  const b = balance.data;
  return (
    <>
      <section className="card stack" aria-labelledby="commission-balance-title">
        <h2 id="commission-balance-title">{t('creatorPayouts.title')}</h2>
        <p>
          <span className="muted">{t('creatorPayouts.withdrawable')}</span>
          <br />
          <strong className="price balance-available" data-testid="commission-withdrawable">
            {formatIdr(b.withdrawableIdr)}
          </strong>
        </p>
        <dl className="balance-grid">
          <div>
            <dt className="muted small">{t('creatorPayouts.pending')}</dt>
            <dd data-testid="commission-balance-pending">{formatIdr(b.pendingIdr)}</dd>
          </div>
          <div>
            <dt className="muted small">{t('creatorPayouts.processing')}</dt>
            <dd>{formatIdr(b.payoutProcessingIdr)}</dd>
          </div>
          <div>
            <dt className="muted small">{t('creatorPayouts.paidOut')}</dt>
            <dd data-testid="commission-paid-out">{formatIdr(b.paidOutIdr)}</dd>
          </div>
        </dl>
        <p className="muted small">{t('creatorPayouts.terms')}</p>
      </section>
      <SuggestSecondFactor />
      <Withdraw base={ME} availableIdr={b.withdrawableIdr} accounts={accounts.data?.items ?? []} onDone={refresh} />
      <PayoutList items={payouts.data?.items ?? []} />
      <Statement base={ME} statement={statement} accountLabel={(account) => t(`creatorPayouts.account.${account}`)} emptyText={t('creatorPayouts.noLines')} />
      <AddBankAccount base={ME} onAdded={refresh} />
    </>
  );
}

/** Whether the creator's profile is linked to their affiliate id: the ledger's consent says so. */
export function useLinked() {
  return useQuery({
    queryKey: ['consents'],
    queryFn: () => api<{ items: Consent[] }>('/api/privacy/consents'),
    select: (data) => data.items.some((c) => c.purpose === 'creator_affiliate' && c.granted),
  });
}

export function Affiliate() {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const enrolment = useEnrolment();
  const enrolled = Boolean(enrolment.data?.affiliateId);
  const commissions = useCommissions(enrolled);
  const linked = useLinked();
  const refresh = () =>
    Promise.all([client.invalidateQueries({ queryKey: ['affiliate-enrolment'] }), client.invalidateQueries({ queryKey: ['commissions'] }), client.invalidateQueries({ queryKey: ['consents'] })]);
  // One action: enrol where needed, then link (the consent), so a creator never meets two steps.
  const setUp = useMutation({
    mutationFn: async () => {
      if (!enrolled) await api<{ affiliateId: string }>('/api/commerce/affiliates', { method: 'POST', body: {} });
      return api('/api/creator/affiliate-link', { method: 'POST', body: {} });
    },
    onSettled: refresh,
  });
  const unlink = useMutation({ mutationFn: () => api('/api/creator/affiliate-link', { method: 'DELETE' }), onSettled: refresh });
  if (enrolment.isLoading || commissions.isLoading || linked.isLoading) return <Loading />;
  const c = enrolled ? commissions.data : undefined;
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="aff-title">
        <h2 id="aff-title">{t('studio.affiliateProgram')}</h2>
        <p className="muted">{t('studio.affiliateIntro')}</p>
        <ErrorNote error={enrolment.error ?? commissions.error ?? linked.error ?? setUp.error ?? unlink.error} />
        {linked.data ? (
          <>
            <p className="ok" role="status" data-testid="affiliate-state">
              {t('studio.linked')}
            </p>
            <p className="muted small">{t('studio.linkedExplain')}</p>
            <button type="button" disabled={unlink.isPending} onClick={() => unlink.mutate()}>
              {t('studio.unlink')}
            </button>
          </>
        ) : (
          <>
            <p role="status" data-testid="affiliate-state">
              {unlink.isSuccess ? t('studio.unlinked') : enrolled ? t('studio.enrolledNotLinked') : t('studio.notEnrolled')}
            </p>
            <p className="muted small">{t('studio.linkIntro')}</p>
            <button type="button" className="primary" disabled={setUp.isPending} onClick={() => setUp.mutate()}>
              {enrolled ? t('studio.linkNow') : t('studio.setUp')}
            </button>
          </>
        )}
      </section>
      {c && (
        <section className="card stack" aria-labelledby="commission-list-title">
          <h2 id="commission-list-title">{t('studio.commissions')}</h2>
          <dl className="stats">
            <div>
              <dt>{t('studio.pending')}</dt>
              <dd data-testid="commission-pending">{formatIdr(c.totals.pendingIdr)}</dd>
            </div>
            <div>
              <dt>{t('studio.confirmed')}</dt>
              <dd data-testid="commission-confirmed">{formatIdr(c.totals.confirmedIdr)}</dd>
            </div>
            <div>
              <dt>{t('studio.reversed')}</dt>
              <dd>{formatIdr(c.totals.reversedIdr)}</dd>
            </div>
          </dl>
          {c.items.length === 0 && <p className="muted">{t('studio.noCommissions')}</p>}
          <ul className="plain stack">
            {c.items.map((item) => (
              <li key={item.id} className="sum-line">
                <span>
                  {item.productTitle} <span className="muted small">· {item.shopName} · {item.commissionPercent}% · {formatDateTime(item.updatedAt, i18n.language)}</span>
                </span>
                <span>
                  {formatIdr(item.amountIdr)} <span className={`status status-${item.state}`}>{t(`studio.state.${item.state}`, { defaultValue: item.state })}</span>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {enrolled && <CommissionPayouts />}
    </div>
  );
}
