import { createHmac, randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { IdentityDatabase } from './store.js';
import { badRequest, conflict, tooManyRequests, validationFailed } from '../../platform/errors.js';
import { requireSubject } from '../../platform/http.js';
import { textProblem } from '../../platform/text.js';
import { escapeHtml, type Locale, type Mail, type Mailer } from './mail.js';
import { normaliseEmail, type IdentityService } from './service.js';
import { ProofFields, type Proof, type Reauthentication } from './reauth.js';

/** A sign-up link works for a day; a person may open their mail later. */
export const VERIFY_TTL_MS = 24 * 60 * 60 * 1000;
/** How many verification mails one account may ask for again in an hour. */
export const RESEND_PER_HOUR = 3;
/** A link to a new address works for an hour. */
export const CHANGE_TTL_MS = 60 * 60 * 1000;

/** One answer for a used, expired, unknown and someone else's token. */
const INVALID_TOKEN = 'This confirmation link is not valid any more; ask for a new one.';

export type EmailPurpose = 'verify' | 'change';

export interface EmailOptions {
  db: IdentityDatabase;
  identity: IdentityService;
  mailer: Mailer;
  log: Logger;
  pepper: string;
  publicUrl: string;
  reauth: Reauthentication;
}

interface MailWords {
  subject: string;
  greeting: (name: string) => string;
  body: string;
  action: string;
  ignore: string;
}

/** A mail of a greeting, a paragraph, a link and a closing line, as plain text and HTML. */
export function linkMail(to: string, locale: Locale, words: MailWords, name: string, link: string | undefined): Mail {
  return {
    to,
    subject: words.subject,
    text: `${words.greeting(name)}\n\n${words.body}\n\n${link ? `${link}\n\n` : ''}${words.ignore}\n`,
    html:
      `<!doctype html><html lang="${locale}"><body>` +
      `<p>${escapeHtml(words.greeting(name))}</p><p>${escapeHtml(words.body)}</p>` +
      (link ? `<p><a href="${escapeHtml(link)}">${escapeHtml(words.action)}</a></p>` : '') +
      `<p>${escapeHtml(words.ignore)}</p></body></html>`,
  };
}

const VERIFY_MAIL: Record<Locale, MailWords> = {
  id: {
    subject: 'Verifikasi email Sekat Anda',
    greeting: (name) => `Halo, ${name}!`,
    body: 'Terima kasih telah mendaftar di Sekat. Buka tautan ini untuk memastikan email ini milik Anda (berlaku 24 jam, hanya sekali pakai):',
    action: 'Verifikasi email',
    ignore: 'Jika Anda tidak mendaftar di Sekat, abaikan email ini.',
  },
  en: {
    subject: 'Verify your Sekat email',
    greeting: (name) => `Hello, ${name}!`,
    body: 'Thank you for signing up to Sekat. Open this link to confirm this address is yours (it works for 24 hours, once):',
    action: 'Verify email',
    ignore: 'If you did not sign up to Sekat, ignore this email.',
  },
};

const CHANGE_MAIL: Record<Locale, MailWords> = {
  id: {
    subject: 'Konfirmasi email baru akun Sekat Anda',
    greeting: (name) => `Halo, ${name}!`,
    body: 'Anda meminta agar akun Sekat Anda memakai email ini. Buka tautan ini untuk mengonfirmasi (berlaku 1 jam, hanya sekali pakai):',
    action: 'Pakai email ini',
    ignore: 'Jika Anda tidak memintanya, abaikan email ini; akun tersebut tidak akan memakai alamat ini.',
  },
  en: {
    subject: 'Confirm the new email of your Sekat account',
    greeting: (name) => `Hello, ${name}!`,
    body: 'You asked for your Sekat account to use this address. Open this link to confirm (it works for an hour, once):',
    action: 'Use this email',
    ignore: 'If you did not ask for this, ignore this email; the account will not use this address.',
  },
};

const changeNotice = (locale: Locale, masked: string): MailWords =>
  locale === 'en'
    ? {
        subject: 'The email of your Sekat account is being changed',
        greeting: (name) => `Hello, ${name}!`,
        body: `Someone signed in to your account asked to change its email to ${masked}. It changes only once that address confirms it.`,
        action: '',
        ignore: 'If this was not you, sign in and change your password now, and sign out the other devices.',
      }
    : {
        subject: 'Email akun Sekat Anda sedang diganti',
        greeting: (name) => `Halo, ${name}!`,
        body: `Seseorang yang masuk ke akun Anda meminta agar emailnya diganti menjadi ${masked}. Email baru berlaku setelah alamat itu mengonfirmasi.`,
        action: '',
        ignore: 'Jika ini bukan Anda, masuk dan ganti kata sandi sekarang, lalu keluarkan perangkat lain.',
      };

/** `d***@contoh.id`: enough for the owner to recognise, not a gift to whoever reads the old inbox. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, Math.min(1, at))}***${email.slice(at)}`;
}

interface AccountForMail {
  id: string;
  email: string;
  display_name: string;
  locale: Locale;
  email_verified_at: Date | null;
}

/** Email verification at sign-up: a single-use link, hashed at rest, bound to the address it went to. */
export class EmailConfirmation {
  /** Mails still being sent after their answer went out; awaited on stop. */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: EmailOptions) {}

  hashToken(purpose: EmailPurpose, token: string): string {
    return createHmac('sha256', this.options.pepper).update(`email-${purpose}:${token}`).digest('base64url');
  }

  /** Runs mail work after the caller has its answer; a failure is logged, never the caller's 500. */
  inBackground(work: () => Promise<void>, what: string): void {
    const running = work()
      .catch((error: unknown) => this.options.log.error({ err: error }, `${what} mail failed`))
      .finally(() => this.pending.delete(running));
    this.pending.add(running);
  }

  async account(accountId: string): Promise<AccountForMail | undefined> {
    const row = await this.options.db
      .selectFrom('accounts')
      .select(['id', 'email', 'display_name', 'locale', 'email_verified_at'])
      .where('id', '=', accountId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return row;
  }

  /** Stores a new token for `email` and gives back the link that spends it. */
  async issueToken(db: IdentityDatabase, accountId: string, purpose: EmailPurpose, email: string, path: string, ttlMs: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await db
      .insertInto('email_tokens')
      .values({ token_hash: this.hashToken(purpose, token), account_id: accountId, purpose, email, expires_at: new Date(Date.now() + ttlMs) })
      .execute();
    return `${this.options.publicUrl}${path}?token=${token}`;
  }

  /** Mails a verification link for the account's current address (at sign-up, and on request). */
  async mailVerification(accountId: string): Promise<void> {
    const account = await this.account(accountId);
    if (!account || account.email_verified_at) return;
    const link = await this.issueToken(this.options.db, account.id, 'verify', account.email, '/email/verifikasi', VERIFY_TTL_MS);
    await this.options.mailer.send(linkMail(account.email, account.locale, VERIFY_MAIL[account.locale] ?? VERIFY_MAIL.id, account.display_name, link));
  }

  /** Another verification mail; 409 when the address is already verified. */
  async resendVerification(accountId: string): Promise<void> {
    const account = await this.account(accountId);
    if (!account) throw badRequest('This account cannot be verified.');
    if (account.email_verified_at) throw conflict('This email is already verified.', undefined, 'already-verified');
    this.inBackground(() => this.mailVerification(accountId), 'verification');
  }

  /**
   * Spends a verification token: the address it was sent to becomes verified, if it is still the
   * account's. Someone signed in to another account gets the same 400 as for an unknown token,
   * and the token stays good for its owner.
   */
  async verify(token: string, signedInAccountId: string | undefined): Promise<void> {
    const accountId = await this.options.db.transaction().execute(async (trx) => {
      const spent = await trx
        .updateTable('email_tokens')
        .set({ used_at: new Date() })
        .where('token_hash', '=', this.hashToken('verify', token))
        .where('purpose', '=', 'verify')
        .where('used_at', 'is', null)
        .where('expires_at', '>', new Date())
        .returning(['account_id', 'email'])
        .executeTakeFirst();
      if (!spent || (signedInAccountId !== undefined && spent.account_id !== signedInAccountId)) throw badRequest(INVALID_TOKEN);
      const verified = await trx
        .updateTable('accounts')
        .set({ email_verified_at: new Date() })
        .where('id', '=', spent.account_id)
        .where('email', '=', spent.email)
        .where('status', '=', 'active')
        .executeTakeFirst();
      if (verified.numUpdatedRows === 0n) throw badRequest(INVALID_TOKEN);
      // The other sign-up links still out have nothing left to confirm.
      await trx.updateTable('email_tokens').set({ used_at: new Date() }).where('account_id', '=', spent.account_id).where('purpose', '=', 'verify').where('used_at', 'is', null).execute();
      return spent.account_id;
    });
    this.options.identity.forgetCachedSessions(accountId);
  }

  /**
   * Starts moving the account to `newEmail` after the password (or a code) is given again: a link
   * goes to the new address, a notice to the old one. Nothing changes until the link is followed.
   */
  async requestChange(accountId: string, newEmailInput: string, proof: Proof): Promise<void> {
    const newEmail = normaliseEmail(newEmailInput);
    const problem = textProblem('email', newEmail);
    if (problem) throw validationFailed({ newEmail: [problem] });
    await this.options.reauth.confirm(accountId, proof);
    const account = await this.account(accountId);
    if (!account) throw badRequest('This account cannot change its email.');
    if (account.email === newEmail) throw validationFailed({ newEmail: ['is already this account’s email'] });
    const taken = await this.options.db.selectFrom('accounts').select('id').where('email', '=', newEmail).executeTakeFirst();
    if (taken) throw conflict('That email is already registered.', { newEmail: ['is already registered'] });
    const link = await this.issueToken(this.options.db, accountId, 'change', newEmail, '/email/ganti', CHANGE_TTL_MS);
    const locale = account.locale;
    this.inBackground(async () => {
      await this.options.mailer.send(linkMail(newEmail, locale, CHANGE_MAIL[locale] ?? CHANGE_MAIL.id, account.display_name, link));
      await this.options.mailer.send(linkMail(account.email, locale, changeNotice(locale, maskEmail(newEmail)), account.display_name, undefined));
    }, 'email change');
  }

  /** Follows a change link: the account's email becomes the address the link was sent to, verified. */
  async confirmChange(token: string, signedInAccountId: string | undefined): Promise<void> {
    const accountId = await this.options.db.transaction().execute(async (trx) => {
      const spent = await trx
        .updateTable('email_tokens')
        .set({ used_at: new Date() })
        .where('token_hash', '=', this.hashToken('change', token))
        .where('purpose', '=', 'change')
        .where('used_at', 'is', null)
        .where('expires_at', '>', new Date())
        .returning(['account_id', 'email'])
        .executeTakeFirst();
      if (!spent || (signedInAccountId !== undefined && spent.account_id !== signedInAccountId)) throw badRequest(INVALID_TOKEN);
      const taken = await trx.selectFrom('accounts').select('id').where('email', '=', spent.email).executeTakeFirst();
      if (taken) throw conflict('That email is already registered.', { newEmail: ['is already registered'] });
      const changed = await trx
        .updateTable('accounts')
        .set({ email: spent.email, email_verified_at: new Date() })
        .where('id', '=', spent.account_id)
        .where('status', '=', 'active')
        .executeTakeFirst()
        .catch((error: unknown) => {
          // Someone registered the address between the check and the update.
          if ((error as { code?: string }).code === '23505') throw conflict('That email is already registered.', { newEmail: ['is already registered'] });
          throw error;
        });
      if (changed.numUpdatedRows === 0n) throw badRequest(INVALID_TOKEN);
      // Links still out for the old address, or for other new ones, confirm nothing now.
      await trx.updateTable('email_tokens').set({ used_at: new Date() }).where('account_id', '=', spent.account_id).where('used_at', 'is', null).execute();
      return spent.account_id;
    });
    this.options.identity.forgetCachedSessions(accountId);
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}

const Accepted = Type.Object({ status: Type.Literal('accepted') });
const Token = Type.String({ minLength: 1, maxLength: 200 });

export function emailRoutes(confirmation: EmailConfirmation): FastifyPluginAsyncTypebox {
  return async (app) => {
    const checkResendLimit = app.createRateLimit({ max: RESEND_PER_HOUR, timeWindow: '1 hour', keyGenerator: (request) => `verify-resend:${request.subject ?? request.ip}` });
    const perAccount = async (request: FastifyRequest) => {
      requireSubject(request);
      const limit = await checkResendLimit(request);
      if (!limit.isAllowed && limit.isExceeded) throw tooManyRequests('Too many verification mails asked for; try again later.', limit.ttlInSeconds);
    };

    app.post(
      '/auth/email/verification',
      {
        schema: {
          tags: ['identity'],
          summary: 'Mail the verification link again (a few times an hour)',
          response: { 202: Accepted, 400: Type.Ref('Problem'), 401: Type.Ref('Problem'), 409: Type.Ref('Problem'), 429: Type.Ref('Problem') },
        },
        preHandler: perAccount,
      },
      async (request, reply) => {
        await confirmation.resendVerification(requireSubject(request));
        return reply.code(202).send({ status: 'accepted' as const });
      },
    );

    app.post(
      '/auth/email/change',
      {
        schema: {
          tags: ['identity'],
          summary: 'Ask to change the email: needs the password (or a code) again; confirmed by a link to the new address, the old one is told',
          body: Type.Object({ newEmail: Type.String({ minLength: 1, maxLength: 254 }), ...ProofFields }),
          response: { 202: Accepted, 400: Type.Ref('Problem'), 401: Type.Ref('Problem'), 403: Type.Ref('Problem'), 409: Type.Ref('Problem'), 429: Type.Ref('Problem') },
        },
        config: { rateLimit: { max: 10, timeWindow: '15 minutes', keyGenerator: (request: FastifyRequest) => `email-change:${request.subject ?? request.ip}` } },
      },
      async (request, reply) => {
        const { newEmail, password, code } = request.body;
        await confirmation.requestChange(requireSubject(request), newEmail, { password, code });
        return reply.code(202).send({ status: 'accepted' as const });
      },
    );

    app.post(
      '/auth/email/change/confirm',
      {
        schema: {
          tags: ['identity'],
          summary: 'Confirm a new email with the token from the link mailed to it (signed in or not)',
          body: Type.Object({ token: Token }),
          response: { 204: Type.Null(), 400: Type.Ref('Problem'), 409: Type.Ref('Problem'), 429: Type.Ref('Problem') },
        },
        config: { rateLimit: { max: 20, timeWindow: '15 minutes' } },
      },
      async (request, reply) => {
        await confirmation.confirmChange(request.body.token, request.subject);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/email/verify',
      {
        schema: {
          tags: ['identity'],
          summary: 'Confirm an address with the token from the mailed link (signed in or not)',
          body: Type.Object({ token: Token }),
          response: { 204: Type.Null(), 400: Type.Ref('Problem'), 429: Type.Ref('Problem') },
        },
        config: { rateLimit: { max: 20, timeWindow: '15 minutes' } },
      },
      async (request, reply) => {
        await confirmation.verify(request.body.token, request.subject);
        return reply.code(204).send(null);
      },
    );
  };
}
