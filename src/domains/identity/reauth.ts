import { Type } from '@sinclair/typebox';
import { HttpProblem, validationFailed } from '../../platform/errors.js';
import type { IdentityService } from './service.js';

/** What a signed-in person gives again before a sensitive change: the password, or a second-factor code. */
export interface Proof {
  password?: string;
  code?: string;
}

export const ProofFields = {
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'The current password' })),
  code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A code from the authenticator app (or a recovery code), instead of the password' })),
};

/** Checks a second-factor code of the account; true when it is right (and spends it). */
export type CodeCheck = (accountId: string, code: string) => Promise<boolean>;

export const reauthenticationFailed = () =>
  new HttpProblem(403, 'reauthentication-failed', 'Re-authentication failed', 'That password or code is not right; this change needs it again.');

/** Asks for the password again, or a code of the second factor when the account has one. */
export class Reauthentication {
  private codeCheck: CodeCheck | undefined;

  constructor(private readonly identity: IdentityService) {}

  acceptCodes(check: CodeCheck): void {
    this.codeCheck = check;
  }

  async confirm(accountId: string, proof: Proof): Promise<void> {
    if (proof.password) {
      if (await this.identity.passwordMatches(accountId, proof.password)) return;
      throw reauthenticationFailed();
    }
    if (proof.code) {
      if (this.codeCheck && (await this.codeCheck(accountId, proof.code))) return;
      throw reauthenticationFailed();
    }
    throw validationFailed({ password: ['is needed again for this change'] }, 'Give your password (or a code from your authenticator app) again.');
  }
}
