import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import { useSession } from '../api/session';
import { ErrorNote } from '../components/Alert';
import { authPath } from '../lib/next';

/** Whether an answer is the age gate's: the item is for viewers who confirmed being 18 or older. */
export const isAgeGated = (error: unknown) => error instanceof ApiError && error.problem.status === 403 && String(error.problem.type).endsWith('age-confirmation-required');

/**
 * In place of an age-gated video or live: sign in, or say you are 18 or older (self-declared,
 * kept on your social profile and withdrawable), and the item is fetched again.
 */
export function AgeGate({ what }: { what: 'video' | 'live' }) {
  const { t } = useTranslation();
  const { user } = useSession();
  const location = useLocation();
  const queryClient = useQueryClient();
  const confirm = useMutation({
    mutationFn: () => api('/api/social/me/age', { method: 'PUT', body: { adult: true } }),
    onSuccess: () => queryClient.invalidateQueries(),
  });
  return (
    <section className="card stack" aria-labelledby="age-gate-title" data-testid="age-gate">
      <h2 id="age-gate-title">{t('trust.age.title')}</h2>
      <p>{t(what === 'live' ? 'trust.age.liveIntro' : 'trust.age.videoIntro')}</p>
      {!user ? (
        <p>
          <Link to={authPath('/masuk', location.pathname)}>{t('trust.age.signIn')}</Link>
        </p>
      ) : (
        <>
          <p className="muted small">{t('trust.age.selfDeclared')}</p>
          <button type="button" className="primary" disabled={confirm.isPending} onClick={() => confirm.mutate()}>
            {t('trust.age.confirm')}
          </button>
          <ErrorNote error={confirm.error} />
        </>
      )}
    </section>
  );
}
