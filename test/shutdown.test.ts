import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function startServer(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A first start creates four PGlite databases: allow for a busy machine.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('server did not become healthy');
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('the process', () => {
  it('shuts down cleanly on SIGINT mid-traffic and starts again on the same PGlite data', { timeout: 240_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sekat-shutdown-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    try {
      let child = await startServer(dataDir, port);
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

      child = await startServer(dataDir, port);
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
