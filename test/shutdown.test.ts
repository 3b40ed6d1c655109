import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exited, freePort, startServer } from './support/process.js';

describe('the process', () => {
  it('shuts down cleanly on SIGINT mid-traffic and starts again on the same PGlite data', { timeout: 240_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sekat-shutdown-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    try {
      let child = await startServer({ DATA_DIR: dataDir, DATABASE_URL: '' }, port);
      const register = await fetch(`${base}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ctrlc@contoh.id', password: 'kerupuk-udang-renyah', handle: 'ctrlc', displayName: 'C' }),
      });
      expect(register.status).toBe(201);
      const { token } = (await register.json()) as { token: string };
      // Requests racing the signal get an answer: 200 if the server took them, 503 if it was
      // already closing (or the connection was refused); never a 500 or a hang.
      const inFlight = Array.from({ length: 20 }, () => fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status, () => 0));
      await new Promise((r) => setTimeout(r, 20));
      const exit = exited(child);
      child.kill('SIGINT');
      expect(await exit).toBe(0);
      const statuses = await Promise.all(inFlight);
      expect(statuses.filter((s) => ![200, 503, 0].includes(s))).toEqual([]);
      expect(statuses).toContain(200);

      child = await startServer({ DATA_DIR: dataDir, DATABASE_URL: '' }, port);
      const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      const stop = exited(child);
      child.kill('SIGTERM');
      expect(await stop).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a bad setting, naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
      env: { ...process.env, PORT: 'eighty', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sekat-bad-')) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    expect(await exited(child)).toBe(2);
    expect(stderr).toContain('PORT must be a whole number');
  });
});
