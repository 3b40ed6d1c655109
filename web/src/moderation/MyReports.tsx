import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { RequireUser } from '../components/RequireUser';
import { ErrorNote, Loading } from '../components/Alert';
import { formatDateTime } from '../lib/format';
import { fromBoth, type Report } from './api';

function Reports() {
  const { t, i18n } = useTranslation();
  const reports = useQuery({ queryKey: ['my-reports'], queryFn: () => fromBoth<Report>('/reports/mine') });
  const items = (reports.data ?? []).sort((a, b) => b.item.updatedAt.localeCompare(a.item.updatedAt));
  return (
    <section className="stack" aria-labelledby="my-reports-title">
      <h1 id="my-reports-title">{t('report.myTitle')}</h1>
      <p className="muted">{t('report.myIntro')}</p>
      {reports.isLoading && <Loading />}
      <ErrorNote error={reports.error} />
      {reports.data && items.length === 0 && <p className="muted">{t('report.none')}</p>}
      <ul className="stack plain" aria-label={t('report.myTitle')}>
        {items.map(({ item: r }) => (
          <li key={r.id} className="card report-row">
            <p>
              <strong>{t(`report.kind.${r.item.kind}`, { defaultValue: t(`trust.kind.${r.item.kind}`) })}</strong>: {r.item.label}
            </p>
            <p className="muted small">
              {t(`report.reason.${r.reason}`)} · {formatDateTime(r.updatedAt, i18n.language)}
            </p>
            <p>
              <span className={`badge status-${r.status}`}>{t(`report.status.${r.status}`)}</span>
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function MyReports() {
  return (
    <RequireUser>
      <Reports />
    </RequireUser>
  );
}
