import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Review } from '../api/types';
import { formatDate } from '../lib/format';
import { useFormErrors } from './useFormErrors';

/** The shop's reply form: one reply per review, which the shop may edit. */
function ReplyForm({ review, productId, onDone }: { review: Review; productId: string; onDone(): void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  const [text, setText] = useState(review.reply?.text ?? '');
  const save = useMutation({
    mutationFn: () => api<Review>(`/api/commerce/reviews/${review.id}/reply`, { method: 'PUT', body: { text } }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['reviews', productId] });
      onDone();
    },
    onError: (error) => errors.show(error),
  });
  const fieldId = `reply-${review.id}`;
  return (
    <form
      className="stack"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <div className="field">
        <label htmlFor={fieldId}>{t('reviews.replyLabel')}</label>
        <textarea
          id={fieldId} rows={2} maxLength={1000} value={text}
          onChange={(e) => setText(e.target.value)} aria-invalid={errors.fields.text ? true : undefined}
        />
        {errors.fields.text && (
          <small className="error" role="alert">
            {errors.fields.text.join(' ')}
          </small>
        )}
      </div>
      {errors.message && !errors.fields.text && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="primary" disabled={save.isPending}>
          {t('reviews.sendReply')}
        </button>
      </div>
    </form>
  );
}

/** One review: stars, text, the buyer's photos and the shop's reply (which the shop can write or edit). */
export function ReviewItem({ review, productId, shopOwned }: { review: Review; productId: string; shopOwned: boolean }) {
  const { t, i18n } = useTranslation();
  const [replying, setReplying] = useState(false);
  return (
    <li className="review stack">
      <p>
        <span aria-label={t('product.stars', { count: review.rating })}>
          {'★'.repeat(review.rating)}
          {'☆'.repeat(5 - review.rating)}
        </span>{' '}
        <span className="muted small">{formatDate(review.createdAt, i18n.language)}</span>
      </p>
      {review.text && <p>{review.text}</p>}
      {review.photoUrls.length > 0 && (
        <ul className="review-photos" aria-label={t('reviews.photosOf')}>
          {review.photoUrls.map((url, i) => (
            <li key={url}>
              <a href={url} target="_blank" rel="noopener noreferrer">
                <img src={url} alt={t('reviews.photoN', { n: i + 1 })} loading="lazy" />
              </a>
            </li>
          ))}
        </ul>
      )}
      {review.reply && !replying && (
        <div className="seller-reply">
          <p className="small">
            <strong>{t('reviews.sellerReply')}</strong> <span className="muted">{formatDate(review.reply.at, i18n.language)}</span>
          </p>
          <p>{review.reply.text}</p>
        </div>
      )}
      {shopOwned &&
        (replying ? (
          <ReplyForm review={review} productId={productId} onDone={() => setReplying(false)} />
        ) : (
          <button type="button" onClick={() => setReplying(true)}>
            {review.reply ? t('reviews.editReply') : t('reviews.reply')}
          </button>
        ))}
    </li>
  );
}
