import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { IdentityDatabase } from './store.js';
import type { BackoffStore } from '../../platform/backoff.js';
import { badRequest, conflict, tooManyRequests, unauthorized } from '../../platform/errors.js';

/** RFC 6238 as every authenticator app reads it: SHA-1, six digits, a 30-second step. */
const PERIOD = 30;
const DIGITS = 6;
/** A code from the step before or after still counts (clocks drift; people type slowly). */
const WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;
/** Ten characters of an alphabet without look-alikes, shown as two groups of five. */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** How long the step between a right password and the code may take. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** Wrong codes at one account before each try must wait (2 s, doubling). */
const FREE_CODE_TRIES = 5;

export interface TotpEnrolment {
  secret: string;
  otpauthUrl: string;
  /** The otpauth URL as a QR code, an SVG data URL. */
  qrCode: string;
}

/**
 * TOTP second factor with recovery codes. The shared secret is kept encrypted (it must be read
 * back to check codes); recovery codes only as keyed hashes. The last accepted time step is
 * stored, so each code signs in once.
 */
export class TotpFactor {
  private readonly secretKey: Buffer;

  constructor(
    private readonly db: IdentityDatabase,
    private readonly pepper: string,
    private readonly backoff: BackoffStore,
  ) {
    this.secretKey = createHmac('sha256', pepper).update('sekat totp secret key').digest();
  }

