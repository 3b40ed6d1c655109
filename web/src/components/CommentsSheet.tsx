import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Comment, Page } from '../api/types';
import { useSession } from '../api/session';
import { formatDateTime } from '../lib/format';
import { authPath } from '../lib/next';
import { Sheet } from './Sheet';
import { ErrorNote, Loading } from './Alert';
import { useFormErrors } from './useFormErrors';
import { ReportButton } from '../moderation/ReportButton';

export function CommentsSheet({ videoId, open, onClose, onPosted }: { videoId: string; open: boolean; onClose(): void; onPosted?(): void }) {
  const { t, i18n } = useTranslation();
  const { user } = useSession();
  const client = useQueryClient();
  const errors = useFormErrors();
  const [text, setText] = useState('');
  const comments = useQuery({ queryKey: ['comments', videoId], queryFn: () => api<Page<Comment>>(`/api/social/videos/${videoId}/comments`), enabled: open });
  const post = useMutation({
    mutationFn: () => api<Comment>(`/api/social/videos/${videoId}/comments`, { body: { text } }),
    onSuccess: () => {
      setText('');
      errors.clear();
      onPosted?.();
      void client.invalidateQueries({ queryKey: ['comments', videoId] });
    },
    onError: (error) => errors.show(error),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (text.trim()) post.mutate();
  }

  return (
    <Sheet title={t('comments.title')} open={open} onClose={onClose}>
      {comments.isLoading && <Loading />}
      <ErrorNote error={comments.error} />
      <ul className="comments">
        {comments.data?.items.map((c) => (
          <li key={c.id}>
            <Link to={`/@${c.author.handle}`}>@{c.author.handle}</Link> <span className="muted small">{formatDateTime(c.createdAt, i18n.language)}</span>
            <p>{c.text}</p>
            {user && user.handle !== c.author.handle && <ReportButton kind="comment" id={c.id} className="link small" />}
          </li>
        ))}
        {comments.data && comments.data.items.length === 0 && <li className="muted">{t('comments.empty')}</li>}
      </ul>
      {user ? (
        <form onSubmit={submit} className="inline-form">
          <label htmlFor={`comment-${videoId}`} className="visually-hidden">
            {t('comments.label')}
          </label>
          <input id={`comment-${videoId}`} value={text} maxLength={500} placeholder={t('comments.placeholder')} onChange={(e) => setText(e.target.value)} aria-invalid={errors.fields.text ? true : undefined} />
          <button type="submit" className="primary-inline" disabled={post.isPending || !text.trim()}>
            {t('comments.send')}
          </button>
        </form>
      ) : (
        <p>
          <Link to={authPath('/masuk', `/video/${videoId}`, 'comment')}>{t('comments.signIn')}</Link>
        </p>
      )}
      {errors.message && (
        <p className="error" role="alert">
          {errors.fields.text?.join(' ') ?? errors.message}
        </p>
      )}
    </Sheet>
  );
}
