import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { OrderDetail } from '../api/types';
import { formatIdr, orderNumber } from '../lib/format';
import { ConfirmButton } from '../components/ConfirmButton';
import { Timeline } from '../components/Timeline';
import { CourierTracking } from '../components/CourierTracking';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';
import { useFormErrors } from '../components/useFormErrors';
import { ChatButton } from '../chat/ChatButton';
import { ReturnPanel } from '../returns/ReturnPanel';

/** As the server allows (review photos). */
const MAX_REVIEW_PHOTOS = 5;

function ReviewForm({ order }: { order: OrderDetail }) {
  const { t } = useTranslation();
  const [lineId, setLineId] = useState(order.lines[0]?.id ?? '');
  const [rating, setRating] = useState(5);
  const [text, setText] = useState('');
  const [done, setDone] = useState<string[]>([]);
  const [photos, setPhotos] = useState<File[]>([]);
  const [refusedPhotos, setRefusedPhotos] = useState<string[]>([]);
  const errors = useFormErrors();
  const review = useMutation({
    // The review first, then its photos one by one: a photo the server refuses does not lose the review.
    mutationFn: async () => {
      const created = await api<{ id: string }>(`/api/commerce/orders/${order.id}/reviews`, { body: { rating, text, lineId } });
      const refused: string[] = [];
      for (const file of photos) {
        await api(`/api/commerce/reviews/${created.id}/photos`, { raw: file, headers: { 'content-type': file.type || 'application/octet-stream' } }).catch(() => refused.push(file.name));
      }
      return refused;
    },
    onSuccess: (refused) => {
      setDone([...done, lineId]);
      setText('');
      setPhotos([]);
      setRefusedPhotos(refused);
      errors.clear();
    },
    onError: (error) => errors.show(error, { 409: t('orders.alreadyReviewed') }),
  });
  const refusedNote = refusedPhotos.length > 0 && (
    <p className="alert" role="alert">
      {t('reviews.photosRefused', { names: refusedPhotos.join(', ') })}
    </p>
  );
  const open = order.lines.filter((l) => !done.includes(l.id));
  if (open.length === 0)
    return (
      <>
        <p className="ok" role="status">
          {t('orders.reviewThanks')}
        </p>
        {refusedNote}
      </>
    );
  return (
    <form
      className="stack"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        review.mutate();
      }}
    >
      <h3>{t('orders.review')}</h3>
      {order.lines.length > 1 && (
        <label className="field">
          {t('orders.reviewLine')}
          <select value={lineId} onChange={(e) => setLineId(e.target.value)}>
            {open.map((l) => (
              <option key={l.id} value={l.id}>
                {l.title} · {l.variantName}
              </option>
            ))}
          </select>
        </label>
      )}
      <fieldset className="stars">
        <legend>{t('orders.rating')}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} className={n <= rating ? 'on' : ''}>
            <input type="radio" name="rating" value={n} checked={rating === n} onChange={() => setRating(n)} />
            <span aria-hidden="true">★</span>
            <span className="visually-hidden">{t('product.stars', { count: n })}</span>
          </label>
        ))}
      </fieldset>
      <label className="field">
        {t('orders.reviewText')}
        <textarea value={text} maxLength={2000} rows={3} onChange={(e) => setText(e.target.value)} />
      </label>
      <div className="field">
        <label htmlFor={`review-photos-${order.id}`}>{t('reviews.photos')}</label>
        <input
          id={`review-photos-${order.id}`}
          type="file"
          accept="image/jpeg,image/png,image/webp"
          multiple
          aria-describedby={`review-photos-hint-${order.id}`}
          onChange={(e) => setPhotos([...(e.target.files ?? [])])}
        />
        <small id={`review-photos-hint-${order.id}`} className={photos.length > MAX_REVIEW_PHOTOS ? 'error' : 'hint'}>
          {photos.length > MAX_REVIEW_PHOTOS ? t('reviews.tooManyPhotos', { max: MAX_REVIEW_PHOTOS }) : t('reviews.photosHint', { count: photos.length, max: MAX_REVIEW_PHOTOS })}
        </small>
      </div>
      {refusedNote}
      {errors.message && <p className="alert" role="alert">{errors.message}</p>}
      <button type="submit" className="primary" disabled={review.isPending || photos.length > MAX_REVIEW_PHOTOS}>
        {t('orders.sendReview')}
      </button>
      {done.length > 0 && <p className="ok" role="status">{t('orders.reviewThanks')}</p>}
    </form>
  );
}