  private seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.secretKey, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), sealed].map((part) => part.toString('base64url')).join('.');
  }

  private open(sealed: string): string {
    const [iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', this.secretKey, iv!);
    decipher.setAuthTag(tag!);
    return Buffer.concat([decipher.update(data!), decipher.final()]).toString('utf8');
  }

  private hashRecoveryCode(accountId: string, code: string): string {
    return createHmac('sha256', this.pepper).update(`recovery:${accountId}:${normaliseRecoveryCode(code)}`).digest('base64url');
  }

  private totpOf(secret: string, label = 'Sekat'): TOTP {
    return new TOTP({ issuer: 'Sekat', label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD, secret: Secret.fromBase32(secret) });
  }

  async isEnabled(accountId: string): Promise<boolean> {
    const row = await this.db.selectFrom('totp_factors').select('account_id').where('account_id', '=', accountId).where('confirmed_at', 'is not', null).executeTakeFirst();
    return row !== undefined;
  }

  async status(accountId: string): Promise<{ enabled: boolean; recoveryCodesLeft: number }> {
    const enabled = await this.isEnabled(accountId);
    if (!enabled) return { enabled, recoveryCodesLeft: 0 };
    const left = await this.db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('account_id', '=', accountId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return { enabled, recoveryCodesLeft: Number(left.n) };
  }

  /** A new secret waiting for its first code; it replaces an earlier unconfirmed one. */
  async beginEnrolment(accountId: string, label: string): Promise<TotpEnrolment> {
    if (await this.isEnabled(accountId)) throw conflict('Two-step sign-in is already on; turn it off first to set it up again.', undefined, 'totp-enabled');
    const secret = new Secret({ size: 20 }).base32;
    await this.db.deleteFrom('totp_factors').where('account_id', '=', accountId).where('confirmed_at', 'is', null).execute();
    await this.db.insertInto('totp_factors').values({ account_id: accountId, secret_sealed: this.seal(secret) }).execute();
    const otpauthUrl = this.totpOf(secret, label).toString();
    const svg = await QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, otpauthUrl, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  }

  /** The first code proves the app holds the secret: the factor is on, and ten recovery codes come back once. */
  async confirmEnrolment(accountId: string, code: string): Promise<string[]> {
    const pending = await this.db.selectFrom('totp_factors').select(['secret_sealed', 'confirmed_at']).where('account_id', '=', accountId).executeTakeFirst();
    if (!pending) throw badRequest('Start setting up two-step sign-in first.');
    if (pending.confirmed_at) throw conflict('Two-step sign-in is already on.', undefined, 'totp-enabled');
    const step = this.matchingStep(this.open(pending.secret_sealed as string), code);
    if (step === undefined) throw badRequest('That code is not right; check the time on your phone and try the newest code.', { code: ['is not the current code'] });
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
    await this.db.transaction().execute(async (trx) => {
      const confirmed = await trx
        .updateTable('totp_factors')
        .set({ confirmed_at: new Date(), last_step: step })
        .where('account_id', '=', accountId)
        .where('confirmed_at', 'is', null)
        .executeTakeFirst();
      if (confirmed.numUpdatedRows === 0n) throw conflict('Two-step sign-in is already on.', undefined, 'totp-enabled');
      await trx.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
      await trx.insertInto('recovery_codes').values(codes.map((c) => ({ account_id: accountId, code_hash: this.hashRecoveryCode(accountId, c) }))).execute();
    });
    return codes;
  }

  /**
   * Ten recovery codes for an account that has none left, shown once; undefined when it still has
   * some. A passkey alone must not be the only way past the second step: losing the device would
   * lose the account, so the first passkey comes with codes as TOTP does.
   */
  async issueRecoveryCodesIfNone(accountId: string): Promise<string[] | undefined> {
    return this.db.transaction().execute(async (trx) => {
      await trx.selectFrom('accounts').select('id').where('id', '=', accountId).forUpdate().executeTakeFirst();
      const left = await trx.selectFrom('recovery_codes').select('account_id').where('account_id', '=', accountId).where('used_at', 'is', null).executeTakeFirst();
      if (left) return undefined;
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
      await trx.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
      await trx.insertInto('recovery_codes').values(codes.map((c) => ({ account_id: accountId, code_hash: this.hashRecoveryCode(accountId, c) }))).execute();
      return codes;
    });
  }

  /** Whether the account has an unused recovery code. */
  async hasRecoveryCodes(accountId: string): Promise<boolean> {
    return (await this.db.selectFrom('recovery_codes').select('account_id').where('account_id', '=', accountId).where('used_at', 'is', null).executeTakeFirst()) !== undefined;
  }

  private matchingStep(secret: string, code: string, now = Date.now()): number | undefined {
    const token = code.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(token)) return undefined;
    const delta = this.totpOf(secret).validate({ token, timestamp: now, window: WINDOW });
    return delta === null ? undefined : Math.floor(now / 1000 / PERIOD) + delta;
  }

  /**
   * Whether `code` is a current authenticator code not used before, or an unused recovery code;
   * either is spent by being accepted. Wrong codes are slowed per account after five.
   */
  async checkCode(accountId: string, code: string): Promise<boolean> {
    const key = `totp:${accountId}`;
    const waitMs = await this.backoff.attempt([{ key, free: FREE_CODE_TRIES }]);
    if (waitMs > 0) throw tooManyRequests('Too many wrong codes; wait a moment and try again.', Math.ceil(waitMs / 1000));
    const ok = (await this.spendTotpCode(accountId, code)) || (await this.spendRecoveryCode(accountId, code));
    if (ok) await this.backoff.settle([], [key]);
    return ok;
  }

  private async spendTotpCode(accountId: string, code: string): Promise<boolean> {
    const row = await this.db.selectFrom('totp_factors').select(['secret_sealed']).where('account_id', '=', accountId).where('confirmed_at', 'is not', null).executeTakeFirst();
    if (!row) return false;
    const step = this.matchingStep(this.open(row.secret_sealed as string), code);
    if (step === undefined) return false;
    // Accepted only if no code of this step or a later one was: a code works once.
    const spent = await this.db
      .updateTable('totp_factors')
      .set({ last_step: step })
      .where('account_id', '=', accountId)
      .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
      .executeTakeFirst();
    return spent.numUpdatedRows > 0n;
  }

  private async spendRecoveryCode(accountId: string, code: string): Promise<boolean> {
    if (!looksLikeRecoveryCode(code)) return false;
    const spent = await this.db
      .updateTable('recovery_codes')
      .set({ used_at: new Date() })
      .where('account_id', '=', accountId)
      .where('code_hash', '=', this.hashRecoveryCode(accountId, code))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return spent.numUpdatedRows > 0n;
  }

  /** Turning the factor off needs a code (or a recovery code), so a stolen session cannot. */
  async disable(accountId: string, code: string): Promise<void> {
    if (!(await this.isEnabled(accountId))) throw conflict('Two-step sign-in is not on.', undefined, 'totp-disabled');
    if (!(await this.checkCode(accountId, code))) throw badRequest('That code is not right.', { code: ['is not a current or recovery code'] });
    await this.db.transaction().execute(async (trx) => {
      // Recovery codes stay while a passkey is still a second factor: they are its way back.
      const passkey = await trx.selectFrom('passkeys').select('id').where('account_id', '=', accountId).executeTakeFirst();
      if (!passkey) await trx.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
      await trx.deleteFrom('totp_factors').where('account_id', '=', accountId).execute();
    });
  }

  // ── The second step of signing in ───────────────────────────────────────────────────────────

  private hashChallenge(challenge: string): string {
    return createHmac('sha256', this.pepper).update(`sign-in-challenge:${challenge}`).digest('base64url');
  }

  /** Issued after a right password, when the account has a second factor; the code is asked with it. */
  async issueChallenge(accountId: string): Promise<string> {
    const challenge = randomBytes(32).toString('base64url');
    await this.db
      .insertInto('sign_in_challenges')
      .values({ token_hash: this.hashChallenge(challenge), account_id: accountId, expires_at: new Date(Date.now() + CHALLENGE_TTL_MS) })
      .execute();
    return challenge;
  }

  /** The account a live, unspent sign-in challenge is for (any second factor may answer it). */
  async pendingChallenge(challenge: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('sign_in_challenges')
      .select('account_id')
      .where('token_hash', '=', this.hashChallenge(challenge))
      .where('used_at', 'is', null)
      .where('expires_at', '>', new Date())
      .executeTakeFirst();
    return row?.account_id as string | undefined;
  }

  /** Spends a sign-in challenge once its second factor was right; refused when it was spent meanwhile. */
  async spendChallenge(challenge: string, db: IdentityDatabase = this.db): Promise<void> {
    const spent = await db.updateTable('sign_in_challenges').set({ used_at: new Date() }).where('token_hash', '=', this.hashChallenge(challenge)).where('used_at', 'is', null).executeTakeFirst();
    if (spent.numUpdatedRows === 0n) throw signInExpired();
  }

  /** The account a live challenge is for, once `code` is right; the challenge is then spent. */
  async completeChallenge(challenge: string, code: string): Promise<string> {
    const accountId = await this.pendingChallenge(challenge);
    if (!accountId) throw signInExpired();
    if (!(await this.checkCode(accountId, code))) throw unauthorized('That code is not right.');
    await this.spendChallenge(challenge);
    return accountId;
  }
}

export const signInExpired = () => unauthorized('This sign-in has expired; enter your email and password again.');

function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]!);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]+/g, '');
}

function looksLikeRecoveryCode(code: string): boolean {
  return /^[a-z0-9]{10}$/.test(normaliseRecoveryCode(code));
}
