import type { ReactNode } from 'react';
import { Link, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useSession } from '../api/session';
import { Loading } from './Alert';
import { authPath } from '../lib/next';

/** Shows the page to signed-in people; others get a link to sign in that brings them back. */
export function RequireUser({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const { user, loading } = useSession();
  const location = useLocation();
  const here = location.pathname + location.search;
  if (loading) return <Loading />;
  if (!user) {
    return (
      <section className="card">
        <h1>{t('auth.needSignIn')}</h1>
        <p>
          <Link to={authPath('/masuk', here)}>{t('nav.signIn')}</Link> · <Link to={authPath('/daftar', here)}>{t('nav.signUp')}</Link>
        </p>
      </section>
    );
  }
  return <>{children}</>;
}
