import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { SESSION_COOKIE, sessionTokenOf } from '../platform/http.js';
import { setSessionCookie, type IdentityInstance, type OperatorStanding } from '../domains/identity/index.js';
import type { CommerceInstance } from '../domains/commerce/index.js';

/**
 * Who is calling, as the session hook resolved it for each request. Each domain is then handed
 * only its own view: identity the account id, social and commerce their pairwise subject, and the
 * bridge the set of them (app.ts).
 */
export interface CallerViews {
  accountOf: WeakMap<FastifyRequest, string>;
  erasingAccountOf: WeakMap<FastifyRequest, string>;
  /** The signed-in account's public handle and display name, which social seeds a profile from. */
  publicProfileOf: WeakMap<FastifyRequest, { handle: string; displayName: string }>;
  /** Requests from the platform's operators (OPERATOR_EMAILS). Commerce hears only yes or no. */
  operatorRequests: WeakSet<FastifyRequest>;
  /** Operators whose session lacks the second factor: their operator routes answer 403. */
  operatorRefusals: WeakMap<FastifyRequest, Exclude<OperatorStanding, 'ready'>>;
  operatorStandingOf: WeakMap<FastifyRequest, OperatorStanding>;
  /** Requests whose account confirmed its email. */
  verifiedRequests: WeakSet<FastifyRequest>;
  /** Requests whose session signed in or re-authenticated a few minutes ago. */
  recentlyAuthenticatedRequests: WeakSet<FastifyRequest>;
}

export interface SessionHookOptions {
  identityDomain: IdentityInstance;
  /** Asked whether a signed-in account owns a shop (absent when commerce runs in another process). */
  commerceDomain: CommerceInstance | undefined;
  requireVerifiedEmail: boolean;
  clock: () => number;
}

/** Resolves the session of every /api/ request once, into the caller views. */
export function addSessionHook(app: FastifyInstance, views: CallerViews, options: SessionHookOptions): void {
  const { identityDomain, commerceDomain, requireVerifiedEmail, clock } = options;
  const { accountOf, erasingAccountOf, publicProfileOf, operatorRequests, operatorRefusals } = views;
  const { operatorStandingOf, verifiedRequests, recentlyAuthenticatedRequests } = views;
  // Accounts commerce said own no shop, and when it said so: asked again after a minute, so a
  // session takes the seller lifetime within a minute of its shop opening.
  const notSellerAt = new LRUCache<string, number>({ max: 100_000 });
  const knownNonSeller = (accountId: string) => clock() - (notSellerAt.get(accountId) ?? -Infinity) < 60_000;
  app.addHook('onRequest', (request, reply, done) => {
    const token = request.url.startsWith('/api/') ? sessionTokenOf(request) : undefined;
    if (!token) return done();
    identityDomain
      .authenticate(token)
      .then(async (session) => {
        if (!session) return;
        if ('expired' in session) {
          request.sessionExpired = true;
          // Said once: the next page load is simply signed out, and the sign-in page shows.
          if (request.cookies[SESSION_COOKIE] === token) reply.clearCookie(SESSION_COOKIE, { path: '/' });
          return;
        }
        if (session.account.status === 'erasing') {
          erasingAccountOf.set(request, session.account.id);
          return;
        }
        const accountId = session.account.id;
        accountOf.set(request, accountId);
        publicProfileOf.set(request, { handle: session.account.handle, displayName: session.account.displayName });
        const standing = await identityDomain.operatorStanding(session);
        if (standing) operatorStandingOf.set(request, standing);
        if (standing === 'ready') operatorRequests.add(request);
        else if (standing) operatorRefusals.set(request, standing);
        if (session.account.emailVerified || !requireVerifiedEmail) verifiedRequests.add(request);
        if (session.recentlyAuthenticated) recentlyAuthenticatedRequests.add(request);
        // A seller's session runs on the short lifetime. Identity does not ask commerce; this
        // root asks commerce "does this subject own a shop?" and tells identity only the answer.
        // (With commerce in another process the session keeps its lifetime: not yet asked across.)
        if (commerceDomain && !session.strict && !knownNonSeller(accountId)) {
          if (await commerceDomain.isSeller(identityDomain.subjectFor('commerce', accountId))) await identityDomain.holdToSellerLifetime(token);
          else notSellerAt.set(accountId, clock());
        }
        if (session.renewedUntil && !request.headers.authorization && request.cookies[SESSION_COOKIE] === token) {
          setSessionCookie(request, reply, token);
        }
      })
      .then(() => done(), done);
  });
}
