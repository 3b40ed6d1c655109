import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Icon } from '../components/Icon';
import { useNotificationStreams, useUnreadTotal } from './api';

/** The header's bell: both domains' unread items summed, kept live by their streams. */
export function NotificationBell() {
  const { t } = useTranslation();
  useNotificationStreams();
  const unread = useUnreadTotal();
  return (
    <Link to="/notifikasi" className="bell" aria-label={unread > 0 ? t('notifications.bellUnread', { count: unread }) : t('notifications.bell')} data-testid="bell">
      <Icon name="bell" />
      {unread > 0 && (
        <span className="chat-badge bell-count" aria-hidden="true">
          {unread > 99 ? '99+' : unread}
        </span>
      )}
    </Link>
  );
}
