import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BackoffKey, BackoffPolicy, BackoffStore } from '../../platform/backoff.js';
import { tooManyRequests } from '../../platform/errors.js';
import { normaliseEmail } from './service.js';

/** Waits double from 2 s up to 15 min; counters forget an hour after the last attempt. */
export const LOGIN_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 15 * 60_000, memoryMs: 60 * 60_000 };
/** Mistakes a person makes at one account from one place before any wait. */
const FREE_PER_PAIR = 5;
/**
 * Failed sign-ins of one account from unknown devices, all addresses together, after which each
 * address gets a single try before it waits. A fresh address always gets its try, so strangers
 * who fail on purpose slow each other down but never lock the owner out.
 */
const ACCOUNT_UNDER_ATTACK = 10;
const FREE_PER_PAIR_UNDER_ATTACK = 1;
/** Failed sign-ins from one address across accounts (people share addresses behind mobile NAT). */
const FREE_PER_ADDRESS = 20;
const COUNT_ONLY = Number.MAX_SAFE_INTEGER;

/** The cookie a device gets on a successful sign-in; it proves that device knew the password before. */
export const DEVICE_COOKIE = 'sekat_device';
const DEVICE_COOKIE_DAYS = 365;
const MAX_ACCOUNTS_PER_DEVICE = 5;
const NONCE = /^[A-Za-z0-9_-]{22}$/;

export interface LoginAttempt {
  keys: BackoffKey[];
  /** Cleared when the password is right; every other key only has this attempt taken back. */
  own: string;
  emailKey: string;
  nonce: string | undefined;
}

/**
 * Sign-in throttling as OWASP describes it: back off per account and address, per address across
 * accounts, and per account only for devices that never signed in to it. A device that did (its
 * device cookie names the account) is throttled on its own and nothing else, so neither a flood of
 * wrong passwords for the owner's email nor a shared address keeps the owner out.
 */
export class LoginThrottle {
  private readonly key: Buffer;

  constructor(
    private readonly store: BackoffStore,
    pepper: string,
  ) {
    this.key = createHmac('sha256', pepper).update('sekat login throttle').digest();
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url').slice(0, 22);
  }

  private deviceTags(request: FastifyRequest): { nonce: string | undefined; tags: string[] } {
    const [nonce, ...tags] = (request.cookies[DEVICE_COOKIE] ?? '').split('.');
    if (!nonce || !NONCE.test(nonce)) return { nonce: undefined, tags: [] };
    return { nonce, tags: tags.filter((tag) => NONCE.test(tag)).slice(0, MAX_ACCOUNTS_PER_DEVICE) };
  }

  /** Counts the attempt, or throws 429 with Retry-After while this caller must wait. */
  async begin(request: FastifyRequest, email: string): Promise<LoginAttempt> {
    const emailKey = this.emailKeyOf(email);
    const { nonce, tags } = this.deviceTags(request);
    const expected = nonce ? Buffer.from(this.mac(`device:${nonce}:${emailKey}`)) : undefined;
    const known = expected !== undefined && tags.some((tag) => timingSafeEqual(Buffer.from(tag), expected));
    const address = this.mac(`address:${request.ip}`);
    let keys: BackoffKey[];
    if (known) {
      keys = [{ key: `device:${emailKey}:${nonce}`, free: FREE_PER_PAIR }];
    } else {
      const underAttack = (await this.store.count(`account:${emailKey}`)) >= ACCOUNT_UNDER_ATTACK;
      keys = [
        { key: `pair:${emailKey}:${address}`, free: underAttack ? FREE_PER_PAIR_UNDER_ATTACK : FREE_PER_PAIR },
        { key: `address:${address}`, free: FREE_PER_ADDRESS },
        { key: `account:${emailKey}`, free: COUNT_ONLY },
      ];
    }
    const waitMs = await this.store.attempt(keys);
    if (waitMs > 0) throw tooManyRequests('Too many sign-in attempts; try again later.', Math.ceil(waitMs / 1000));
    return { keys, own: keys[0]!.key, emailKey, nonce };
  }

  /** The password was right: this caller starts afresh, and the device is known from now on. */
  async succeeded(request: FastifyRequest, reply: FastifyReply, attempt: LoginAttempt): Promise<void> {
    await this.store.settle(
      attempt.keys.map((k) => k.key).filter((key) => key !== attempt.own),
      [attempt.own],
    );
    this.rememberDevice(request, reply, attempt.emailKey);
  }

  /** Marks the device as one that signed in to the account (a new account counts too). */
  rememberDevice(request: FastifyRequest, reply: FastifyReply, emailKey: string): void {
    const known = this.deviceTags(request);
    const nonce = known.nonce ?? randomBytes(16).toString('base64url');
    const tag = this.mac(`device:${nonce}:${emailKey}`);
    const tags = [tag, ...(known.nonce ? known.tags.filter((t) => t !== tag) : [])].slice(0, MAX_ACCOUNTS_PER_DEVICE);
    reply.setCookie(DEVICE_COOKIE, [nonce, ...tags].join('.'), {
      httpOnly: true,
      sameSite: 'strict',
      path: '/api/auth',
      secure: request.protocol === 'https',
      maxAge: DEVICE_COOKIE_DAYS * 24 * 3600,
    });
  }

  emailKeyOf(email: string): string {
    return this.mac(`email:${normaliseEmail(email)}`);
  }
}