function OrderView() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const client = useQueryClient();
  const order = useQuery({ queryKey: ['order', id], queryFn: () => api<OrderDetail>(`/api/commerce/orders/${id}`) });
  const act = useMutation({
    mutationFn: ({ action, body }: { action: string; body?: unknown }) => api<OrderDetail>(`/api/commerce/orders/${id}/${action}`, { body: body ?? {} }),
    onSuccess: (data) => {
      client.setQueryData(['order', id], data);
      void client.invalidateQueries({ queryKey: ['orders'] });
    },
  });
  if (order.isLoading) return <Loading />;
  if (!order.data) return <ErrorNote error={order.error} />;
  const o = order.data;
  return (
    <section className="stack" aria-labelledby="order-title">
      <h1 id="order-title">{t('orders.order', { id: orderNumber(o.id) })}</h1>
      <p className={`status status-${o.status}`} role="status">
        {t(`orders.status.${o.status}`)}
      </p>
      <ChatButton shopId={o.shopId} orderId={o.id} />
      <div className="card">
        <Timeline order={o} />
      </div>
      <CourierTracking order={o} queryKeys={[['order', id], ['orders']]} />
      <div className="card">
        <ul className="plain">
          {o.lines.map((l) => (
            <li key={l.id} className="sum-line">
              <span>
                <Link to={`/produk/${l.productId}`}>{l.title}</Link> · {l.variantName} × {l.quantity}
              </span>
              <span>{formatIdr(l.lineTotalIdr)}</span>
            </li>
          ))}
          <li className="sum-line">
            <span>{t('checkout.shipping')} ({t(`couriers.${o.courier}`, { defaultValue: o.courier })})</span>
            <span>{formatIdr(o.shippingIdr)}</span>
          </li>
          {o.shippingDiscountIdr > 0 && (
            <li className="sum-line">
              <span>{t('checkout.shippingDiscount')}</span>
              <span>−{formatIdr(o.shippingDiscountIdr)}</span>
            </li>
          )}
          {o.discountIdr > 0 && (
            <li className="sum-line">
              <span>{t('checkout.discount')}</span>
              <span>−{formatIdr(o.discountIdr)}</span>
            </li>
          )}
          <li className="sum-line total">
            <span>{t('checkout.total')}</span>
            <strong>{formatIdr(o.totalIdr)}</strong>
          </li>
        </ul>
        {o.trackingNumber && (
          <p>
            {t('orders.tracking')}: <strong>{o.trackingNumber}</strong>
          </p>
        )}
        {o.latePayment && (
          <p role="status">
            {t('orders.latePayment', { amount: formatIdr(o.latePayment.amountIdr) })}
          </p>
        )}
        {o.refund && (
          <p role="status">
            {t(`orders.refund.${o.refund.status}`, { amount: formatIdr(o.refund.amountIdr) })}
          </p>
        )}
        <p className="muted small">
          {o.shippingAddress.recipient}, {o.shippingAddress.line1}, {o.shippingAddress.city}, {o.shippingAddress.province} {o.shippingAddress.postalCode}
        </p>
      </div>
      <ErrorNote error={act.error} />
      <div className="actions">
        {o.status === 'awaiting_payment' && (
          <Link className="button primary" to={`/pembayaran/${o.paymentId}`}>
            {t('orders.pay')}
          </Link>
        )}
        {(o.status === 'awaiting_payment' || o.status === 'confirmed') && (
          <ConfirmButton
            className=""
            label={t('orders.cancel')}
            title={t('orders.confirmCancel.title', { id: orderNumber(o.id) })}
            confirmLabel={t('orders.confirmCancel.confirm')}
            disabled={act.isPending}
            onConfirm={() => act.mutate({ action: 'cancel' })}
          >
            <p>{t(o.status === 'confirmed' ? 'orders.confirmCancel.cod' : 'orders.confirmCancel.unpaid')}</p>
          </ConfirmButton>
        )}
        {o.status === 'delivered' && (
          <button type="button" className="primary" disabled={act.isPending} onClick={() => act.mutate({ action: 'complete' })}>
            {t('orders.complete')}
          </button>
        )}
      </div>
      {(o.status === 'delivered' || o.returnReason !== null) && <ReturnPanel orderId={o.id} role="buyer" orderStatus={o.status} deliveredAt={o.deliveredAt} refreshKeys={[['order', id], ['orders']]} />}
      {o.status === 'completed' && (
        <div className="card">
          <ReviewForm order={o} />
        </div>
      )}
    </section>
  );
}

export default function OrderPage() {
  return (
    <RequireUser>
      <OrderView />
    </RequireUser>
  );
}
