import { lazy, Suspense } from 'react';
import { Link, NavLink, Route, Routes, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useSession } from './api/session';
import { setLanguage, type Language } from './i18n';
import Feed from './pages/Feed';
import SignIn from './pages/SignIn';
import SignUp from './pages/SignUp';
import NotFound from './pages/NotFound';
import { Loading } from './components/Alert';
import { Icon } from './components/Icon';
import { authPath, safeNext, signInReason } from './lib/next';
import { VerifyEmailBanner } from './components/VerifyEmailBanner';
import { ReauthDialog, SessionExpiredRedirect } from './guards/Guards';
import { useUnread } from './chat/api';
import { NotificationBell } from './notifications/Bell';

const VideoPage = lazy(() => import('./pages/VideoPage'));
const ProductPage = lazy(() => import('./pages/ProductPage'));
const ShopPage = lazy(() => import('./pages/ShopPage'));
const Search = lazy(() => import('./pages/Search'));
const ProfilePage = lazy(() => import('./pages/ProfilePage'));
const CartPage = lazy(() => import('./pages/CartPage'));
const Checkout = lazy(() => import('./pages/Checkout'));
const PaymentPage = lazy(() => import('./pages/PaymentPage'));
const Orders = lazy(() => import('./pages/Orders'));
const OrderPage = lazy(() => import('./pages/OrderPage'));
const Privacy = lazy(() => import('./pages/Privacy'));
const SellerCentre = lazy(() => import('./seller/SellerCentre'));
const PlatformVouchers = lazy(() => import('./pages/PlatformVouchers'));
const Studio = lazy(() => import('./studio/Studio'));
const LivePage = lazy(() => import('./live/LivePage'));
const ForgotPassword = lazy(() => import('./pages/ForgotPassword'));
const ResetPassword = lazy(() => import('./pages/ResetPassword'));
const Wishlist = lazy(() => import('./pages/Wishlist'));
const FollowedShops = lazy(() => import('./pages/FollowedShops'));
const AddressBook = lazy(() => import('./pages/AddressBook'));
const EditProfile = lazy(() => import('./pages/EditProfile'));
const MyReports = lazy(() => import('./moderation/MyReports'));
const MyDecisions = lazy(() => import('./moderation/MyDecisions'));
const OperatorModeration = lazy(() => import('./moderation/OperatorModeration'));
const Transparency = lazy(() => import('./moderation/Transparency'));
const ChatInbox = lazy(() => import('./chat/Inbox'));
const ChatConversation = lazy(() => import('./chat/ConversationPage'));
const NotificationInbox = lazy(() => import('./notifications/InboxPage'));
const NotificationPreferences = lazy(() => import('./notifications/Preferences'));

/**
 * Where the header's "Masuk"/"Daftar" bring a person back to: the page they are on, or, on the
 * sign-in and sign-up pages themselves, where those pages were going to send them (so tapping
 * "Daftar" in the middle of a purchase still ends at the checkout).
 */
function useAuthLinks(): { signIn: string; signUp: string } {
  const location = useLocation();
  const [params] = useSearchParams();
  const onAuthPage = ['/masuk', '/daftar'].includes(location.pathname) || location.pathname.startsWith('/sandi/');
  const here = location.pathname + location.search;
  const next = onAuthPage ? safeNext(params.get('next')) : here === '/' ? null : here;
  const reason = onAuthPage ? signInReason(params.get('alasan')) : null;
  return { signIn: authPath('/masuk', next, reason), signUp: authPath('/daftar', next, reason) };
}
const VerifyEmail = lazy(() => import('./pages/VerifyEmail'));
const ChangeEmail = lazy(() => import('./pages/ChangeEmail'));
const Security = lazy(() => import('./pages/Security'));
const Sessions = lazy(() => import('./pages/Sessions'));

