import type { FastifyInstance } from 'fastify';

/**
 * The one test kit every test signs people up and waits with. Domain testkits re-export these and
 * add only their own domain's helpers.
 */

/** A person signed up over HTTP: everything any test reads of them. */
export interface TestUser {
  token: string;
  handle: string;
  accountId: string;
  email: string;
  /** The bearer header (social's tests call it `auth`, commerce's `headers`: the same object). */
  auth: { authorization: string };
  headers: { authorization: string };
}

export interface RegisterOptions {
  /** The handle; by default one made from `label` and a counter. */
  handle?: string;
  /** A word the default handle, email and display name are made from. */
  label?: string;
  email?: string;
  displayName?: string;
  password?: string;
}

export const TEST_PASSWORD = 'kata-sandi-yang-panjang';

let registered = 0;

/** Signs a person up. Registration is rate limited per address: each comes from their own. */
export async function registerUser(app: FastifyInstance, options: RegisterOptions = {}): Promise<TestUser> {
  registered++;
  const n = `${Date.now().toString(36)}${registered}`;
  const label = options.label ?? 'user';
  const handle = options.handle ?? `${label.slice(0, 8)}_${n}`.slice(0, 24);
  const email = options.email ?? `${options.handle ? handle.replace(/\./g, '') : `${label}${n}`}@example.id`;
  const response = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    remoteAddress: `10.${(registered >> 16) & 255}.${(registered >> 8) & 255}.${registered & 255}`,
    payload: { email, password: options.password ?? TEST_PASSWORD, handle, displayName: options.displayName ?? `Nama ${handle}` },
  });
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`);
  const body = response.json() as { token: string; user: { id: string } };
  const auth = { authorization: `Bearer ${body.token}` };
  return { token: body.token, handle, accountId: body.user.id, email, auth, headers: auth };
}

/** Polls `check` until it gives a value (anything but undefined), or throws after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
