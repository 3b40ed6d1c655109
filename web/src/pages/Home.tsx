import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useSession } from '../api/session';

export default function Home() {
  const { t } = useTranslation();
  const { user } = useSession();
  return (
    <section className="card" aria-labelledby="home-title">
      <h1 id="home-title">{user ? t('home.welcome', { name: user.displayName }) : t('app.tagline')}</h1>
      <p>{t('home.intro')}</p>
      <ul className="sides">
        <li>{t('home.social')}</li>
        <li>{t('home.commerce')}</li>
        <li>{t('home.bridge')}</li>
      </ul>
      {!user && (
        <p>
          {t('home.guest')} <Link to="/masuk">{t('nav.signIn')}</Link> · <Link to="/daftar">{t('nav.signUp')}</Link>
        </p>
      )}
    </section>
  );
}
