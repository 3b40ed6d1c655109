import type { SocialService } from './service.js';

/**
 * The service behind each started social instance, for tests and benchmarks that reach into its
 * store or caches (through testkit.ts). It is not part of the instance: the composition root
 * and the other domains see only what `index.ts` returns.
 */
const services = new WeakMap<object, SocialService>();

export function rememberService(instance: object, service: SocialService): void {
  services.set(instance, service);
}

export function serviceOf(instance: object): SocialService {
  const service = services.get(instance);
  if (!service) throw new Error('not a started social instance');
  return service;
}
