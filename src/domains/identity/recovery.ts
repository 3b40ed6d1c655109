import { createHmac, randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { IdentityDatabase } from './store.js';
import { badRequest, tooManyRequests, validationFailed } from '../../platform/errors.js';
import { escapeHtml, type Locale, type Mail, type Mailer } from './mail.js';
import { hashPassword, normaliseEmail, passwordProblems, type IdentityService } from './service.js';

export const RESET_TTL_MS = 30 * 60 * 1000;

/** One answer for a used, expired and unknown token, so none of them says whether an email exists. */
const INVALID_TOKEN = 'This reset link is not valid any more; ask for a new one.';

export interface RecoveryOptions {
  db: IdentityDatabase;
  identity: IdentityService;
  mailer: Mailer;
  log: Logger;
  /** Key mixed into the token hashes. */
  pepper: string;
  /** Where the web app is reached, for the link in the mail. */
  publicUrl: string;
}

/** Password reset by a single-use link mailed to the account's address. */
export class PasswordRecovery {
  /** Reset requests still being worked on after their answer went out; awaited on stop. */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: RecoveryOptions) {}

  private hashToken(token: string): string {
    return createHmac('sha256', this.options.pepper).update(`password-reset:${token}`).digest('base64url');
  }

  /**
   * Looks the email up and mails a link after the caller has had its answer, so neither the
   * answer nor its timing says whether the address has an account.
   */
  requestReset(email: string): void {
    const work = this.mailResetLink(normaliseEmail(email))
      .catch((error: unknown) => this.options.log.error({ err: error }, 'password reset mail failed'))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  private async mailResetLink(email: string): Promise<void> {
    const account = await this.options.db
      .selectFrom('accounts')
      .select(['id', 'email', 'display_name', 'locale'])
      .where('email', '=', email)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (!account) return;
    const token = randomBytes(32).toString('base64url');
    await this.options.db
      .insertInto('password_resets')
      .values({ token_hash: this.hashToken(token), account_id: account.id, expires_at: new Date(Date.now() + RESET_TTL_MS) })
      .execute();
    const link = `${this.options.publicUrl}/sandi/baru?token=${token}`;
    await this.options.mailer.send(resetMail(account.email, account.display_name, link, account.locale));
  }

  /** Sets a new password with a token: the token is spent, other tokens too, and every session ends. */
  async resetPassword(token: string, password: string): Promise<void> {
    const problems = passwordProblems(password);
    if (problems) throw validationFailed({ password: problems });
    const passwordHash = await hashPassword(password);
    const now = new Date();
    await this.options.db.transaction().execute(async (trx) => {
      const spent = await trx
        .updateTable('password_resets')
        .set({ used_at: now })
        .where('token_hash', '=', this.hashToken(token))
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('account_id')
        .executeTakeFirst();
      if (!spent) throw badRequest(INVALID_TOKEN);
      const accountId = spent.account_id;
      const updated = await trx
        .updateTable('accounts')
        .set({ password_hash: passwordHash })
        .where('id', '=', accountId)
        .where('status', '=', 'active')
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw badRequest(INVALID_TOKEN);
      await trx.updateTable('password_resets').set({ used_at: now }).where('account_id', '=', accountId).where('used_at', 'is', null).execute();
      await this.options.identity.endAllSessions(accountId, trx);
    });
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    this.options.mailer.close();
  }
}

const RESET_MAIL: Record<Locale, { subject: string; greeting: (name: string) => string; body: string; action: string; ignore: string }> = {
  id: {
    subject: 'Atur ulang kata sandi Sekat Anda',
    greeting: (name) => `Halo, ${name}!`,
    body: 'Seseorang (semoga Anda) meminta untuk mengatur ulang kata sandi akun Sekat Anda. Tautan ini berlaku 30 menit dan hanya bisa dipakai sekali:',
    action: 'Atur kata sandi baru',
    ignore: 'Jika Anda tidak memintanya, abaikan email ini; kata sandi Anda tidak berubah.',
  },
  en: {
    subject: 'Reset your Sekat password',
    greeting: (name) => `Hello, ${name}!`,
    body: 'Someone (hopefully you) asked to reset the password of your Sekat account. This link works for 30 minutes and only once:',
    action: 'Set a new password',
    ignore: 'If you did not ask for this, ignore this email; your password stays as it is.',
  },
};

function resetMail(to: string, displayName: string, link: string, locale: Locale): Mail {
  const words = RESET_MAIL[locale] ?? RESET_MAIL.id;
  return {
    to,
    subject: words.subject,
    text: `${words.greeting(displayName)}\n\n${words.body}\n\n${link}\n\n${words.ignore}\n`,
    html:
      `<!doctype html><html lang="${locale}"><body>` +
      `<p>${escapeHtml(words.greeting(displayName))}</p><p>${escapeHtml(words.body)}</p>` +
      `<p><a href="${escapeHtml(link)}">${escapeHtml(words.action)}</a></p>` +
      `<p>${escapeHtml(words.ignore)}</p></body></html>`,
  };
}

const Accepted = Type.Object({ status: Type.Literal('accepted') });

export function recoveryRoutes(recovery: PasswordRecovery): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Per address on top of the per-IP limit, so nobody floods one inbox from many IPs.
    const checkEmailLimit = app.createRateLimit({
      max: 3,
      timeWindow: '1 hour',
      keyGenerator: (request) => `forgot:${normaliseEmail(String((request.body as { email?: unknown } | undefined)?.email ?? ''))}`,
    });
    const perEmail = async (request: FastifyRequest) => {
      const limit = await checkEmailLimit(request);
      if (!limit.isAllowed && limit.isExceeded) throw tooManyRequests('Too many reset requests for this email; try again later.', limit.ttlInSeconds);
    };

    app.post(
      '/auth/password/forgot',
      {
        schema: {
          tags: ['identity'],
          summary: 'Mail a password-reset link (the same answer whether or not the email has an account)',
          body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 254 }) }),
          response: { 202: Accepted, 400: Type.Ref('Problem'), 429: Type.Ref('Problem') },
        },
        config: { rateLimit: { max: 10, timeWindow: '15 minutes' } },
        preHandler: perEmail,
      },
      async (request, reply) => {
        recovery.requestReset(request.body.email);
        return reply.code(202).send({ status: 'accepted' as const });
      },
    );

    app.post(
      '/auth/password/reset',
      {
        schema: {
          tags: ['identity'],
          summary: 'Set a new password with a reset token; ends every session of the account',
          body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }),
          response: { 204: Type.Null(), 400: Type.Ref('Problem'), 429: Type.Ref('Problem') },
        },
        config: { rateLimit: { max: 20, timeWindow: '15 minutes' } },
      },
      async (request, reply) => {
        await recovery.resetPassword(request.body.token, request.body.password);
        return reply.code(204).send(null);
      },
    );
  };
}
