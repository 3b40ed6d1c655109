/**
 * The load generator of `bench:crowd`, run as a child process so the server under test keeps its
 * own process. Each of `connections` virtual viewers signs in as the next of the seeded viewers,
 * opens For You or Following, scrolls 3–5 pages by cursor, posts one watch-event batch (10–20
 * events) per page and likes about one video in ten; a tenth of the events and likes go to the
 * viral video. `bare` mode asks GET / of a bare Fastify the same way, for the baseline.
 */
import http from 'node:http';

export interface LoadInput {
  base: string;
  mode: 'crowd' | 'bare';
  /** What `bare` mode asks for (GET), `/` unless given. */
  path?: string;
  tokens: string[];
  viral: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
}

export interface LoadOutput {
  seconds: number;
  /** Latencies in ms of every answered request, per kind. */
  latencies: Record<string, number[]>;
  failures: Record<string, number>;
  statuses: Record<string, number>;
  events: number;
  likes: number;
  viralEvents: number;
  viralLikes: number;
}

let input: LoadInput;
let agent: http.Agent;
let url: URL;

function call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

let measuring = false;
const out: LoadOutput = { seconds: 0, latencies: {}, failures: {}, statuses: {}, events: 0, likes: 0, viralEvents: 0, viralLikes: 0 };

async function timed(kind: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; text: string } | undefined> {
  const started = performance.now();
  try {
    const response = await call(method, path, token, body);
    if (measuring) {
      (out.latencies[kind] ??= []).push(performance.now() - started);
      if (response.status >= 300) {
        out.failures[kind] = (out.failures[kind] ?? 0) + 1;
        out.statuses[`${kind} ${response.status}`] = (out.statuses[`${kind} ${response.status}`] ?? 0) + 1;
      }
    }
    return response;
  } catch {
    if (measuring) out.failures[kind] = (out.failures[kind] ?? 0) + 1;
    return undefined;
  }
}

async function viewerLoop(index: number, until: () => boolean): Promise<void> {
  let next = index;
  while (!until()) {
    const token = input.tokens[next % input.tokens.length]!;
    next += input.connections;
    const feed = Math.random() < 0.5 ? 'for-you' : 'following';
    const pages = 3 + Math.floor(Math.random() * 3);
    let cursor: string | null = null;
    for (let page = 0; page < pages && !until(); page++) {
      const response = await timed(
        `${feed} page ${page === 0 ? '1' : '2-5'}`,
        'GET',
        `/api/social/feed/${feed}?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        token,
      );
      if (!response || response.status !== 200) break;
      const body = JSON.parse(response.text) as { items: { id: string }[]; nextCursor: string | null };
      const seen = body.items.map((item) => item.id);
      const count = 10 + Math.floor(Math.random() * 11);
      const events = Array.from({ length: count }, (_, i) => {
        const watchedMs = Math.floor(Math.random() * 15_000);
        const viral = seen.length === 0 || Math.random() < 0.1;
        return { type: 'view', videoId: viral ? input.viral : seen[i % seen.length]!, watchedMs, completed: watchedMs > 13_000 };
      });
      const posted = await timed('watch events', 'POST', '/api/social/events', token, { events });
      if (measuring && posted?.status === 202) {
        out.events += events.length;
        out.viralEvents += events.filter((e) => e.videoId === input.viral).length;
      }
      for (const id of seen) {
        if (Math.random() >= 0.1) continue;
        const target = Math.random() < 0.1 ? input.viral : id;
        const liked = await timed('like', 'POST', `/api/social/videos/${target}/like`, token);
        if (measuring && liked?.status === 200) {
          out.likes++;
          if (target === input.viral) out.viralLikes++;
        }
      }
      cursor = body.nextCursor;
      if (!cursor) break;
    }
  }
}

async function bareLoop(until: () => boolean): Promise<void> {
  const path = input.path ?? '/';
  while (!until()) await timed('GET /', 'GET', path);
}

async function run(): Promise<void> {
  out.seconds = input.seconds;
  const warmupEnd = Date.now() + input.warmupSeconds * 1000;
  const end = warmupEnd + input.seconds * 1000;
  setTimeout(() => (measuring = true), input.warmupSeconds * 1000);
  const until = () => Date.now() >= end;
  await Promise.all(
    Array.from({ length: input.connections }, (_, i) => (input.mode === 'bare' ? bareLoop(until) : viewerLoop(i, until))),
  );
  agent.destroy();
  process.send!(out, () => process.exit(0));
}

process.once('message', (message: LoadInput) => {
  input = message;
  agent = new http.Agent({ keepAlive: true, maxSockets: input.connections });
  url = new URL(input.base);
  void run();
});
