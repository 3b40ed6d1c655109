import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../api/client';
import type { OrderDetail, Page, Product } from '../api/types';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';
import { ReportButton } from '../moderation/ReportButton';
import { problemMessage } from '../lib/errors';
import { formatDateTime, formatIdr, orderNumber } from '../lib/format';
import { useChatEvents, type ChatEvent, type ChatMessage, type Conversation } from './api';

const MAX_TEXT = 1000;
const PHOTO_TYPES = 'image/jpeg,image/png,image/webp';

function MessageBody({ m }: { m: ChatMessage }) {
  const { t } = useTranslation();
  if (m.removed) return <em className="muted">{t('chat.removed')}</em>;
  if (m.kind === 'product' && m.product) {
    return (
      <Link to={`/produk/${m.product.id}`} className="chat-card">
        {m.product.imageUrl && <img src={m.product.imageUrl} alt="" />}
        <span>
          <strong>{m.product.title}</strong>
          <br />
          {formatIdr(m.product.priceMinIdr)}
        </span>
      </Link>
    );
  }
  if (m.kind === 'order' && m.order) {
    return (
      <div className="chat-card">
        <span>
          <strong>{t('orders.order', { id: orderNumber(m.order.id) })}</strong> · {t(`orders.status.${m.order.status}`, { defaultValue: m.order.status })}
          <br />
          {m.order.firstItem}
          {m.order.items > 1 ? ` +${m.order.items - 1}` : ''} · {formatIdr(m.order.totalIdr)}
          {m.order.recipient && (
            <>
              <br />
              {t('chat.recipient', { name: m.order.recipient })}
            </>
          )}
        </span>
      </div>
    );
  }
  if (m.kind === 'photo' && m.photoUrl) return <img className="chat-photo" src={m.photoUrl} alt={t('chat.photoAlt')} />;
  return <span className="pre">{m.text}</span>;
}

/** A pending card from the page the chat was opened on: "send this product / order?". */
function PendingCard({ conversation, onSent }: { conversation: Conversation; onSent(m: ChatMessage): void }) {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const productId = params.get('produk');
  const orderId = params.get('pesanan');
  const product = useQuery({ queryKey: ['product', productId], queryFn: () => api<Product>(`/api/commerce/products/${productId}`), enabled: !!productId });
  const order = useQuery({ queryKey: ['order', orderId], queryFn: () => api<OrderDetail>(`/api/commerce/orders/${orderId}`), enabled: !!orderId && conversation.you === 'buyer' });
  const send = useMutation({
    mutationFn: () => api<ChatMessage>(`/api/commerce/chat/conversations/${conversation.id}/messages`, { body: productId ? { productId } : { orderId } }),
    onSuccess: (m) => {
      onSent(m);
      setParams({}, { replace: true });
    },
  });
  const label = product.data ? product.data.title : order.data ? t('orders.order', { id: orderNumber(order.data.id) }) : null;
  if (!label) return null;
  return (
    <div className="chat-pending">
      <span>
        {t(productId ? 'chat.aboutProduct' : 'chat.aboutOrder')}: <strong>{label}</strong>
      </span>
      <button type="button" onClick={() => send.mutate()} disabled={send.isPending}>
        {t(productId ? 'chat.sendProduct' : 'chat.sendOrder')}
      </button>
      {send.error && <ErrorNote error={send.error} />}
    </div>
  );
}

