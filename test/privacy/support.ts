import { sql } from 'kysely';
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { DomainStore } from '../../src/platform/db.js';

/** Every row of every table of one domain's database, as text, for "does X appear anywhere". */
export async function dumpDatabase(store: DomainStore): Promise<Record<string, string>> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(store.db);
  const dump: Record<string, string> = {};
  for (const { table_name } of rows) {
    const data = await sql.raw(`select * from "${table_name}"`).execute(store.db);
    dump[table_name] = JSON.stringify(data.rows);
  }
  return dump;
}

/** The tables of a dump that contain `needle` (case-insensitive). */
export function tablesContaining(dump: Record<string, string>, needle: string): string[] {
  const lower = needle.toLowerCase();
  return Object.entries(dump)
    .filter(([, text]) => text.toLowerCase().includes(lower))
    .map(([table]) => table);
}

/** Text files under a folder that contain a needle (media playlists, exports, anything). */
export function filesContaining(dir: string, needle: string): string[] {
  if (!existsSync(dir)) return [];
  const hits: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (statSync(file).size > 5_000_000) continue;
    if (readFileSync(file).toString('latin1').toLowerCase().includes(needle.toLowerCase())) hits.push(file);
  }
  return hits;
}

export interface Person {
  token: string;
  id: string;
  headers: { authorization: string };
}

let ip = 0;
export async function register(app: FastifyInstance, email: string, handle: string, displayName: string): Promise<Person> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    remoteAddress: `10.77.0.${++ip}`,
    payload: { email, password: 'jembatan-sempit-sekali', handle, displayName },
  });
  if (res.statusCode !== 201) throw new Error(`register ${handle}: ${res.statusCode} ${res.body}`);
  const body = res.json() as { token: string; user: { id: string } };
  return { token: body.token, id: body.user.id, headers: { authorization: `Bearer ${body.token}` } };
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
