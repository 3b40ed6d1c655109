import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Reply } from '../api/types';
import { formatDateTime, formatIdr } from '../lib/format';
import { COURIERS } from '../lib/provinces';
import { ErrorNote } from '../components/Alert';
import { useFormErrors } from '../components/useFormErrors';

export const RETURN_REASONS = ['damaged', 'wrong_item', 'not_as_described', 'missing_parts', 'changed_mind'] as const;
/** Reasons the server asks a photo for (as returns.ts). */
const PHOTO_REQUIRED = new Set(['damaged', 'wrong_item', 'not_as_described', 'missing_parts']);
const MAX_PHOTOS = 6;
const RETURN_WINDOW_MS = 6 * 24 * 60 * 60 * 1000;

/** A return as the buyer, the seller and operators see it. */
export type ReturnView = Reply<'/api/commerce/orders/{id}/return'>;

/** Where the sandbox courier takes a return parcel next. */
const NEXT_STAGE: Record<string, string> = { booked: 'picked_up', picked_up: 'in_transit', in_transit: 'out_for_delivery', out_for_delivery: 'delivered' };

/** Uploads photos one by one (each checked and re-encoded by the server) and answers their ids. */
async function uploadPhotos(files: File[]): Promise<string[]> {
  const ids: string[] = [];
  for (const file of files) {
    const uploaded = await api<{ photoId: string }>('/api/commerce/returns/photos', { raw: file, headers: { 'content-type': file.type || 'application/octet-stream' } });
    ids.push(uploaded.photoId);
  }
  return ids;
}

function PhotoPicker({ id, files, onChange }: { id: string; files: File[]; onChange: (files: File[]) => void }) {
  const { t } = useTranslation();
  return (
    <div className="field">
      <label htmlFor={id}>{t('returns.photos')}</label>
      <input id={id} type="file" accept="image/jpeg,image/png,image/webp" multiple aria-describedby={`${id}-hint`} onChange={(e) => onChange([...(e.target.files ?? [])])} />
      <small id={`${id}-hint`} className={files.length > MAX_PHOTOS ? 'error' : 'hint'}>
        {files.length > MAX_PHOTOS ? t('returns.tooManyPhotos', { max: MAX_PHOTOS }) : t('returns.photosHint', { count: files.length, max: MAX_PHOTOS })}
      </small>
    </div>
  );
}

function RequestForm({ orderId, onDone }: { orderId: string; onDone: () => void }) {
  const { t } = useTranslation();
  const [reasonCode, setReasonCode] = useState<string>('damaged');
  const [text, setText] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [video, setVideo] = useState<File | null>(null);
  const errors = useFormErrors();
  const needsPhoto = PHOTO_REQUIRED.has(reasonCode);
  const send = useMutation({
    mutationFn: async () => {
      const photoIds = await uploadPhotos(files);
      const videoId = video
        ? (await api<{ videoId: string }>('/api/commerce/returns/videos', { raw: video, headers: { 'content-type': video.type || 'application/octet-stream' } })).videoId
        : undefined;
      return api<ReturnView>(`/api/commerce/orders/${orderId}/returns`, { body: { reasonCode, text, photoIds, ...(videoId ? { videoId } : {}) } });
    },
    onSuccess: () => {
      errors.clear();
      onDone();
    },
    onError: (error) => errors.show(error, { 415: t('returns.notAPhotoOrVideo') }),
  });
  return (
    <form
      className="card stack"
      aria-labelledby={`return-form-${orderId}`}
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        send.mutate();
      }}
    >
      <h3 id={`return-form-${orderId}`}>{t('returns.askTitle')}</h3>
      <p className="muted small">{t('returns.windowNote')}</p>
      <div className="field">
        <label htmlFor={`return-reason-${orderId}`}>{t('returns.reason')}</label>
        <select id={`return-reason-${orderId}`} value={reasonCode} onChange={(e) => setReasonCode(e.target.value)}>
          {RETURN_REASONS.map((r) => (
            <option key={r} value={r}>
              {t(`returns.reasons.${r}`)}
            </option>
          ))}
        </select>
      </div>
      <label className="field">
        {t('returns.text')}
        <textarea value={text} rows={3} maxLength={1000} onChange={(e) => setText(e.target.value)} />
      </label>
      <PhotoPicker id={`return-photos-${orderId}`} files={files} onChange={setFiles} />
      <div className="field">
        <label htmlFor={`return-video-${orderId}`}>{t('returns.video')}</label>
        <input id={`return-video-${orderId}`} type="file" accept="video/mp4,video/webm" aria-describedby={`return-video-hint-${orderId}`} onChange={(e) => setVideo(e.target.files?.[0] ?? null)} />
        <small id={`return-video-hint-${orderId}`} className="hint">
          {t('returns.videoHint')}
        </small>
      </div>
      {needsPhoto && files.length === 0 && <p className="muted small">{t('returns.photoNeeded')}</p>}
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <button type="submit" className="primary" disabled={send.isPending || (needsPhoto && files.length === 0) || files.length > MAX_PHOTOS}>
        {t('returns.send')}
      </button>
    </form>
  );
}

