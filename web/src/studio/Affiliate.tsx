import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Commissions, Consent } from '../api/types';
import { formatDateTime, formatIdr } from '../lib/format';
import { ErrorNote, Loading } from '../components/Alert';

/** Commission listing; a 404 means the creator has not enrolled as an affiliate yet. */
export function useCommissions() {
  return useQuery({
    queryKey: ['commissions'],
    queryFn: async () => {
      try {
        return await api<Commissions>('/api/commerce/affiliates/me/commissions?limit=50');
      } catch (error) {
        if (error instanceof ApiError && error.problem.status === 404) return null;
        throw error;
      }
    },
  });
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
  const commissions = useCommissions();
  const linked = useLinked();
  const refresh = () => Promise.all([client.invalidateQueries({ queryKey: ['commissions'] }), client.invalidateQueries({ queryKey: ['consents'] })]);
  // One action: enrol where needed, then link (the consent), so a creator never meets two steps.
  const setUp = useMutation({
    mutationFn: async () => {
      if (commissions.data === null) await api<{ affiliateId: string }>('/api/commerce/affiliates', { method: 'POST', body: {} });
      return api('/api/creator/affiliate-link', { method: 'POST', body: {} });
    },
    onSettled: refresh,
  });
  const unlink = useMutation({ mutationFn: () => api('/api/creator/affiliate-link', { method: 'DELETE' }), onSettled: refresh });
  if (commissions.isLoading || linked.isLoading) return <Loading />;
  const c = commissions.data;
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="aff-title">
        <h2 id="aff-title">{t('studio.affiliateProgram')}</h2>
        <p className="muted">{t('studio.affiliateIntro')}</p>
        <ErrorNote error={commissions.error ?? linked.error ?? setUp.error ?? unlink.error} />
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
              {unlink.isSuccess ? t('studio.unlinked') : c ? t('studio.enrolledNotLinked') : t('studio.notEnrolled')}
            </p>
            <p className="muted small">{t('studio.linkIntro')}</p>
            <button type="button" className="primary" disabled={setUp.isPending} onClick={() => setUp.mutate()}>
              {c ? t('studio.linkNow') : t('studio.setUp')}
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
    </div>
  );
}