function Header() {
  const { t, i18n } = useTranslation();
  const { user, signOut } = useSession();
  const navigate = useNavigate();
  const auth = useAuthLinks();
  return (
    <header className="top">
      <Link to="/" className="brand">
        {t('app.name')}
      </Link>
      <nav aria-label={t('nav.account')}>
        {user ? (
          <>
            <NotificationBell />
            <Link to={`/@${user.handle}`} className="who">
              @{user.handle}
            </Link>
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
            <Link to={auth.signIn}>{t('nav.signIn')}</Link>
            <Link to={auth.signUp}>{t('nav.signUp')}</Link>
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

function BottomNav() {
  const { t } = useTranslation();
  const { user } = useSession();
  return (
    <nav className="bottom" aria-label={t('nav.main')}>
      <NavLink to="/" end>
        <Icon name="home" />
        {t('nav.home')}
      </NavLink>
      <NavLink to="/cari">
        <Icon name="search" />
        {t('nav.search')}
      </NavLink>
      <NavLink to="/studio">
        <Icon name="plus" />
        {t('nav.create')}
      </NavLink>
      <NavLink to="/keranjang">
        <Icon name="cart" />
        {t('nav.cart')}
      </NavLink>
      <NavLink to={user ? '/saya' : '/masuk'}>
        <Icon name="user" />
        {t('nav.me')}
      </NavLink>
    </nav>
  );
}

function Me() {
  const { t } = useTranslation();
  const { user } = useSession();
  const [params] = useSearchParams();
  const unread = useUnread();
  if (!user) return <SignIn />;
  return (
    <section className="card stack" aria-labelledby="me-title">
      <h1 id="me-title">{t('home.welcome', { name: user.displayName })}</h1>
      {params.get('akun') && <p className="ok">{t('privacy.deleted')}</p>}
      <VerifyEmailBanner />
      <ul className="menu">
        <li>
          <Link to={`/@${user.handle}`}>{t('nav.profile')}</Link>
        </li>
        <li>
          <Link to="/saya/profil">{t('nav.editProfile')}</Link>
        </li>
        <li>
          <Link to="/saya/keamanan">{t('nav.security')}</Link>
        </li>
        <li>
          <Link to="/saya/sesi">{t('nav.sessions')}</Link>
        </li>
        <li>
          <Link to="/saya/email">{t('nav.changeEmail')}</Link>
        </li>
        <li>
          <Link to="/pesanan">{t('nav.orders')}</Link>
        </li>
        <li>
          <Link to="/saya/chat">
            {t('chat.inboxTitle')}
            {!!unread?.asBuyer && (
              <span className="chat-badge" aria-label={t('chat.unreadCount', { count: unread.asBuyer })}>
                {unread.asBuyer}
              </span>
            )}
          </Link>
        </li>
        <li>
          <Link to="/saya/alamat">{t('nav.addresses')}</Link>
        </li>
        <li>
          <Link to="/saya/favorit">{t('nav.wishlist')}</Link>
        </li>
        <li>
          <Link to="/saya/toko-diikuti">{t('nav.followedShops')}</Link>
        </li>
        <li>
          <Link to="/studio">{t('nav.studio')}</Link>
        </li>
        <li>
          <Link to="/seller">{t('nav.seller')}</Link>
        </li>
        <li>
          <Link to="/privasi">{t('nav.privacy')}</Link>
        </li>
        <li>
          <Link to="/saya/laporan">{t('navModeration.reports')}</Link>
        </li>
        <li>
          <Link to="/saya/moderasi">{t('navModeration.decisions')}</Link>
        </li>
        <li>
          <Link to="/transparansi">{t('navModeration.transparency')}</Link>
        </li>
        {user.roles.includes('operator') && (
          <li>
            <Link to="/operator/voucher">{t('nav.platformVouchers')}</Link>
          </li>
        )}
        {user.roles.includes('operator') && (
          <li>
            <Link to="/operator/moderasi">{t('navModeration.operator')}</Link>
          </li>
        )}
      </ul>
    </section>
  );
}

/** `/@handle` is a profile; any other single segment is not a page. */
function HandleOrNotFound() {
  const { segment = '' } = useParams();
  return segment.startsWith('@') ? <ProfilePage /> : <NotFound />;
}

export default function App() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  return (
    <>
      <a href="#main" className="skip">
        {t('app.skip')}
      </a>
      <Header />
      <SessionExpiredRedirect />
      <ReauthDialog />
      <main id="main">
        {params.get('akun') === 'dihapus' && (
          <p className="ok card" role="status">
            {t('privacy.deleted')}
          </p>
        )}
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/" element={<Feed kind="for-you" />} />
            <Route path="/mengikuti" element={<Feed kind="following" />} />
            <Route path="/video/:id" element={<VideoPage />} />
            <Route path="/produk/:id" element={<ProductPage />} />
            <Route path="/toko/:slug" element={<ShopPage />} />
            <Route path="/cari" element={<Search />} />
            <Route path="/keranjang" element={<CartPage />} />
            <Route path="/checkout" element={<Checkout />} />
            <Route path="/pembayaran/:id" element={<PaymentPage />} />
            <Route path="/pesanan" element={<Orders />} />
            <Route path="/pesanan/:id" element={<OrderPage />} />
            <Route path="/privasi" element={<Privacy />} />
            <Route path="/saya" element={<Me />} />
            <Route path="/saya/favorit" element={<Wishlist />} />
            <Route path="/saya/alamat" element={<AddressBook />} />
            <Route path="/saya/profil" element={<EditProfile />} />
            <Route path="/saya/toko-diikuti" element={<FollowedShops />} />
            <Route path="/seller/*" element={<SellerCentre />} />
            <Route path="/operator/voucher" element={<PlatformVouchers />} />
            <Route path="/operator/moderasi" element={<OperatorModeration />} />
            <Route path="/saya/laporan" element={<MyReports />} />
            <Route path="/saya/moderasi" element={<MyDecisions />} />
            <Route path="/transparansi" element={<Transparency />} />
            <Route path="/saya/chat" element={<ChatInbox />} />
            <Route path="/notifikasi" element={<NotificationInbox />} />
            <Route path="/notifikasi/pengaturan" element={<NotificationPreferences />} />
            <Route path="/chat/:id" element={<ChatConversation />} />
            <Route path="/studio/*" element={<Studio />} />
            <Route path="/live/:id" element={<LivePage />} />
            <Route path="/masuk" element={<SignIn />} />
            <Route path="/daftar" element={<SignUp />} />
            <Route path="/sandi/lupa" element={<ForgotPassword />} />
            <Route path="/sandi/baru" element={<ResetPassword />} />
            <Route path="/email/verifikasi" element={<VerifyEmail />} />
            <Route path="/email/ganti" element={<VerifyEmail change />} />
            <Route path="/saya/email" element={<ChangeEmail />} />
            <Route path="/saya/keamanan" element={<Security />} />
            <Route path="/saya/sesi" element={<Sessions />} />
            <Route path="/:segment" element={<HandleOrNotFound />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </main>
      <BottomNav />
    </>
  );
}