/** The two sides' words and photos. */
export function ReturnEvidence({ view }: { view: ReturnView }) {
  const { t } = useTranslation();
  const photos = (party: 'buyer' | 'seller') => view.evidence.filter((e) => e.party === party && e.kind === 'photo');
  const videos = (party: 'buyer' | 'seller') =>
    view.evidence
      .filter((e) => e.party === party && e.kind === 'video')
      .map((v) => <video key={v.url} src={v.url} controls preload="metadata" width={240} aria-label={t('returns.videoAlt')} />);
  return (
    <div className="stack">
      <div>
        <h4>{t('returns.buyerSide', { label: view.buyer.label })}</h4>
        <p>
          <strong>{t(`returns.reasons.${view.reasonCode}`, { defaultValue: view.reasonCode })}</strong>
          {view.reasonText && <> — {view.reasonText}</>}
        </p>
        <div className="return-photos">
          {photos('buyer').map((p, i) => (
            <a key={p.url} href={p.url} target="_blank" rel="noreferrer">
              <img src={p.url} alt={t('returns.photoAlt', { n: i + 1 })} width={96} height={96} loading="lazy" />
            </a>
          ))}
          {videos('buyer')}
        </div>
      </div>
      {(view.sellerReason || view.sellerResponse || photos('seller').length > 0) && (
        <div>
          <h4>{t('returns.sellerSide')}</h4>
          {view.sellerReason && <p>{t('returns.refusedBecause', { reason: view.sellerReason })}</p>}
          {view.sellerResponse && <p>{view.sellerResponse}</p>}
          <div className="return-photos">
            {photos('seller').map((p, i) => (
              <a key={p.url} href={p.url} target="_blank" rel="noreferrer">
                <img src={p.url} alt={t('returns.sellerPhotoAlt', { n: i + 1 })} width={96} height={96} loading="lazy" />
              </a>
            ))}
            {videos('seller')}
          </div>
        </div>
      )}
    </div>
  );
}

/** The return's steps, oldest first, each with who took it and the deadline it set. */
export function ReturnTimeline({ view }: { view: ReturnView }) {
  const { t, i18n } = useTranslation();
  return (
    <ol className="timeline">
      {view.events.map((e, i) => (
        <li key={`${e.at}-${i}`} className="done">
          <span className="dot" aria-hidden="true">
            ●
          </span>
          <span>{t(`returns.actions.${e.action}`, { defaultValue: e.action })}</span>
          {e.amountIdr !== null && <span> · {formatIdr(e.amountIdr)}</span>}
          {/* People's own words; the system's and the courier's steps speak through their label. */}
          {e.note && e.action !== 'request' && ['buyer', 'seller', 'operator'].includes(e.actor) && <span className="small"> — {e.note}</span>}
          <span className="muted small"> · {formatDateTime(e.at, i18n.language)}</span>
        </li>
      ))}
    </ol>
  );
}

