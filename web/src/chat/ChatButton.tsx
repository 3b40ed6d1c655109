import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useLocation, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../api/client';
import type { Shop } from '../api/types';
import { useSession } from '../api/session';
import { problemMessage } from '../lib/errors';
import { authPath } from '../lib/next';
import { Icon } from '../components/Icon';
import { openConversation } from './api';

/**
 * "Chat penjual": opens the buyer's conversation with the shop (from a product, an order or the
 * shop page), offering to send the product or order as a card. Not shown on one's own shop.
 */
export function ChatButton({ shopId, productId, orderId }: { shopId: string; productId?: string; orderId?: string }) {
  const { t } = useTranslation();
  const { user } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mine = useQuery({ queryKey: ['my-shops', user?.id], queryFn: () => api<{ items: Shop[] }>('/api/commerce/me/shops'), enabled: !!user });
  if (mine.data?.items.some((shop) => shop.id === shopId)) return null;

  async function open() {
    if (!user) return navigate(authPath('/masuk', location.pathname + location.search));
    setBusy(true);
    setError(null);
    try {
      const conversation = await openConversation(shopId);
      const card = productId ? `?produk=${productId}` : orderId ? `?pesanan=${orderId}` : '';
      navigate(`/chat/${conversation.id}${card}`);
    } catch (e) {
      setError(e instanceof ApiError && e.problem.type.endsWith('/chat-blocked') ? t('chat.blockedYou') : problemMessage(t, e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button type="button" className="chat-open" onClick={open} disabled={busy}>
        <Icon name="comment" size={18} /> {t('chat.button')}
      </button>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
