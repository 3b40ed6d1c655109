import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/** Recovery codes shown once, after a second factor is set up; `before` comes above the title. */
export function RecoveryCodes({ id, codes, intro, before, onSaved }: { id: string; codes: string[]; intro: string; before?: ReactNode; onSaved(): void }) {
  const { t } = useTranslation();
  return (
    <div className="stack" role="region" aria-labelledby={id}>
      {before}
      <h3 id={id}>{t('twoFactor.recoveryTitle')}</h3>
      <p>{intro}</p>
      <ol className="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <button type="button" onClick={onSaved}>
        {t('twoFactor.saved')}
      </button>
    </div>
  );
}
