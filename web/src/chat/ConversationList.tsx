import { useCallback } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page } from '../api/types';
import { ErrorNote, Loading } from '../components/Alert';
import { formatDateTime } from '../lib/format';
import { useChatEvents, type Conversation } from './api';

/** An inbox: conversations latest first, each with its unread badge; live. */
export function ConversationList({ url, side }: { url: string; side: 'buyer' | 'shop' }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['chat-list', url], queryFn: () => api<Page<Conversation>>(url) });
  const refresh = useCallback(() => void client.invalidateQueries({ queryKey: ['chat-list', url] }), [client, url]);
  useChatEvents(refresh, refresh);
  if (list.isLoading) return <Loading />;
  if (!list.data) return <ErrorNote error={list.error} />;
  if (list.data.items.length === 0) return <p className="muted">{t(side === 'buyer' ? 'chat.noneBuyer' : 'chat.noneShop')}</p>;
  return (
    <ul className="chat-list">
      {list.data.items.map((c) => {
        const who = side === 'buyer' ? c.shop.name : c.buyer.label;
        const preview = !c.lastMessage ? '' : c.lastMessage.preview === '' ? t('chat.removedShort') : c.lastMessage.preview.startsWith('[') ? t(`chat.preview.${c.lastMessage.preview.slice(1, -1)}`, { defaultValue: c.lastMessage.preview }) : c.lastMessage.preview;
        return (
          <li key={c.id}>
            <Link to={`/chat/${c.id}`} className={c.unread > 0 ? 'unread' : undefined}>
              <span className="chat-who">
                <strong>{who}</strong>
                {c.unread > 0 && (
                  <span className="chat-badge" aria-label={t('chat.unreadCount', { count: c.unread })}>
                    {c.unread}
                  </span>
                )}
              </span>
              <span className="chat-preview">
                {c.lastMessage?.from === side ? `${t('chat.you')}: ` : ''}
                {preview}
              </span>
              {c.lastMessage && <small className="muted">{formatDateTime(c.lastMessage.at, i18n.language)}</small>}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
