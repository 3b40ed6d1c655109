import type { TrustProxy } from '../platform/config.js';

/**
 * What Fastify's `trustProxy` is given for TRUST_PROXY. A hop count becomes a function because
 * Fastify (5.12) takes a bare number to mean "trust no peer" and would ignore X-Forwarded-For
 * altogether; proxy-addr calls it with each address from the socket's outwards (i = 0 is the
 * socket), so the client is the address right after the last trusted hop.
 */
export function clientAddressTrust(trust: TrustProxy): false | string[] | ((address: string, i: number) => boolean) {
  if (trust === false) return false;
  if ('hops' in trust) return (_address, i) => i < trust.hops;
  return trust.addresses;
}
