/** Why an anonymous person was sent to sign in; the sign-in page says it back to them. */
export type SignInReason = 'like' | 'follow' | 'cart' | 'buy' | 'comment';
const REASONS: readonly string[] = ['like', 'follow', 'cart', 'buy', 'comment'];

/** Only a path on this site may be returned to: `//host` or `https://…` would leave it. */
export function safeNext(raw: string | null): string | null {
  return raw && raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/\\') ? raw : null;
}

export function signInReason(raw: string | null): SignInReason | null {
  return raw && REASONS.includes(raw) ? (raw as SignInReason) : null;
}

/** The sign-in (or sign-up) page that brings the person back to `next`, saying why they came. */
export function authPath(page: '/masuk' | '/daftar', next: string | null, reason?: SignInReason | null): string {
  const query = new URLSearchParams();
  if (next) query.set('next', next);
  if (reason) query.set('alasan', reason);
  const text = query.toString();
  return text ? `${page}?${text}` : page;
}
