import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../lib/format';
import type { Statement } from './api';

/** A statement of reasons: what was done, why, under which rule, by what means, for how long, and how to appeal. */
export function StatementOfReasons({ statement: s }: { statement: Statement }) {
  const { t, i18n } = useTranslation();
  return (
    <dl className="statement">
      <dt>{t('moderation.what')}</dt>
      <dd>
        {t(`moderation.action.${s.action}`, { defaultValue: t(`trust.action.${s.action}`) })} — {t(`report.kind.${s.item.kind}`, { defaultValue: t(`trust.kind.${s.item.kind}`) })}: {s.item.label}
      </dd>
      <dt>{t('moderation.why')}</dt>
      <dd>
        {t(`report.reason.${s.reason}`)}. {s.explanation}
      </dd>
      <dt>{t('moderation.rule')}</dt>
      <dd>{s.rule}</dd>
      <dt>{t('moderation.automated')}</dt>
      <dd>{s.automated ? t('moderation.automatedYes') : t('moderation.automatedNo')}</dd>
      <dt>{t('moderation.duration')}</dt>
      <dd>{s.endsAt ? t('moderation.until', { date: formatDateTime(s.endsAt, i18n.language) }) : t('moderation.noEnd')}</dd>
      <dt>{t('moderation.decidedAt')}</dt>
      <dd>{formatDateTime(s.decidedAt, i18n.language)}</dd>
      <dt>{t('moderation.state')}</dt>
      <dd>
        <span className={`badge status-${s.status}`}>{t(`moderation.status.${s.status}`)}</span>
      </dd>
      <dt>{t('moderation.howToAppeal')}</dt>
      <dd>{t('moderation.appealRule', { date: formatDateTime(s.appeal.until, i18n.language) })}</dd>
    </dl>
  );
}
