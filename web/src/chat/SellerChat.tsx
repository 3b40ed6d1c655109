import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Shop } from '../api/types';
import { ConversationList } from './ConversationList';

interface ResponseRate {
  conversations: number;
  answeredWithin12h: number;
  responseRatePercent: number | null;
}

/** Pusat Penjual → Chat: the shop's conversations with buyers, and its response rate. */
export function SellerChat({ shop }: { shop: Shop }) {
  const { t } = useTranslation();
  const rate = useQuery({ queryKey: ['chat-rate', shop.id], queryFn: () => api<ResponseRate>(`/api/commerce/shops/${shop.id}/chat/response-rate`) });
  return (
    <section className="card stack" aria-labelledby="seller-chat-title">
      <h2 id="seller-chat-title">{t('chat.sellerTitle')}</h2>
      <p className="muted">{t('chat.sellerIntro')}</p>
      {rate.data && (
        <p className="chat-rate">
          {rate.data.responseRatePercent === null ? t('chat.rateNone') : t('chat.rate', { percent: rate.data.responseRatePercent, answered: rate.data.answeredWithin12h, count: rate.data.conversations })}
        </p>
      )}
      <ConversationList url={`/api/commerce/shops/${shop.id}/chat/conversations`} side="shop" />
    </section>
  );
}

/** The shop's response rate for buyers, on its public page (nothing while there is none). */
export function ShopResponseRate({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const rate = useQuery({ queryKey: ['chat-rate', shopId], queryFn: () => api<ResponseRate>(`/api/commerce/shops/${shopId}/chat/response-rate`) });
  if (rate.data?.responseRatePercent == null) return null;
  return <p className="muted chat-rate">{t('chat.ratePublic', { percent: rate.data.responseRatePercent })}</p>;
}

/** The unread count of one shop, for its tab. */
export function useShopUnread(unread: { shops: { shopId: string; unread: number }[] } | undefined, shopId: string): number {
  return unread?.shops.find((s) => s.shopId === shopId)?.unread ?? 0;
}
