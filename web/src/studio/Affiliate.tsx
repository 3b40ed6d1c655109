import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Commissions } from '../api/types';
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

export function Affiliate() {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const commissions = useCommissions();
  const enrol = useMutation({
    mutationFn: () => api<{ affiliateId: string }>('/api/commerce/affiliates', { method: 'POST', body: {} }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['commissions'] }),
  });
  const link = useMutation({
    mutationFn: async () => {
      // Social creates the creator's profile on first use; the link needs it to exist.
      await api('/api/social/me');
      return api('/api/creator/affiliate-link', { method: 'POST', body: {} });
    },
  });
  const unlink = useMutation({ mutationFn: () => api('/api/creator/affiliate-link', { method: 'DELETE' }) });
  if (commissions.isLoading) return <Loading />;
  const c = commissions.data;
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="aff-title">
        <h2 id="aff-title">{t('studio.affiliateProgram')}</h2>
        <p className="muted">{t('studio.affiliateIntro')}</p>
        <ErrorNote error={commissions.error ?? enrol.error} />
        {c === null ? (
          <button type="button" className="primary" disabled={enrol.isPending} onClick={() => enrol.mutate()}>
            {t('studio.enrol')}
          </button>
        ) : (
          c && <p className="ok">{t('studio.enrolled')}</p>
        )}
      </section>
      {c && (
        <section className="card stack" aria-labelledby="link-title">
          <h2 id="link-title">{t('studio.link')}</h2>
          <p className="muted">{t('studio.linkIntro')}</p>
          <ErrorNote error={link.error ?? unlink.error} />
          {link.isSuccess && !unlink.isSuccess && (
            <p className="ok" role="status">
              {t('studio.linked')}
            </p>
          )}
          {unlink.isSuccess && (
            <p className="ok" role="status">
              {t('studio.unlinked')}
            </p>
          )}
          <div className="actions">
            <button
              type="button"
              className="primary"
              disabled={link.isPending}
              onClick={() => {
                unlink.reset();
                link.mutate();
              }}
            >
              {t('studio.linkNow')}
            </button>
            <button
              type="button"
              disabled={unlink.isPending}
              onClick={() => {
                link.reset();
                unlink.mutate();
              }}
            >
              {t('studio.unlink')}
            </button>
          </div>
        </section>
      )}
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
