import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden } from '../platform/errors.js';
import { SESSION_COOKIE } from '../platform/http.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The content types a page on another site can send in a form or a `no-cors` fetch without the
 * browser asking first. multipart/form-data is one too, but uploads need it: for it the origin
 * check below is the defence. Every other type a route takes (JSON, CSV, images, tus chunks) makes
 * the browser ask with a CORS preflight, which Sekat never answers with a yes.
 */
const SIMPLE_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded']);

const hasBody = (request: FastifyRequest) => Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;

/**
 * Whether the browser says the request comes from Sekat's own pages. `Sec-Fetch-Site:
 * same-origin` is set by the browser and cannot be forged by a page; otherwise `Origin` must be
 * this server's own origin, as the client reached it (through a trusted proxy, its proto and host).
 * A request with neither header does not come from a browser, so no page can have made it.
 */
function fromOwnPage(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site === 'same-origin') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return site === undefined;
  try {
    return new URL(origin).origin === new URL(`${request.protocol}://${request.host}`).origin;
  } catch {
    return false;
  }
}

function contentTypeAllowed(request: FastifyRequest): boolean {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (!type) return !hasBody(request);
  return !SIMPLE_TYPES.has(type);
}

/**
 * Cross-site request forgery: a state-changing request that the browser authenticated by the
 * session cookie alone must come from Sekat's own pages and carry a body a form cannot forge.
 * Bearer-token requests are not affected: no other site can make a browser add that header.
 * Neither are requests without the cookie, such as a payment gateway's webhook.
 */
export function refuseCrossSiteRequests(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (!STATE_CHANGING.has(request.method) || request.headers.authorization !== undefined || !request.cookies[SESSION_COOKIE]) return done();
    if (!fromOwnPage(request)) return done(forbidden('This request came from another site. Sign-in cookies work only from Sekat’s own pages.'));
    if (!contentTypeAllowed(request)) return done(forbidden('Send this request as JSON (or multipart/form-data for a file).'));
    done();
  });
}
