import { useTranslation } from 'react-i18next';
import { RequireUser } from '../components/RequireUser';
import { ConversationList } from './ConversationList';

/** Saya → Chat: the buyer's conversations with shops. */
export default function Inbox() {
  const { t } = useTranslation();
  return (
    <RequireUser>
      <section className="card stack" aria-labelledby="chat-inbox-title">
        <h1 id="chat-inbox-title">{t('chat.inboxTitle')}</h1>
        <p className="muted">{t('chat.inboxIntro')}</p>
        <ConversationList url="/api/commerce/chat/conversations" side="buyer" />
      </section>
    </RequireUser>
  );
}
