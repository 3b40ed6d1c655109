import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problems, requireSubject } from '../../platform/http.js';
import { unauthorized } from '../../platform/errors.js';
import { AuthResult, deviceOf, setSessionCookie, userOf } from './routes.js';
import type { IdentityService } from './service.js';
import type { Reauthentication } from './reauth.js';
import type { TotpFactor } from './totp.js';

const Code = Type.String({ minLength: 1, maxLength: 64, description: 'Six digits from the authenticator app, or a recovery code' });
const PROBLEMS = problems(400, 401, 403, 409, 429);
const tags = ['identity'];

export function totpRoutes(service: IdentityService, totp: TotpFactor, reauth: Reauthentication): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/auth/totp',
      {
        schema: {
          tags,
          summary: 'Whether two-step sign-in (TOTP) is on, and how many recovery codes are left',
          response: { 200: Type.Object({ enabled: Type.Boolean(), recoveryCodesLeft: Type.Integer() }), 401: Type.Ref('Problem') },
        },
      },
      async (request) => totp.status(requireSubject(request)),
    );

    app.post(
      '/auth/totp/enrol',
      {
        schema: {
          tags,
          summary: 'Start setting up TOTP (needs the password again): a secret and its QR code, on once a code confirms it',
          body: Type.Object({ password: Type.String({ minLength: 1, maxLength: 1024 }) }),
          response: { 200: Type.Object({ secret: Type.String(), otpauthUrl: Type.String(), qrCode: Type.String({ description: 'An SVG data URL' }) }), ...PROBLEMS },
        },
        config: { rateLimit: { max: 10, timeWindow: '15 minutes' } },
      },
      async (request) => {
        const accountId = requireSubject(request);
        await reauth.confirm(accountId, { password: request.body.password });
        const account = await service.accountById(accountId);
        if (!account) throw unauthorized();
        return totp.beginEnrolment(accountId, account.email);
      },
    );

    app.post(
      '/auth/totp/confirm',
      {
        schema: {
          tags,
          summary: 'Turn TOTP on with the first code; answers the ten recovery codes, shown this once',
          body: Type.Object({ code: Code }),
          response: { 200: Type.Object({ recoveryCodes: Type.Array(Type.String()) }), ...PROBLEMS },
        },
        config: { rateLimit: { max: 20, timeWindow: '15 minutes' } },
      },
      async (request) => ({ recoveryCodes: await totp.confirmEnrolment(requireSubject(request), request.body.code) }),
    );

    app.post(
      '/auth/totp/disable',
      {
        schema: {
          tags,
          summary: 'Turn TOTP off; needs a current code or a recovery code',
          body: Type.Object({ code: Code }),
          response: { 204: Type.Null(), ...PROBLEMS },
        },
        config: { rateLimit: { max: 20, timeWindow: '15 minutes' } },
      },
      async (request, reply) => {
        await totp.disable(requireSubject(request), request.body.code);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/login/second-factor',
      {
        schema: {
          tags,
          summary: 'Finish signing in with the challenge from /api/auth/login and a code',
          body: Type.Object({ challenge: Type.String({ minLength: 1, maxLength: 100 }), code: Code }),
          response: { 200: AuthResult, ...PROBLEMS },
        },
        config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      },
      async (request, reply) => {
        const accountId = await totp.completeChallenge(request.body.challenge, request.body.code);
        const account = await service.accountById(accountId);
        if (!account) throw unauthorized();
        const session = await service.createSession(account.id, deviceOf(request), 'totp');
        setSessionCookie(request, reply, session.token);
        return { user: userOf(account), token: session.token };
      },
    );
  };
}
