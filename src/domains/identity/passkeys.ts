import { createHmac, randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { sql } from 'kysely';
import type { IdentityDatabase } from './store.js';
import { conflict, HttpProblem, notFound, validationFailed } from '../../platform/errors.js';
import { uuidv7 } from '../../platform/ids.js';
import { describeUserAgent } from './user-agent.js';

/** How long one ceremony may take, from its options to its answer. */
export const PASSKEY_CHALLENGE_TTL_MS = 3 * 60 * 1000;
/** How long the browser waits for the authenticator (a little less than the challenge lives). */
const CEREMONY_TIMEOUT_MS = 2 * 60 * 1000;
export const PASSKEY_NAME_MAX = 60;
/** Enough for every authenticator a person owns; stops a stolen session filling the table. */
export const PASSKEYS_PER_ACCOUNT = 20;

type Purpose = 'register' | 'second-factor' | 'passwordless';

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  transports: string[];
  backedUp: boolean;
}

export interface RelyingParty {
  /** The host name the credentials are scoped to (PUBLIC_URL's). */
  id: string;
  /** The origin the browser must report (PUBLIC_URL's). */
  origin: string;
  name: string;
}

/** What a ceremony's answer is checked against: the flow that asked for it. */
interface Binding {
  accountId?: string;
  /** A hash of the session (registration) or of the password step's challenge (second factor). */
  secret?: string;
}

interface PasskeyRow {
  id: string;
  account_id: string;
  credential_id: string;
  public_key: Uint8Array;
  counter: string | number;
  transports: string[];
  user_handle: string;
  name: string;
  backed_up: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

export const passkeyRejected = (status: 400 | 401) =>
  new HttpProblem(status, 'passkey-rejected', 'Passkey not accepted', 'That passkey answer was not accepted; start again.');
const flowExpired = (status: 400 | 401) =>
  new HttpProblem(status, 'passkey-flow-expired', 'Passkey step expired', 'This passkey step has expired or was already used; start again.');

export const relyingPartyOf = (publicUrl: string): RelyingParty => {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin, name: 'Sekat' };
};

/**
 * Passkeys (WebAuthn) for an account: registered while signed in, then a second factor after the
 * password, or a sign-in on their own when the authenticator keeps them (discoverable). Each
 * ceremony's challenge is single use, lives minutes, and is answered only by the flow it was given
 * to; a wrong origin, an unknown credential or a counter that went back changes nothing.
 */
export class Passkeys {
  constructor(
    private readonly db: IdentityDatabase,
    private readonly pepper: string,
    private readonly rp: RelyingParty,
  ) {}

  hashOf(kind: string, value: string): string {
    return createHmac('sha256', this.pepper).update(`webauthn-${kind}:${value}`).digest('base64url');
  }

  /** The WebAuthn user handle of an account: stable, and says nothing about the person. */
  private userHandleOf(accountId: string): Uint8Array<ArrayBuffer> {
    return Uint8Array.from(createHmac('sha256', this.pepper).update(`webauthn-user:${accountId}`).digest());
  }

  private async issue(purpose: Purpose, challenge: string, binding: Binding): Promise<string> {
    const flow = randomBytes(32).toString('base64url');
    await this.db.deleteFrom('webauthn_challenges').where('expires_at', '<', sql<Date>`now()`).execute();
    await this.db
      .insertInto('webauthn_challenges')
      .values({
        flow_hash: this.hashOf('flow', flow),
        purpose,
        challenge,
        account_id: binding.accountId ?? null,
        binding_hash: binding.secret ?? null,
        expires_at: new Date(Date.now() + PASSKEY_CHALLENGE_TTL_MS),
      })
      .execute();
    return flow;
  }