function Actions({ view, role, refresh }: { view: ReturnView; role: 'buyer' | 'seller'; refresh: () => void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [reason, setReason] = useState('');
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [response, setResponse] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [courier, setCourier] = useState('jne_reg');
  const act = useMutation({
    mutationFn: async ({ path, body }: { path: string; body?: Record<string, unknown> }) => {
      const photoIds = path === 'response' ? await uploadPhotos(files) : undefined;
      return api(`/api/commerce/orders/${view.orderId}/return/${path}`, { body: { ...(body ?? {}), ...(photoIds ? { photoIds } : {}) } });
    },
    onSuccess: () => {
      errors.clear();
      setFiles([]);
      setResponse('');
      refresh();
    },
    onError: (error) => errors.show(error, { 415: t('returns.notAPhoto') }),
  });
  const busy = act.isPending;
  const open = !['refunded', 'partially_refunded', 'cancelled', 'closed'].includes(view.state);
  const next = view.shipment ? NEXT_STAGE[view.shipment.status] : undefined;
  return (
    <div className="stack">
      {role === 'seller' && view.state === 'requested' && (
        <div className="stack">
          <div className="actions">
            <button type="button" className="primary" disabled={busy} onClick={() => act.mutate({ path: 'accept' })}>
              {t('returns.accept')}
            </button>
          </div>
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              act.mutate({ path: 'refuse', body: { reason } });
            }}
          >
            <label className="field">
              {t('returns.refuseReason')}
              <input value={reason} maxLength={1000} onChange={(e) => setReason(e.target.value)} required />
            </label>
            <button type="submit" disabled={busy || !reason.trim()}>
              {t('returns.refuse')}
            </button>
          </form>
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              act.mutate({ path: 'offer', body: { amountIdr: Number(amount), ...(note.trim() ? { note } : {}) } });
            }}
          >
            <label className="field">
              {t('returns.offerAmount', { max: formatIdr(view.orderTotalIdr) })}
              <input type="number" inputMode="numeric" min={1} max={view.orderTotalIdr - 1} value={amount} onChange={(e) => setAmount(e.target.value)} required />
            </label>
            <label className="field">
              {t('returns.offerNote')}
              <input value={note} maxLength={1000} onChange={(e) => setNote(e.target.value)} />
            </label>
            <button type="submit" disabled={busy || !(Number(amount) > 0)}>
              {t('returns.offer')}
            </button>
          </form>
        </div>
      )}
      {role === 'buyer' && view.state === 'offered' && view.offerIdr !== null && (
        <div className="stack">
          <p>{t('returns.offerFor', { amount: formatIdr(view.offerIdr) })}</p>
          <div className="actions">
            <button type="button" className="primary" disabled={busy} onClick={() => act.mutate({ path: 'offer/accept' })}>
              {t('returns.acceptOffer')}
            </button>
            <button type="button" disabled={busy} onClick={() => act.mutate({ path: 'offer/decline' })}>
              {t('returns.declineOffer')}
            </button>
          </div>
        </div>
      )}
      {role === 'buyer' && (view.state === 'refused' || view.state === 'declined') && (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            act.mutate({ path: 'escalate', body: note.trim() ? { note } : {} });
          }}
        >
          <p className="muted small">{t('returns.escalateNote')}</p>
          <label className="field">
            {t('returns.escalateText')}
            <input value={note} maxLength={1000} onChange={(e) => setNote(e.target.value)} />
          </label>
          <button type="submit" disabled={busy}>
            {t('returns.escalate')}
          </button>
        </form>
      )}
      {role === 'buyer' && view.state === 'accepted' && (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            act.mutate({ path: 'ship', body: { courier } });
          }}
        >
          <p>{t('returns.shipNote')}</p>
          <div className="field">
            <label htmlFor={`return-courier-${view.id}`}>{t('checkout.courier')}</label>
            <select id={`return-courier-${view.id}`} value={courier} onChange={(e) => setCourier(e.target.value)}>
              {COURIERS.map((c) => (
                <option key={c} value={c}>
                  {t(`couriers.${c}`)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="primary" disabled={busy}>
            {t('returns.ship')}
          </button>
        </form>
      )}
      {role === 'seller' && open && view.state !== 'requested' && (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            act.mutate({ path: 'response', body: { text: response } });
          }}
        >
          <label className="field">
            {t('returns.response')}
            <textarea value={response} rows={2} maxLength={1000} onChange={(e) => setResponse(e.target.value)} required />
          </label>
          <PhotoPicker id={`return-response-photos-${view.id}`} files={files} onChange={setFiles} />
          <button type="submit" disabled={busy || !response.trim() || files.length > MAX_PHOTOS}>
            {t('returns.sendResponse')}
          </button>
        </form>
      )}
      {view.state === 'shipped' && next && (
        <div className="sandbox">
          <p className="muted small">{t('courier.sandboxNote')}</p>
          <button type="button" disabled={busy} onClick={() => act.mutate({ path: 'courier/simulate', body: { stage: next } })}>
            {t('courier.sandboxMove', { stage: t(`courier.stage.${next}`) })}
          </button>
        </div>
      )}
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
    </div>
  );
}

