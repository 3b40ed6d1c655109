import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import { translateFieldMessage } from '../lib/errors';
import type { Address, AddressEntry, Cart, CheckoutOptions, Order, Payment, Product, Quote } from '../api/types';
import { formatIdr } from '../lib/format';
import { PROVINCES } from '../lib/provinces';
import { clearBuyNow, loadBuyNow, saveBuyNow } from '../lib/buy';
import { QuantityField } from '../components/QuantityField';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';

/** Where earlier versions kept the address in the browser; it now lives with the buyer's account. */
const LEGACY_ADDRESS_KEY = 'sekat.address';
const EMPTY_ADDRESS: Address = { recipient: '', phone: '', line1: '', city: '', province: '', postalCode: '' };
const placeOf = ({ recipient, phone, line1, city, province, postalCode }: Address): Address => ({ recipient, phone, line1, city, province, postalCode });
const sameAddress = (a: Address, b: Address) => (Object.keys(a) as (keyof Address)[]).every((key) => a[key] === b[key]);

function CheckoutForm() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [buyNow, setBuyNow] = useState(() => (params.get('buy') === 'now' ? loadBuyNow() : null));
  // A buy-now's quantity can be changed here, within what each variant has left.
  const products = useQueries({ queries: (buyNow ?? []).map((i) => ({ queryKey: ['product', i.productId], queryFn: () => api<Product>(`/api/commerce/products/${i.productId}`) })) });
  const availableOf = (variantId: string) => products.flatMap((p) => p.data?.variants ?? []).find((v) => v.id === variantId)?.available;
  const setBuyNowQuantity = (variantId: string) => (quantity: number) =>
    setBuyNow((items) => {
      if (!items || items.find((i) => i.variantId === variantId)?.quantity === quantity) return items;
      const next = items.map((i) => (i.variantId === variantId ? { ...i, quantity } : i));
      saveBuyNow(next);
      return next;
    });
  const cart = useQuery({ queryKey: ['cart'], queryFn: () => api<Cart>('/api/commerce/cart'), enabled: !buyNow });
  const lines = useMemo(
    () =>
      buyNow
        ? buyNow.map((i) => ({
            variantId: i.variantId, title: i.title, variantName: i.variantName, quantity: i.quantity,
            lineTotalIdr: i.unitPriceIdr * i.quantity, attributed: !!i.attributionToken,
          }))
        : (cart.data?.items ?? []).map((i) => ({
            variantId: i.variantId, title: i.title, variantName: i.variantName, quantity: i.quantity,
            lineTotalIdr: i.lineTotalIdr, attributed: i.hasAttribution,
          })),
    [cart.data, buyNow],
  );
  const [address, setAddress] = useState<Address>(EMPTY_ADDRESS);
  // The buyer's address book, from the server: it follows the buyer to any device and stays off
  // shared ones. The default fills the form only while the buyer has typed nothing.
  const book = useQuery({ queryKey: ['address-book'], queryFn: () => api<{ items: AddressEntry[] }>('/api/commerce/addresses') });
  useEffect(() => {
    localStorage.removeItem(LEGACY_ADDRESS_KEY);
  }, []);
  useEffect(() => {
    const found = book.data?.items[0];
    if (found) setAddress((current) => (Object.values(current).every((v) => v === '') ? placeOf(found) : current));
  }, [book.data]);
  const picked = book.data?.items.find((entry) => sameAddress(placeOf(entry), address));
  const [courier, setCourier] = useState('');
  const [paymentMethod, setPaymentMethod] = useState('');
  const [voucherCode, setVoucherCode] = useState('');
  const [busy, setBusy] = useState(false);
  const errors = useFormErrors();
  // One key per attempt: a retry of the same attempt (e.g. after a network error) reuses it.
  const attempt = useRef<{ key: string; body: string } | null>(null);

  const destinationReady = address.city.trim() && address.province && /^\d{5}$/.test(address.postalCode);
  const variantIds = lines.map((l) => l.variantId).join(',');
  const options = useQuery({
    queryKey: ['checkout-options', variantIds, address.city.trim(), address.province, address.postalCode],
    queryFn: () => api<CheckoutOptions>(`/api/commerce/checkout/options?${new URLSearchParams({ variantIds, city: address.city.trim(), province: address.province, postalCode: address.postalCode })}`),
    enabled: !!destinationReady && lines.length > 0,
  });
  useEffect(() => {
    if (options.data && courier && !options.data.couriers.some((c) => c.code === courier)) setCourier('');
  }, [options.data, courier]);

  // The server prices the order as checkout will (per-shop shipping, the voucher), so the total
  // shown is the total charged. A voucher is priced once applied; its problem shows at its field.
  const [applied, setApplied] = useState('');
  const itemsBody = buyNow
    ? { items: buyNow.map((i) => ({ variantId: i.variantId, quantity: i.quantity, ...(i.attributionToken ? { attributionToken: i.attributionToken } : {}) })) }
    : {};
  const shippingAddress = { ...address, city: address.city.trim() };
  const quoteReady = !!destinationReady && !!courier && lines.length > 0 && Object.values(address).every((v) => v.trim() !== '');
  const priceWith = (voucher: string) => () =>
    api<Quote>('/api/commerce/checkout/quote', { body: { ...itemsBody, shippingAddress, courier, ...(voucher ? { voucherCode: voucher } : {}) } });
  const quoteKey = ['checkout-quote', variantIds, JSON.stringify(itemsBody), JSON.stringify(shippingAddress), courier];
  const plain = useQuery({ queryKey: quoteKey, queryFn: priceWith(''), enabled: quoteReady, retry: false });
  const discounted = useQuery({ queryKey: [...quoteKey, applied], queryFn: priceWith(applied), enabled: quoteReady && !!applied, retry: false });
  const priced = (applied ? discounted.data : undefined) ?? plain.data;
  const voucherErrors =
    discounted.error instanceof ApiError
      ? (discounted.error.fieldErrors().voucherCode ?? []).map((m) => translateFieldMessage(t, i18n.language, m))
      : undefined;

  const chosenCourier = options.data?.couriers.find((c) => c.code === courier);
  const subtotal = lines.reduce((sum, l) => sum + l.lineTotalIdr, 0);
  const set = (key: keyof Address) => (event: { target: { value: string } }) => {
    setAddress({ ...address, [key]: event.target.value });
    errors.clearField(`shippingAddress.${key}`, key);
  };
  const field = (name: string) => errors.fields[`shippingAddress.${name}`] ?? errors.fields[name];

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    const address = Object.fromEntries(Object.entries(shippingAddress).map(([key, value]) => [`shippingAddress.${key}`, value]));
    if (!errors.requireFilled({ ...address, courier, paymentMethod })) return;
    const body = {
      ...itemsBody,
      shippingAddress,
      courier,
      paymentMethod,
      ...(voucherCode.trim() ? { voucherCode: voucherCode.trim() } : {}),
    };
    const serialized = JSON.stringify(body);
    if (!attempt.current || attempt.current.body !== serialized) attempt.current = { key: crypto.randomUUID(), body: serialized };
    setBusy(true);
    try {
      const result = await api<{ order: Order; payment: Payment }>('/api/commerce/checkout', { body, headers: { 'Idempotency-Key': attempt.current.key } });
      if (buyNow) clearBuyNow();
      navigate(`/pembayaran/${result.payment.id}`, { replace: true });
    } catch (error) {
      errors.show(error, { 409: t('checkout.outOfStock') });
    } finally {
      setBusy(false);
    }
  }

  if (!buyNow && cart.isLoading) return <Loading />;
  if (lines.length === 0) return <p className="card">{t('cart.empty')}</p>;

  return (
    <form className="stack" onSubmit={submit} noValidate aria-labelledby="checkout-title">
      <h1 id="checkout-title">{t('checkout.title')}</h1>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <fieldset className="card">
        <legend>{t('checkout.address')}</legend>
        {!!book.data?.items.length && (
          <div className="field" role="radiogroup" aria-label={t('addresses.pick')}>
            <p className="muted small">{t('addresses.pick')}</p>
            {book.data.items.map((entry) => (
              <label key={entry.id} className="option">
                <input type="radio" name="bookAddress" checked={picked?.id === entry.id} onChange={() => setAddress(placeOf(entry))} />
                <span>
                  <strong>{entry.label || entry.recipient}</strong>
                  {entry.isDefault && <span className="muted small"> · {t('addresses.default')}</span>}
                  <br />
                  <span className="muted small">
                    {entry.line1}, {entry.city}
                  </span>
                </span>
              </label>
            ))}
            <Link to="/saya/alamat" className="small">
              {t('addresses.manage')}
            </Link>
          </div>
        )}
        <Field label={t('checkout.recipient')} name="recipient" autoComplete="name" value={address.recipient} onChange={set('recipient')} errors={field('recipient')} required />
        <Field label={t('checkout.phone')} hint={t('checkout.phoneHint')} name="phone" type="tel" autoComplete="tel" inputMode="tel" value={address.phone} onChange={set('phone')} errors={field('phone')} required />
        <Field label={t('checkout.line1')} name="line1" autoComplete="street-address" value={address.line1} onChange={set('line1')} errors={field('line1')} required />
        <Field label={t('checkout.city')} name="city" autoComplete="address-level2" value={address.city} onChange={set('city')} errors={field('city')} required />
        <div className="field">
          <label htmlFor="province">{t('checkout.province')}</label>
          <select id="province" name="province" value={address.province} onChange={set('province')} aria-invalid={field('province') ? true : undefined} aria-describedby={field('province') ? 'province-error' : undefined} required>
            <option value="">{t('checkout.chooseProvince')}</option>
            {PROVINCES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
          {field('province') && (
            <small id="province-error" className="error" role="alert">
              {field('province')!.join(' ')}
            </small>
          )}
        </div>
        <Field label={t('checkout.postalCode')} name="postalCode" inputMode="numeric" autoComplete="postal-code" maxLength={5} value={address.postalCode} onChange={set('postalCode')} errors={field('postalCode')} required />
      </fieldset>

      <fieldset className="card">
        <legend>{t('checkout.courier')}</legend>
        {!destinationReady && <p className="muted">{t('checkout.fillAddressFirst')}</p>}
        {options.isLoading && <Loading />}
        <ErrorNote error={options.error} />
        {options.data?.couriers.map((c) => (
          <label key={c.code} className="option">
            <input type="radio" name="courier" value={c.code} checked={courier === c.code} onChange={() => {
                setCourier(c.code);
                errors.clearField('courier');
              }} />
            <span>
              {t(`couriers.${c.code}`, { defaultValue: `${c.name} ${c.service}` })}
              <span className="muted small"> · {t('checkout.eta', { count: c.etaDays })}</span>
            </span>
            <span>{formatIdr(c.priceIdr)}</span>
          </label>
        ))}
        {errors.fields.courier && <small className="error" role="alert">{errors.fields.courier.join(' ')}</small>}
      </fieldset>

      <fieldset className="card">
        <legend>{t('checkout.payment')}</legend>
        {!options.data && <p className="muted">{t('checkout.fillAddressFirst')}</p>}
        {options.data?.paymentMethods.map((m) => (
          <label key={m.code} className="option">
            <input type="radio" name="paymentMethod" value={m.code} checked={paymentMethod === m.code} onChange={() => {
                setPaymentMethod(m.code);
                errors.clearField('paymentMethod');
              }} />
            <span>{t(`payment.method.${m.code}`, { defaultValue: m.name })}</span>
            <span className="muted small">{t(`checkout.kind.${m.kind}`)}</span>
          </label>
        ))}
        {errors.fields.paymentMethod && <small className="error" role="alert">{errors.fields.paymentMethod.join(' ')}</small>}
      </fieldset>

      <div className="card">
        <Field
          label={t('checkout.voucher')}
          name="voucherCode"
          autoComplete="off"
          value={voucherCode}
          onChange={(e) => {
            const code = e.target.value.toUpperCase();
            setVoucherCode(code);
            if (applied && code.trim() !== applied) setApplied('');
          }}
          errors={voucherErrors?.length ? voucherErrors : errors.fields.voucherCode}
        />
        <button type="button" disabled={!voucherCode.trim() || voucherCode.trim() === applied} onClick={() => setApplied(voucherCode.trim())}>
          {t('checkout.voucherApply')}
        </button>
        {applied && discounted.data && (
          <p className="muted small" role="status">
            {t('checkout.voucherApplied', { code: applied })}
          </p>
        )}
      </div>

      <section className="card" aria-labelledby="summary-title">
        <h2 id="summary-title">{t('checkout.summary')}</h2>
        <ul className="plain">
          {lines.map((l) => (
            <li key={l.variantId} className="sum-line">
              <span>
                {l.title} · {l.variantName} × {l.quantity}
                {l.attributed && <span className="muted small"> · {t('cart.fromVideo')}</span>}
                {buyNow && availableOf(l.variantId) !== undefined && (
                  <QuantityField label={t('cart.quantityOf', { title: l.title })} value={l.quantity} max={availableOf(l.variantId)!} onChange={setBuyNowQuantity(l.variantId)} />
                )}
              </span>
              <span>{formatIdr(l.lineTotalIdr)}</span>
            </li>
          ))}
          <li className="sum-line">
            <span>{t('checkout.shipping')}</span>
            <span>{priced ? formatIdr(priced.shippingIdr) : chosenCourier ? formatIdr(chosenCourier.priceIdr) : '—'}</span>
          </li>
          {priced && priced.shippingDiscountIdr > 0 && (
            <li className="sum-line" data-testid="shipping-discount">
              <span>{t('checkout.shippingDiscount')}</span>
              <span>−{formatIdr(priced.shippingDiscountIdr)}</span>
            </li>
          )}
          {priced && priced.discountIdr > 0 && (
            <li className="sum-line" data-testid="discount">
              <span>{t('checkout.discount')}</span>
              <span>−{formatIdr(priced.discountIdr)}</span>
            </li>
          )}
          <li className="sum-line total">
            <span>{t('checkout.total')}</span>
            <strong data-testid="total">{formatIdr(priced?.totalIdr ?? subtotal + (chosenCourier?.priceIdr ?? 0))}</strong>
          </li>
        </ul>
      </section>

      <button type="submit" className="primary" disabled={busy}>
        {busy ? t('auth.working') : t('checkout.placeOrder')}
      </button>
    </form>
  );
}

export default function Checkout() {
  return (
    <RequireUser>
      <CheckoutForm />
    </RequireUser>
  );
}