  /**
   * Spends the flow's challenge before its answer is checked, so an answer is tried once: a second
   * try with it (a replay) finds nothing. Answers the challenge it was issued with.
   */
  private async spend(flow: string, purpose: Purpose, binding: Binding, status: 400 | 401): Promise<string> {
    let query = this.db
      .updateTable('webauthn_challenges')
      .set({ used_at: sql`now()` })
      .where('flow_hash', '=', this.hashOf('flow', flow))
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`);
    query = binding.accountId ? query.where('account_id', '=', binding.accountId) : query.where('account_id', 'is', null);
    query = binding.secret ? query.where('binding_hash', '=', binding.secret) : query.where('binding_hash', 'is', null);
    const row = await query.returning('challenge').executeTakeFirst();
    if (!row) throw flowExpired(status);
    return row.challenge;
  }

  private async rowsOf(accountId: string): Promise<PasskeyRow[]> {
    return (await this.db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute());
  }

  async count(accountId: string): Promise<number> {
    const row = await this.db.selectFrom('passkeys').select((eb) => eb.fn.countAll<string>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async list(accountId: string): Promise<PasskeyView[]> {
    return (await this.rowsOf(accountId)).map(viewOf);
  }

  // ── Registering one, signed in ──────────────────────────────────────────────────────────────

  async registrationOptions(
    account: { id: string; email: string; displayName: string },
    sessionToken: string,
  ): Promise<{ flow: string; options: PublicKeyCredentialCreationOptionsJSON }> {
    const existing = await this.rowsOf(account.id);
    if (existing.length >= PASSKEYS_PER_ACCOUNT) throw conflict(`An account can have at most ${PASSKEYS_PER_ACCOUNT} passkeys; remove one first.`, undefined, 'too-many-passkeys');
    const options = await generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: account.email,
      userDisplayName: account.displayName,
      userID: this.userHandleOf(account.id),
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: row.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    const flow = await this.issue('register', options.challenge, { accountId: account.id, secret: this.hashOf('session', sessionToken) });
    return { flow, options };
  }

  async register(
    accountId: string, sessionToken: string, flow: string, response: RegistrationResponseJSON, name: string | undefined, userAgent: string | undefined,
  ): Promise<PasskeyView> {
    const challenge = await this.spend(flow, 'register', { accountId, secret: this.hashOf('session', sessionToken) }, 400);
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        requireUserVerification: false,
      });
    } catch {
      throw passkeyRejected(400);
    }
    if (!verified.verified) throw passkeyRejected(400);
    const { credential, credentialBackedUp } = verified.registrationInfo;
    const chosen = name?.trim();
    const device = describeUserAgent(userAgent ?? null);
    const fallback = device.browser ? [device.browser, device.os].filter(Boolean).join(' · ') : 'Passkey';
    try {
      const row = await this.db
        .insertInto('passkeys')
        .values({
          id: uuidv7(),
          account_id: accountId,
          credential_id: credential.id,
          public_key: Buffer.from(credential.publicKey),
          counter: credential.counter,
          transports: credential.transports ?? [],
          user_handle: Buffer.from(this.userHandleOf(accountId)).toString('base64url'),
          name: (chosen || fallback).slice(0, PASSKEY_NAME_MAX),
          backed_up: credentialBackedUp,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return viewOf(row);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw conflict('This passkey is already registered.', undefined, 'passkey-registered');
      throw error;
    }
  }

  async rename(accountId: string, passkeyId: string, name: string): Promise<PasskeyView> {
    const clean = name.trim();
    if (!clean) throw validationFailed({ name: ['is required'] });
    const row = await this.db
      .updateTable('passkeys')
      .set({ name: clean })
      .where('id', '=', passkeyId)
      .where('account_id', '=', accountId)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('No such passkey.');
    return viewOf(row);
  }

  async remove(accountId: string, passkeyId: string): Promise<void> {
    const gone = await this.db.deleteFrom('passkeys').where('id', '=', passkeyId).where('account_id', '=', accountId).executeTakeFirst();
    if (gone.numDeletedRows === 0n) throw notFound('No such passkey.');
  }

  // ── Signing in ──────────────────────────────────────────────────────────────────────────────

  /** Options for the step after the password: only this account's passkeys are asked for. */
  async secondFactorOptions(accountId: string, signInChallenge: string): Promise<{ flow: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    const rows = await this.rowsOf(accountId);
    if (rows.length === 0) throw new HttpProblem(400, 'no-passkey', 'No passkey', 'This account has no passkey; use the code from the authenticator app.');
    const options = await generateAuthenticationOptions({
      rpID: this.rp.id,
      timeout: CEREMONY_TIMEOUT_MS,
      userVerification: 'preferred',
      allowCredentials: rows.map((row) => ({ id: row.credential_id, transports: row.transports })),
    });
    const flow = await this.issue('second-factor', options.challenge, { accountId, secret: this.hashOf('sign-in', signInChallenge) });
    return { flow, options };
  }

  /**
   * Checks the passkey answer to the step after the password. `finish` runs in the same transaction
   * as the counter update (it spends the password step), so either both happen or neither.
   */
  async completeSecondFactor(
    accountId: string, signInChallenge: string, flow: string, response: AuthenticationResponseJSON, finish: (trx: IdentityDatabase) => Promise<void>,
  ): Promise<void> {
    const challenge = await this.spend(flow, 'second-factor', { accountId, secret: this.hashOf('sign-in', signInChallenge) }, 401);
    await this.verify(challenge, response, false, accountId, finish);
  }

  /** Options for signing in with a passkey alone: the authenticator offers the ones it keeps. */
  async passwordlessOptions(): Promise<{ flow: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    const options = await generateAuthenticationOptions({ rpID: this.rp.id, timeout: CEREMONY_TIMEOUT_MS, userVerification: 'required' });
    const flow = await this.issue('passwordless', options.challenge, {});
    return { flow, options };
  }

  /** The account a discoverable passkey answer signs in; its user must have been verified (PIN, biometrics). */
  async completePasswordless(flow: string, response: AuthenticationResponseJSON): Promise<string> {
    const challenge = await this.spend(flow, 'passwordless', {}, 401);
    return this.verify(challenge, response, true);
  }

  private async verify(
    challenge: string, response: AuthenticationResponseJSON, passwordless: boolean, accountId?: string, finish?: (trx: IdentityDatabase) => Promise<void>,
  ): Promise<string> {
    const row = (await this.db
      .selectFrom('passkeys as p')
      .innerJoin('accounts as a', 'a.id', 'p.account_id')
      .selectAll('p')
      .where('p.credential_id', '=', response.id)
      .where('a.status', '=', 'active')
      .executeTakeFirst());
    if (!row || (accountId !== undefined && row.account_id !== accountId)) throw passkeyRejected(401);
    // A discoverable credential names its user; it must be the one it was made for.
    if (passwordless && response.response.userHandle !== row.user_handle) throw passkeyRejected(401);
    const counter = Number(row.counter);
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        credential: { id: row.credential_id, publicKey: Uint8Array.from(row.public_key), counter, transports: row.transports },
        requireUserVerification: passwordless,
      });
    } catch {
      throw passkeyRejected(401);
    }
    if (!verified.verified) throw passkeyRejected(401);
    await this.db.transaction().execute(async (trx) => {
      // Only from the counter that was checked: two answers racing cannot both move it.
      const moved = await trx
        .updateTable('passkeys')
        .set({ counter: verified.authenticationInfo.newCounter, last_used_at: sql`now()`, backed_up: verified.authenticationInfo.credentialBackedUp })
        .where('id', '=', row.id)
        .where('counter', '=', counter)
        .executeTakeFirst();
      if (moved.numUpdatedRows === 0n) throw passkeyRejected(401);
      await finish?.(trx);
    });
    return row.account_id;
  }
}

function viewOf(row: PasskeyRow): PasskeyView {
  return {
    id: row.id,
    name: row.name,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    transports: row.transports ?? [],
    backedUp: row.backed_up,
  };
}