/**
 * A delivered order's return, for its buyer or its seller: the request form while the window is
 * open, then the return's state and deadline, both sides' evidence, the timeline, the parcel back
 * and what the viewer can do next.
 */
export function ReturnPanel({ orderId, role, orderStatus, deliveredAt, refreshKeys }: { orderId: string; role: 'buyer' | 'seller'; orderStatus: string; deliveredAt: string | null; refreshKeys: unknown[][] }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const mayHaveReturn = ['delivered', 'return_requested', 'refunded', 'completed'].includes(orderStatus);
  const query = useQuery({
    queryKey: ['return', orderId],
    queryFn: async () => {
      try {
        return await api<ReturnView>(`/api/commerce/orders/${orderId}/return`);
      } catch (error) {
        if (error instanceof ApiError && error.problem.status === 404) return null;
        throw error;
      }
    },
    enabled: mayHaveReturn,
  });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ['return', orderId] });
    for (const key of refreshKeys) void client.invalidateQueries({ queryKey: key });
  };
  if (!mayHaveReturn || query.isLoading) return null;
  if (query.error) return <ErrorNote error={query.error} />;
  const view = query.data;
  if (!view) {
    const windowOpen = orderStatus === 'delivered' && deliveredAt !== null && Date.parse(deliveredAt) + RETURN_WINDOW_MS > Date.now();
    if (role !== 'buyer' || !windowOpen) return null;
    return asking ? (
      <RequestForm
        orderId={orderId}
        onDone={() => {
          setAsking(false);
          refresh();
        }}
      />
    ) : (
      <div className="actions">
        <button type="button" onClick={() => setAsking(true)} aria-expanded={false}>
          {t('returns.ask')}
        </button>
      </div>
    );
  }
  return (
    <section className="card stack" aria-labelledby={`return-${orderId}`} data-return-state={view.state}>
      <h2 id={`return-${orderId}`} className="h3">
        {t('returns.title')}
      </h2>
      <p className={`status status-return-${view.state}`} role="status">
        {t(`returns.states.${view.state}`, { defaultValue: view.state })}
        {view.refundIdr !== null && <> · {formatIdr(view.refundIdr)}</>}
      </p>
      {view.deadlineAt && <p className="muted small">{t(`returns.deadline.${view.state}`, { date: formatDateTime(view.deadlineAt, i18n.language), defaultValue: '' })}</p>}
      <ReturnEvidence view={view} />
      {view.shipment && (
        <p>
          {t('returns.parcel')}: {t(`couriers.${view.shipment.courier}`, { defaultValue: view.shipment.courier })} · {t('courier.waybill')}: <strong className="mono">{view.shipment.waybill}</strong> ·{' '}
          {t(`courier.stage.${view.shipment.status}`)}
        </p>
      )}
      <ReturnTimeline view={view} />
      <Actions view={view} role={role} refresh={refresh} />
    </section>
  );
}
