import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { useSession } from '../api/session';
import { ErrorNote, Loading } from '../components/Alert';
import { formatDateTime, formatIdr } from '../lib/format';
import SignIn from '../pages/SignIn';
import { DOMAINS, hrefOf, markRead, useMergedInbox, type Domain, type Shown } from './api';

function useText() {
  const { t } = useTranslation();
  return (item: Shown): string => {
    const d = item.data;
    const amount = typeof d.totalIdr === 'number' ? formatIdr(d.totalIdr) : typeof d.amountIdr === 'number' ? formatIdr(d.amountIdr) : '';
    const shop = typeof d.shopName === 'string' ? d.shopName : '';
    if (item.domain === 'commerce') {
      const from = item.target.type === 'seller_chat' ? String(d.buyer ?? '') : shop;
      return t(`notifications.msg.${item.kind}`, { shop, amount, count: item.count, from, defaultValue: t('notifications.msg.order_update', { shop }) });
    }
    const name = item.actor?.displayName ?? t('notifications.someone');
    const others = item.actors - 1;
    const key = others > 0 && item.kind !== 'live' ? `${item.kind}Many` : item.kind;
    return t(`notifications.msg.${key}`, { name, others, title: String(d.title ?? '') });
  };
}

/** /notifikasi: the commerce and the social inbox, merged by time here and nowhere else. */
export default function InboxPage() {
  const { t, i18n } = useTranslation();
  const { user } = useSession();
  const inbox = useMergedInbox();
  const client = useQueryClient();
  const text = useText();
  if (!user) return <SignIn />;
  const items = inbox.data?.pages.flatMap((p) => p.items) ?? [];
  const failed = [...new Set(inbox.data?.pages.flatMap((p) => p.failed) ?? [])];
  const refresh = (domain: Domain, unread: number) => {
    client.setQueryData(['notifications', domain, 'unread'], unread);
    void client.invalidateQueries({ queryKey: ['notifications', 'list'] });
  };
  const open = (item: Shown) => {
    if (item.unread) void markRead(item.domain, { ids: [item.id] }).then((r) => refresh(item.domain, r.unread), () => undefined);
  };
  const markAll = async () => {
    await Promise.all(DOMAINS.map((domain) => markRead(domain, { all: true }).then((r) => refresh(domain, r.unread), () => undefined)));
  };
  return (
    <section className="card stack" aria-labelledby="notif-title">
      <div className="notif-head">
        <h1 id="notif-title">{t('notifications.title')}</h1>
        <Link to="/notifikasi/pengaturan">{t('notifications.settings')}</Link>
      </div>
      {items.some((i) => i.unread) && (
        <button type="button" className="secondary" onClick={() => void markAll()}>
          {t('notifications.markAll')}
        </button>
      )}
      {failed.length > 0 && <p className="note">{t('notifications.partFailed', { part: failed.map((d) => t(`notifications.${d}`)).join(', ') })}</p>}
      {inbox.isPending ? (
        <Loading />
      ) : inbox.error ? (
        <ErrorNote error={inbox.error} />
      ) : items.length === 0 ? (
        <p>{t('notifications.empty')}</p>
      ) : (
        <ul className="notif-list" data-testid="notifications">
          {items.map((item) => (
            <li key={`${item.domain}:${item.id}`} className={item.unread ? 'unread' : undefined}>
              <Link to={hrefOf(item)} onClick={() => open(item)}>
                <span className="notif-text">{text(item)}</span>
                <span className="notif-meta">
                  {item.unread && <span className="notif-dot" aria-label={t('notifications.unread')} />}
                  <small>
                    {t(`notifications.${item.domain}`)} · <time dateTime={item.at}>{formatDateTime(item.at, i18n.language)}</time>
                  </small>
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {inbox.hasNextPage && (
        <button type="button" className="secondary" disabled={inbox.isFetchingNextPage} onClick={() => void inbox.fetchNextPage()}>
          {t('notifications.loadMore')}
        </button>
      )}
    </section>
  );
}
