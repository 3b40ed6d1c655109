import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { problems, requireSubject, sessionTokenOf } from '../../platform/http.js';
import { unauthorized } from '../../platform/errors.js';
import { Title } from '../../platform/text.js';
import { AuthResult, deviceOf, setSessionCookie, userOf } from './routes.js';
import { PASSKEY_NAME_MAX, type Passkeys } from './passkeys.js';
import { ProofFields, type Reauthentication } from './reauth.js';
import type { IdentityService } from './service.js';
import { signInExpired, type TotpFactor } from './totp.js';

const tags = ['identity'];
const PROBLEMS = problems(400, 401, 403, 404, 409, 429);
const B64 = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+={0,2}$' });
const Flow = Type.String({ minLength: 1, maxLength: 100, description: 'The flow token from the options call' });
const Name = Title({ minLength: 1, maxLength: PASSKEY_NAME_MAX });
/** What the browser's navigator.credentials answers, as @simplewebauthn/browser encodes it. */
const Extensions = Type.Object({}, { additionalProperties: true });
const Attachment = Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]));
const RegistrationResponse = Type.Object({
  id: B64(1400),
  rawId: B64(1400),
  type: Type.Literal('public-key'),
  authenticatorAttachment: Attachment,
  clientExtensionResults: Extensions,
  response: Type.Object({
    clientDataJSON: B64(8000),
    attestationObject: B64(32_000),
    transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
    authenticatorData: Type.Optional(B64(16_000)),
    publicKey: Type.Optional(B64(16_000)),
    publicKeyAlgorithm: Type.Optional(Type.Integer()),
  }),
});
const AuthenticationResponse = Type.Object({
  id: B64(1400),
  rawId: B64(1400),
  type: Type.Literal('public-key'),
  authenticatorAttachment: Attachment,
  clientExtensionResults: Extensions,
  response: Type.Object({
    clientDataJSON: B64(8000),
    authenticatorData: B64(16_000),
    signature: B64(4000),
    userHandle: Type.Optional(B64(200)),
  }),
});
const Options = Type.Object({}, { additionalProperties: true, description: 'PublicKeyCredential options as JSON; hand them to @simplewebauthn/browser' });
const Passkey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  transports: Type.Array(Type.String()),
  backedUp: Type.Boolean({ description: 'Whether the authenticator syncs it (e.g. a password manager)' }),
});
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const SignInChallenge = Type.String({ minLength: 1, maxLength: 100, description: 'The challenge from POST /api/auth/login' });

