import { Link, Route, Routes, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useSession } from './api/session';
import { setLanguage, type Language } from './i18n';
import Home from './pages/Home';
import SignIn from './pages/SignIn';
import SignUp from './pages/SignUp';
import NotFound from './pages/NotFound';

function Header() {
  const { t, i18n } = useTranslation();
  const { user, signOut } = useSession();
  const navigate = useNavigate();
  return (
    <header className="top">
      <Link to="/" className="brand" aria-label={t('nav.home')}>
        {t('app.name')}
      </Link>
      <nav aria-label="Utama">
        {user ? (
          <>
            <span className="who">@{user.handle}</span>
            <button
              type="button"
              onClick={async () => {
                await signOut();
                navigate('/masuk');
              }}
            >
              {t('nav.signOut')}
            </button>
          </>
        ) : (
          <>
            <Link to="/masuk">{t('nav.signIn')}</Link>
            <Link to="/daftar">{t('nav.signUp')}</Link>
          </>
        )}
        <label className="lang">
          <span className="visually-hidden">{t('nav.language')}</span>
          <select value={i18n.language} onChange={(e) => setLanguage(e.target.value as Language)}>
            <option value="id">ID</option>
            <option value="en">EN</option>
          </select>
        </label>
      </nav>
    </header>
  );
}

export default function App() {
  const { t } = useTranslation();
  return (
    <>
      <a href="#main" className="skip">
        {t('app.skip')}
      </a>
      <Header />
      <main id="main">
        <Routes>
          <Route path="/" element={<Home />} />
          <Route path="/masuk" element={<SignIn />} />
          <Route path="/daftar" element={<SignUp />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </>
  );
}
