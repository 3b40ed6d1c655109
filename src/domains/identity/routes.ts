import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problems, requireSubject, SESSION_COOKIE, sessionTokenOf } from '../../platform/http.js';
import { unauthorized } from '../../platform/errors.js';
import { localeOf } from './mail.js';
import { SESSION_TTL_MS, type Account, type IdentityService, type SessionDevice } from './service.js';
import type { LoginThrottle } from './throttle.js';

export const User = Type.Object(
  {
    id: Type.String(),
    handle: Type.String(),
    displayName: Type.String(),
    email: Type.Optional(Type.String()),
    roles: Type.Array(Type.String()),
    emailVerified: Type.Boolean({ description: 'Whether the address was confirmed; opening a shop, payouts and going live need it' }),
    secondFactor: Type.Optional(Type.Boolean({ description: 'Whether the account has a second factor (TOTP or a passkey); operators need one, sellers are urged to' })),
  },
  { $id: 'User' },
);

export type SecondFactorMethod = 'totp' | 'recovery-code' | 'passkey';

export const AuthResult = Type.Object({ user: Type.Ref(User), token: Type.String() });
const SecondFactorNeeded = Type.Object(
  {
    secondFactorRequired: Type.Literal(true),
    challenge: Type.String({ description: 'Give it with a code to POST /api/auth/login/second-factor (or a passkey answer to …/second-factor/passkey) within 5 minutes' }),
    methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('recovery-code'), Type.Literal('passkey')]), { description: 'The factors the account has' }),
  },
  { description: 'The password was right; the account asks for its second factor before a session' },
);

const Credentials = {
  email: Type.String({ minLength: 1, maxLength: 254 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
};

const PROBLEMS = problems(400, 401, 409, 429);

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeMs = SESSION_TTL_MS): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: request.protocol === 'https',
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

/**
 * The device a session is opened on: its User-Agent, and the country a CDN in front put in
 * CF-IPCountry (nothing when there is none; no address is kept or looked up).
 */
export function deviceOf(request: FastifyRequest): SessionDevice {
  const country = request.headers['cf-ipcountry'];
  return {
    userAgent: request.headers['user-agent'],
    country: typeof country === 'string' && /^[A-Z]{2}$/.test(country) && country !== 'XX' ? country : undefined,
  };
}

export const userOf = (account: Account, withEmail = true) => ({
  id: account.id,
  handle: account.handle,
  displayName: account.displayName,
  ...(withEmail ? { email: account.email } : {}),
  roles: account.roles,
  emailVerified: account.emailVerified,
});

export interface IdentityRouteHooks {
  /** After an account is created and signed in (the verification mail goes out from here). */
  registered?: (account: Account) => void;
  /** When the account has a second factor, a challenge to sign in with it instead of a session, and the factors that may answer. */
  secondFactorChallenge?: (account: Account) => Promise<{ challenge: string; methods: SecondFactorMethod[] } | undefined>;
  /** Whether the account has any second factor (GET /api/me and /api/session say so). */
  hasSecondFactor?: (accountId: string) => Promise<boolean>;
}

export function identityRoutes(service: IdentityService, throttle: LoginThrottle, hooks: IdentityRouteHooks = {}): FastifyPluginAsyncTypebox {
  return async (app) => {

    app.post(
      '/auth/register',
      {
        schema: {
          tags: ['identity'],
          summary: 'Create an account and sign in',
          body: Type.Object({ ...Credentials, handle: Type.String({ maxLength: 64 }), displayName: Type.String({ maxLength: 200 }), locale: Type.Optional(Type.String({ maxLength: 35, description: "'id' or 'en', the language of mail; else from Accept-Language" })) }),
          response: { 201: AuthResult, ...PROBLEMS },
        },
        config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      },
      async (request, reply) => {
        const account = await service.register({ ...request.body, locale: localeOf(request, request.body.locale) });
        const session = await service.createSession(account.id, deviceOf(request));
        setSessionCookie(request, reply, session.token);
        throttle.rememberDevice(request, reply, throttle.emailKeyOf(account.email));
        hooks.registered?.(account);
        return reply.code(201).send({ user: userOf(account), token: session.token });
      },
    );

    app.post(
      '/auth/login',
      {
        schema: {
          tags: ['identity'],
          summary: 'Sign in',
          body: Type.Object(Credentials),
          response: { 200: AuthResult, 202: SecondFactorNeeded, ...PROBLEMS },
        },
        // The per-address request limit caps the password hashing one address can ask for;
        // guessing itself is slowed by the throttle, which never locks an owner out.
        config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      },
      async (request, reply) => {
        const attempt = await throttle.begin(request, request.body.email);
        const account = await service.verifyCredentials(request.body.email, request.body.password);
        const second = await hooks.secondFactorChallenge?.(account);
        await throttle.succeeded(request, reply, attempt);
        if (second) return reply.code(202).send({ secondFactorRequired: true as const, ...second });
        const session = await service.createSession(account.id, deviceOf(request));
        setSessionCookie(request, reply, session.token);
        return { user: userOf(account), token: session.token };
      },
    );

    app.post(
      '/auth/password/change',
      {
        schema: {
          tags: ['identity'],
          summary: 'Change the password (the current one is asked again); the web then offers to sign out the other devices',
          body: Type.Object({ password: Credentials.password, newPassword: Type.String({ minLength: 1, maxLength: 1024 }) }),
          response: { 204: Type.Null(), 400: Type.Ref('Problem'), 401: Type.Ref('Problem'), 403: Type.Ref('Problem'), 429: Type.Ref('Problem') },
        },
        config: { rateLimit: { max: 10, timeWindow: '15 minutes' } },
      },
      async (request, reply) => {
        await service.changePassword(requireSubject(request), request.body.password, request.body.newPassword);
        // The current password was just given: signing the other devices out next needs no prompt.
        const token = sessionTokenOf(request);
        if (token) await service.markReauthenticated(token);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/logout',
      { schema: { tags: ['identity'], summary: 'Sign out (revokes the session)', response: { 204: Type.Null() } } },
      async (request, reply) => {
        const token = sessionTokenOf(request);
        if (token) await service.revokeSession(token);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/me',
      {
        schema: {
          tags: ['identity'],
          summary: 'The signed-in account',
          response: { 200: Type.Ref(User), 401: Type.Ref('Problem') },
        },
      },
      async (request) => {
        requireSubject(request);
        const token = sessionTokenOf(request);
        const session = token ? await service.authenticate(token) : undefined;
        if (!session || 'expired' in session) throw unauthorized();
        return { ...userOf(session.account, false), secondFactor: (await hooks.hasSecondFactor?.(session.account.id)) ?? false };
      },
    );

    // A page asks on every load whether anyone is signed in; "no one" is an answer, not an error.
    app.get(
      '/session',
      {
        schema: {
          tags: ['identity'],
          summary: 'Whether the caller is signed in, and as whom (200 either way)',
          response: {
            200: Type.Union([
              Type.Object({ signedIn: Type.Literal(true), user: Type.Ref(User) }),
              Type.Object({ signedIn: Type.Literal(false), expired: Type.Optional(Type.Boolean({ description: 'The request came with a session that has run out' })) }),
            ]),
          },
        },
      },
      async (request) => {
        const token = sessionTokenOf(request);
        const session = token ? await service.authenticate(token) : undefined;
        if (!session) return { signedIn: false as const };
        if ('expired' in session) return { signedIn: false as const, expired: true };
        return {
          signedIn: true as const,
          user: { ...userOf(session.account, false), secondFactor: (await hooks.hasSecondFactor?.(session.account.id)) ?? false },
        };
      },
    );
  };
}
