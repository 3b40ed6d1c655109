import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { api, ApiError, type User } from '../api/client';

export interface PasskeyItem {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  transports: string[];
  backedUp: boolean;
}

/** The browser refused or the person backed out of the authenticator's prompt. */
export class PasskeyCancelled extends Error {}

export const passkeysSupported = () => browserSupportsWebAuthn();

/** Runs the browser's part of a ceremony; anything it throws means no passkey answer came. */
async function ceremony<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new PasskeyCancelled(error instanceof Error ? error.name : 'cancelled');
  }
}

type Options<K extends 'create' | 'get'> = K extends 'create' ? Parameters<typeof startRegistration>[0]['optionsJSON'] : Parameters<typeof startAuthentication>[0]['optionsJSON'];

export async function registerPasskey(password: string, name?: string): Promise<PasskeyItem & { recoveryCodes?: string[] }> {
  const { flow, options } = await api<{ flow: string; options: Options<'create'> }>('/api/auth/passkeys/registration/options', { body: { password } });
  const response = await ceremony(() => startRegistration({ optionsJSON: options }));
  return api<PasskeyItem & { recoveryCodes?: string[] }>('/api/auth/passkeys', { body: { flow, response, ...(name?.trim() ? { name: name.trim() } : {}) } });
}

export async function signInWithPasskey(): Promise<{ user: User }> {
  const { flow, options } = await api<{ flow: string; options: Options<'get'> }>('/api/auth/passkeys/sign-in/options', { method: 'POST' });
  const response = await ceremony(() => startAuthentication({ optionsJSON: options }));
  return api<{ user: User }>('/api/auth/passkeys/sign-in', { body: { flow, response } });
}

/** Answers the step after the password (its `challenge`) with one of the account's passkeys. */
export async function passkeySecondFactor(challenge: string): Promise<{ user: User }> {
  const { flow, options } = await api<{ flow: string; options: Options<'get'> }>('/api/auth/login/second-factor/passkey/options', { body: { challenge } });
  const response = await ceremony(() => startAuthentication({ optionsJSON: options }));
  return api<{ user: User }>('/api/auth/login/second-factor/passkey', { body: { challenge, flow, response } });
}
