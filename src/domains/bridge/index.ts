import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DomainDeps, DomainInstance } from '../../platform/domain.js';

export const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export function start(_deps: DomainDeps): DomainInstance {
  return {
    routes: async () => {},
    health: async () => true,
    stop: async () => {},
  };
}
