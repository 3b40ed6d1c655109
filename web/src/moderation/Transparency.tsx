import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { ErrorNote, Loading } from '../components/Alert';
import type { Month } from './api';

const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
};

/** Both sides' monthly counts, added up here in the browser: the servers never share them with each other. */
async function monthsOfBoth(): Promise<Month[]> {
  const sides = await Promise.all((['social', 'commerce'] as const).map((domain) => api<{ months: Month[] }>(`/api/${domain}/moderation/transparency`)));
  const byMonth = new Map<string, Month>();
  for (const side of sides) {
    for (const month of side.months) {
      const entry = byMonth.get(month.month) ?? { month: month.month, reportsByReason: {}, actionsByType: {}, appeals: 0, reversals: 0 };
      add(entry.reportsByReason, month.reportsByReason);
      add(entry.actionsByType, month.actionsByType);
      entry.appeals += month.appeals;
      entry.reversals += month.reversals;
      byMonth.set(month.month, entry);
    }
  }
  return [...byMonth.values()].sort((a, b) => b.month.localeCompare(a.month));
}

export default function Transparency() {
  const { t, i18n } = useTranslation();
  const months = useQuery({ queryKey: ['transparency'], queryFn: monthsOfBoth });
  const monthName = (month: string) => new Intl.DateTimeFormat(i18n.language === 'en' ? 'en-GB' : 'id-ID', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-01T00:00:00Z`));
  return (
    <section className="stack" aria-labelledby="transparency-title">
      <h1 id="transparency-title">{t('transparency.title')}</h1>
      <p className="muted">{t('transparency.intro')}</p>
      {months.isLoading && <Loading />}
      <ErrorNote error={months.error} />
      {months.data?.length === 0 && <p className="muted">{t('transparency.none')}</p>}
      {months.data?.map((m) => {
        const reports = Object.values(m.reportsByReason).reduce((a, b) => a + b, 0);
        const actions = Object.values(m.actionsByType).reduce((a, b) => a + b, 0);
        return (
          <article key={m.month} className="card stack" aria-labelledby={`month-${m.month}`}>
            <h2 id={`month-${m.month}`}>{monthName(m.month)}</h2>
            <table className="counts">
              <caption>{t('transparency.reports', { count: reports })}</caption>
              <tbody>
                {Object.entries(m.reportsByReason).map(([reason, n]) => (
                  <tr key={reason}>
                    <th scope="row">{t(`report.reason.${reason}`)}</th>
                    <td>{n}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <table className="counts">
              <caption>{t('transparency.actions', { count: actions })}</caption>
              <tbody>
                {Object.entries(m.actionsByType).map(([action, n]) => (
                  <tr key={action}>
                    <th scope="row">{t(`moderation.action.${action}`, { defaultValue: t(`trust.action.${action}`) })}</th>
                    <td>{n}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p>
              {t('transparency.appeals', { count: m.appeals })} · {t('transparency.reversals', { count: m.reversals })}
            </p>
          </article>
        );
      })}
    </section>
  );
}