function Thread() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const conversation = useQuery({ queryKey: ['chat', id], queryFn: () => api<Conversation>(`/api/commerce/chat/conversations/${id}`) });
  const messages = useQuery({ queryKey: ['chat-messages', id], queryFn: async () => (await api<Page<ChatMessage>>(`/api/commerce/chat/conversations/${id}/messages?limit=100`)).items.reverse() });
  const [text, setText] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const bottom = useRef<HTMLLIElement>(null);
  const photo = useRef<HTMLInputElement>(null);

  const add = useCallback(
    (m: ChatMessage) => client.setQueryData<ChatMessage[]>(['chat-messages', id], (old) => (old?.some((o) => o.id === m.id) ? old : [...(old ?? []), m])),
    [client, id],
  );
  const markRead = useCallback(() => {
    void api(`/api/commerce/chat/conversations/${id}/read`, { body: {} }).then(() => void client.invalidateQueries({ queryKey: ['chat-unread'] }));
  }, [client, id]);

  const onEvent = useCallback(
    (event: ChatEvent) => {
      if (event.conversationId !== id) return;
      if (event.type === 'message') {
        add(event.message);
        if (!event.message.mine) markRead();
      } else if (event.type === 'read') {
        client.setQueryData<Conversation>(['chat', id], (old) => (old ? { ...old, otherReadUpTo: event.upTo } : old));
      } else {
        client.setQueryData<ChatMessage[]>(['chat-messages', id], (old) => old?.map((m) => (m.id === event.messageId ? { ...m, removed: true, text: '', photoUrl: null } : m)));
      }
    },
    [id, add, markRead, client],
  );
  const onHello = useCallback(() => void client.invalidateQueries({ queryKey: ['chat-messages', id] }), [client, id]);
  useChatEvents(onEvent, onHello);

  useEffect(() => {
    if (messages.data) markRead();
  }, [messages.data, markRead]);
  useEffect(() => {
    bottom.current?.scrollIntoView({ block: 'end' });
  }, [messages.data?.length]);

  function explain(error: unknown) {
    if (error instanceof ApiError && error.problem.type.endsWith('/chat-blocked')) return setFailure(t('chat.blockedYou'));
    if (error instanceof ApiError && error.problem.type.endsWith('/chat-flood')) return setFailure(t('chat.flood'));
    if (error instanceof ApiError && error.problem.status === 415) return setFailure(t('chat.notAPicture'));
    if (error instanceof ApiError && error.fieldErrors().text) return setFieldError(t('chat.tooLong', { max: MAX_TEXT }));
    setFailure(problemMessage(t, error));
  }

  const send = useMutation({
    mutationFn: (body: string) => api<ChatMessage>(`/api/commerce/chat/conversations/${id}/messages`, { body: { text: body } }),
    onSuccess: (m) => {
      add(m);
      setText('');
    },
    onError: explain,
  });
  const upload = useMutation({
    mutationFn: (file: File) => api<ChatMessage>(`/api/commerce/chat/conversations/${id}/photos`, { raw: file, headers: { 'content-type': file.type || 'application/octet-stream' } }),
    onSuccess: add,
    onError: explain,
  });
  const block = useMutation({
    mutationFn: (blocked: boolean) => api<Conversation>(`/api/commerce/chat/conversations/${id}/block`, { method: blocked ? 'PUT' : 'DELETE' }),
    onSuccess: (c) => client.setQueryData(['chat', id], c),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    setFieldError(null);
    const body = text.trim();
    if (!body) return;
    if ([...body].length > MAX_TEXT) return setFieldError(t('chat.tooLong', { max: MAX_TEXT }));
    send.mutate(body);
  }

  if (conversation.isLoading) return <Loading />;
  if (!conversation.data) return <ErrorNote error={conversation.error} />;
  const c = conversation.data;
  const title = c.you === 'buyer' ? c.shop.name : c.buyer.label;
  const lastMine = [...(messages.data ?? [])].reverse().find((m) => m.mine);
  const length = [...text].length;
  return (
    <section className="card stack chat-thread" aria-labelledby="chat-title">
      <header className="chat-head">
        <div>
          <h1 id="chat-title">{title}</h1>
          <p className="muted">
            {c.you === 'buyer' ? (
              <Link to={`/toko/${c.shop.slug}`}>{t('chat.visitShop')}</Link>
            ) : (
              t('chat.buyerPrivacy')
            )}
          </p>
        </div>
        {c.you === 'shop' && (
          <button type="button" onClick={() => block.mutate(!c.blocked)} disabled={block.isPending} aria-pressed={c.blocked}>
            {c.blocked ? t('chat.unblock') : t('chat.block')}
          </button>
        )}
      </header>
      {c.blocked && <p className="alert">{c.you === 'shop' ? t('chat.youBlocked') : t('chat.blockedYou')}</p>}
      <PendingCard conversation={c} onSent={add} />
      <ol className="chat-messages" aria-live="polite" aria-label={t('chat.messages')}>
        {messages.data?.length === 0 && <li className="muted">{t('chat.empty')}</li>}
        {messages.data?.map((m) => (
          <li key={m.id} className={`chat-message ${m.mine ? 'mine' : 'theirs'}`}>
            <div className="chat-bubble">
              <MessageBody m={m} />
            </div>
            <small className="muted">
              {formatDateTime(m.at, i18n.language)}
              {m.id === lastMine?.id && c.otherReadUpTo && c.otherReadUpTo >= m.id && <> · {t('chat.read')}</>}
              {!m.mine && !m.removed && (
                <>
                  {' · '}
                  <ReportButton kind="chat_message" id={m.id} />
                </>
              )}
            </small>
          </li>
        ))}
        <li ref={bottom} aria-hidden="true" />
      </ol>
      {failure && (
        <p className="alert" role="alert">
          {failure}
        </p>
      )}
      <form className="chat-compose" onSubmit={submit} noValidate>
        <label htmlFor="chat-text" className="visually-hidden">
          {t('chat.write')}
        </label>
        <textarea id="chat-text" rows={2} value={text} placeholder={t('chat.write')} aria-invalid={fieldError ? true : undefined} aria-describedby="chat-count" onChange={(e) => setText(e.target.value)} />
        <small id="chat-count" className={fieldError || length > MAX_TEXT ? 'error' : 'muted'}>
          {fieldError ?? `${length}/${MAX_TEXT}`}
        </small>
        <div className="chat-actions">
          <input ref={photo} type="file" accept={PHOTO_TYPES} className="visually-hidden" id="chat-photo" onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) upload.mutate(file);
            e.target.value = '';
          }} />
          <label htmlFor="chat-photo" className="button">
            {upload.isPending ? t('auth.working') : t('chat.photo')}
          </label>
          <button type="submit" className="primary-inline" disabled={send.isPending}>
            {t('chat.send')}
          </button>
        </div>
      </form>
    </section>
  );
}

export default function ConversationPage() {
  return (
    <RequireUser>
      <Thread />
    </RequireUser>
  );
}
