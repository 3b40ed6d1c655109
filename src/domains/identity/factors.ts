import type { IdentityDatabase } from './store.js';
import { HttpProblem } from '../../platform/errors.js';

/** The second factors an account has set up. */
export interface SecondFactors {
  totp: boolean;
  passkeys: number;
}

/** The one place that decides what second factors an account has. */
export async function secondFactorsOf(db: IdentityDatabase, accountId: string): Promise<SecondFactors> {
  const row = await db
    .selectFrom('accounts as a')
    .select((eb) => [
      eb.exists(eb.selectFrom('totp_factors').select('account_id').whereRef('account_id', '=', 'a.id').where('confirmed_at', 'is not', null)).as('totp'),
      eb.selectFrom('passkeys').select((p) => p.fn.countAll<string>().as('n')).whereRef('account_id', '=', 'a.id').as('passkeys'),
    ])
    .where('a.id', '=', accountId)
    .executeTakeFirst();
  return { totp: Boolean(row?.totp), passkeys: Number(row?.passkeys ?? 0) };
}

export function hasSecondFactor(factors: SecondFactors): boolean {
  return factors.totp || factors.passkeys > 0;
}

/**
 * Whether an operator account may act as one in this session: it needs a second factor, and the
 * session must have been signed in with it.
 */
export type OperatorStanding = 'ready' | 'second-factor-missing' | 'second-factor-not-used';

/** 403 for an operator whose account has no second factor, or whose session was opened without it. */
export function secondFactorRequired(standing: Exclude<OperatorStanding, 'ready'>): HttpProblem {
  const enrolled = standing === 'second-factor-not-used';
  return new HttpProblem(
    403,
    'second-factor-required',
    'Second factor required',
    enrolled
      ? 'Operators sign in with their second factor: sign out, then sign in again with a code from your authenticator app.'
      : 'Operators need a second factor: set up two-step sign-in (an authenticator app), then sign in again with a code.',
    undefined,
    undefined,
    { enrolled },
  );
}

/** The TOTP part of a privacy export: whether it is on and since when, and how many recovery codes are left; never the secret or the codes. */
export async function totpExport(db: IdentityDatabase, accountId: string): Promise<{ enabled: boolean; enabledAt: string | null; recoveryCodesLeft: number }> {
  const factor = await db.selectFrom('totp_factors').select(['confirmed_at']).where('account_id', '=', accountId).where('confirmed_at', 'is not', null).executeTakeFirst();
  if (!factor) return { enabled: false, enabledAt: null, recoveryCodesLeft: 0 };
  const left = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', accountId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { enabled: true, enabledAt: factor.confirmed_at?.toISOString() ?? null, recoveryCodesLeft: Number(left.n) };
}