export function passkeyRoutes(service: IdentityService, passkeys: Passkeys, totp: TotpFactor, reauth: Reauthentication): FastifyPluginAsyncTypebox {
  return async (app) => {
    const sessionOf = (request: Parameters<typeof sessionTokenOf>[0]) => {
      const token = sessionTokenOf(request);
      if (!token) throw unauthorized();
      return token;
    };

    app.get(
      '/auth/passkeys',
      { schema: { tags, summary: 'The passkeys of this account', response: { 200: Type.Object({ items: Type.Array(Passkey) }), 401: Type.Ref('Problem') } } },
      async (request) => ({ items: await passkeys.list(requireSubject(request)) }),
    );

    app.post(
      '/auth/passkeys/registration/options',
      {
        schema: {
          tags,
          summary: 'Start registering a passkey (needs the password, or a code, again); answers the creation options and a flow token',
          body: Type.Object(ProofFields),
          response: { 200: Type.Object({ flow: Type.String(), options: Options }), ...PROBLEMS },
        },
        config: { rateLimit: { max: 10, timeWindow: '15 minutes' } },
      },
      async (request) => {
        const accountId = requireSubject(request);
        const token = sessionOf(request);
        await reauth.confirm(accountId, request.body);
        const account = await service.accountById(accountId);
        if (!account) throw unauthorized();
        return passkeys.registrationOptions(account, token);
      },
    );

    app.post(
      '/auth/passkeys',
      {
        schema: {
          tags,
          summary: 'Finish registering a passkey with the authenticator’s answer, within 3 minutes of its options, from the same session',
          body: Type.Object({ flow: Flow, response: RegistrationResponse, name: Type.Optional(Name) }),
          response: {
            201: Type.Object({ ...Passkey.properties, recoveryCodes: Type.Optional(Type.Array(Type.String(), { description: 'With the first passkey of an account that has no recovery codes: ten, shown once' })) }),
            ...PROBLEMS,
          },
        },
        config: { rateLimit: { max: 20, timeWindow: '15 minutes' } },
      },
      async (request, reply) => {
        const accountId = requireSubject(request);
        const { flow, response, name } = request.body;
        const passkey = await passkeys.register(accountId, sessionOf(request), flow, response as RegistrationResponseJSON, name, request.headers['user-agent']);
        const recoveryCodes = await totp.issueRecoveryCodesIfNone(accountId);
        return reply.code(201).send(recoveryCodes ? { ...passkey, recoveryCodes } : passkey);
      },
    );

    app.patch(
      '/auth/passkeys/:id',
      {
        schema: { tags, summary: 'Rename one of the caller’s passkeys', params: IdParams, body: Type.Object({ name: Name }), response: { 200: Passkey, ...PROBLEMS } },
      },
      async (request) => passkeys.rename(requireSubject(request), request.params.id, request.body.name),
    );

    app.delete(
      '/auth/passkeys/:id',
      {
        schema: {
          tags,
          summary: 'Remove one of the caller’s passkeys (needs the password, or a code, again)',
          params: IdParams,
          body: Type.Object(ProofFields),
          response: { 204: Type.Null(), ...PROBLEMS },
        },
        config: { rateLimit: { max: 20, timeWindow: '15 minutes' } },
      },
      async (request, reply) => {
        const accountId = requireSubject(request);
        await reauth.confirm(accountId, request.body);
        await passkeys.remove(accountId, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/login/second-factor/passkey/options',
      {
        schema: {
          tags,
          summary: 'Options to answer the step after the password with one of the account’s passkeys',
          body: Type.Object({ challenge: SignInChallenge }),
          response: { 200: Type.Object({ flow: Type.String(), options: Options }), ...PROBLEMS },
        },
        config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      },
      async (request) => {
        const accountId = await totp.pendingChallenge(request.body.challenge);
        if (!accountId) throw signInExpired();
        return passkeys.secondFactorOptions(accountId, request.body.challenge);
      },
    );

    app.post(
      '/auth/login/second-factor/passkey',
      {
        schema: {
          tags,
          summary: 'Finish signing in with the challenge from /api/auth/login and a passkey answer',
          body: Type.Object({ challenge: SignInChallenge, flow: Flow, response: AuthenticationResponse }),
          response: { 200: AuthResult, ...PROBLEMS },
        },
        config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      },
      async (request, reply) => {
        const { challenge, flow, response } = request.body;
        const accountId = await totp.pendingChallenge(challenge);
        if (!accountId) throw signInExpired();
        await passkeys.completeSecondFactor(accountId, challenge, flow, response as AuthenticationResponseJSON, (trx) => totp.spendChallenge(challenge, trx));
        const account = await service.accountById(accountId);
        if (!account) throw unauthorized();
        const session = await service.createSession(account.id, deviceOf(request), 'passkey');
        setSessionCookie(request, reply, session.token);
        return { user: userOf(account), token: session.token };
      },
    );

    app.post(
      '/auth/passkeys/sign-in/options',
      {
        schema: { tags, summary: 'Options to sign in with a passkey alone (one the authenticator keeps)', response: { 200: Type.Object({ flow: Type.String(), options: Options }), 429: Type.Ref('Problem') } },
        config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      },
      async () => passkeys.passwordlessOptions(),
    );

    app.post(
      '/auth/passkeys/sign-in',
      {
        schema: {
          tags,
          summary: 'Sign in with a passkey answer (user verified), within 3 minutes of its options',
          body: Type.Object({ flow: Flow, response: AuthenticationResponse }),
          response: { 200: AuthResult, ...PROBLEMS },
        },
        config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      },
      async (request, reply) => {
        const accountId = await passkeys.completePasswordless(request.body.flow, request.body.response as AuthenticationResponseJSON);
        const account = await service.accountById(accountId);
        if (!account) throw unauthorized('This account cannot sign in.');
        const session = await service.createSession(account.id, deviceOf(request), 'passkey');
        setSessionCookie(request, reply, session.token);
        return { user: userOf(account), token: session.token };
      },
    );
  };
}
