import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, NavLink, Route, Routes } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Shop } from '../api/types';
import { useSession } from '../api/session';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';
import { PROVINCES } from '../lib/provinces';
import { SellerProducts } from './SellerProducts';
import { SellerOrders } from './SellerOrders';
import { SellerShop } from './SellerShop';
import { SellerVouchers } from './SellerVouchers';
import { SellerFlash } from './SellerFlash';
import { SellerAllocations } from './SellerAllocations';
import { SellerBalance } from './SellerBalance';
import { VerifyEmailBanner } from '../components/VerifyEmailBanner';
import { SellerChat, useShopUnread } from '../chat/SellerChat';
import { useUnread } from '../chat/api';

function OpenShop({ owned, onOpened }: { owned: Shop[]; onOpened(shop: Shop): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ name: '', slug: '', description: '', city: '', province: '' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    setBusy(true);
    try {
      const shop = await api<Shop>('/api/commerce/shops', { body: { ...form, description: form.description || undefined, province: form.province || undefined } });
      onOpened(shop);
    } catch (error) {
      errors.show(error, { 403: t('verify.required'), 409: t('seller.slugTaken') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="stack">
      <VerifyEmailBanner reason={t('verify.shopReason')} />
      <form className="card" onSubmit={submit} noValidate aria-labelledby="open-shop-title">
        <h2 id="open-shop-title">{t('seller.openShop')}</h2>
        <p className="muted">{t('seller.openShopIntro')}</p>
        {errors.message && (
          <p className="alert" role="alert">
            {errors.message}
          </p>
        )}
        <Field label={t('seller.shopName')} name="name" value={form.name} onChange={set('name')} errors={errors.fields.name} required />
        <Field label={t('seller.slug')} hint={t('seller.slugHint')} name="slug" autoCapitalize="none" value={form.slug} onChange={set('slug')} errors={errors.fields.slug} required />
        <Field label={t('seller.city')} name="city" value={form.city} onChange={set('city')} errors={errors.fields.city} required />
        <div className="field">
          <label htmlFor="shop-province">{t('checkout.province')}</label>
          <select id="shop-province" value={form.province} onChange={set('province')}>
            <option value="">{t('seller.provinceAuto')}</option>
            {PROVINCES.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
          {errors.fields.province && <small className="error">{errors.fields.province.join(' ')}</small>}
        </div>
        <div className="field">
          <label htmlFor="shop-description">{t('seller.description')}</label>
          <textarea id="shop-description" rows={3} value={form.description} onChange={set('description')} />
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('auth.working') : t('seller.openShopSubmit')}
        </button>
      </form>
      {owned.length > 0 && (
        <div className="card" aria-labelledby="my-shops-title">
          <h2 id="my-shops-title">{t('seller.manageExisting')}</h2>
          <ul className="plain">
            {owned.map((shop) => (
              <li key={shop.id}>
                <button type="button" className="link" onClick={() => onOpened(shop)}>
                  {t('seller.manage')}: {shop.name}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

function Centre() {
  const { t } = useTranslation();
  const { user } = useSession();
  const client = useQueryClient();
  const mine = useQuery({ queryKey: ['my-shops', user?.id], queryFn: () => api<{ items: Shop[] }>('/api/commerce/me/shops'), enabled: !!user });
  // The shop being managed: the one picked or just opened, else the seller's first shop.
  const [picked, setPicked] = useState<string | null>(null);
  const [choosing, setChoosing] = useState(false);
  const [justOpened, setJustOpened] = useState<Shop | null>(null);
  const owned = mine.data?.items ?? [];
  const slug = choosing ? null : (picked ?? owned[0]?.slug ?? null);
  const shop = useQuery({ queryKey: ['shop', slug], queryFn: () => api<Shop>(`/api/commerce/shops/${encodeURIComponent(slug!)}`), enabled: !!slug });
  const shopUnread = useShopUnread(useUnread(), shop.data?.id ?? '');

  function opened(s: Shop) {
    client.setQueryData(['shop', s.slug], s);
    void client.invalidateQueries({ queryKey: ['my-shops'] });
    setPicked(s.slug);
    setChoosing(false);
    setJustOpened(s);
  }

  return (
    <section className="stack" aria-labelledby="seller-title">
      <h1 id="seller-title">{t('seller.title')}</h1>
      {(mine.isLoading || (slug && shop.isLoading)) && <Loading />}
      {mine.isLoading ? null : !slug || shop.isError ? (
        <OpenShop owned={owned} onOpened={opened} />
      ) : shop.data ? (
        <>
          {justOpened?.id === shop.data.id && (
            <p className="ok" role="status">
              {t('seller.shopOpened', { name: justOpened.name })} <Link to={`/toko/${justOpened.slug}`}>{t('seller.viewShop')}</Link>
            </p>
          )}
          <p className="muted">
            {shop.data.name} ·{' '}
            <button
              type="button"
              className="link"
              onClick={() => {
                setJustOpened(null);
                setChoosing(true);
              }}
            >
              {t('seller.switchShop')}
            </button>
          </p>
          <nav className="tabs light" aria-label={t('seller.sections')}>
            <NavLink to="/seller" end>
              {t('seller.shop')}
            </NavLink>
            <NavLink to="/seller/produk">{t('seller.products')}</NavLink>
            <NavLink to="/seller/pesanan">{t('seller.orders')}</NavLink>
            <NavLink to="/seller/voucher">{t('seller.vouchers')}</NavLink>
            <NavLink to="/seller/flash-sale">{t('seller.flashSale')}</NavLink>
            <NavLink to="/seller/kreator">{t('allocations.nav')}</NavLink>
            <NavLink to="/seller/saldo">{t('seller.balance')}</NavLink>
            <NavLink to="/seller/chat">
              {t('chat.sellerTab')}
              {shopUnread > 0 && (
                <span className="chat-badge" aria-label={t('chat.unreadCount', { count: shopUnread })}>
                  {shopUnread}
                </span>
              )}
            </NavLink>
          </nav>
          <Routes>
            <Route index element={<SellerShop shop={shop.data} />} />
            <Route path="produk" element={<SellerProducts shop={shop.data} />} />
            <Route path="pesanan" element={<SellerOrders shop={shop.data} />} />
            <Route path="voucher" element={<SellerVouchers shop={shop.data} />} />
            <Route path="flash-sale" element={<SellerFlash shop={shop.data} />} />
            <Route path="kreator" element={<SellerAllocations shop={shop.data} />} />
            <Route path="saldo" element={<SellerBalance shop={shop.data} />} />
            <Route path="chat" element={<SellerChat shop={shop.data} />} />
          </Routes>
        </>
      ) : null}
    </section>
  );
}

export default function SellerCentre() {
  return (
    <RequireUser>
      <Centre />
    </RequireUser>
  );
}
