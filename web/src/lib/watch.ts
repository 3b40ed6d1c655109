/** Watch events, batched and sent every few seconds and, when the page is left, with sendBeacon. */
interface WatchEvent {
  type: 'view';
  videoId: string;
  watchedMs: number;
  completed: boolean;
}

const queue: WatchEvent[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
const ENDPOINT = '/api/social/events';

function body(events: WatchEvent[]): string {
  return JSON.stringify({ events });
}

export function flushWatchEvents(onLeave = false): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  while (queue.length > 0) {
    const batch = queue.splice(0, 100);
    const payload = body(batch);
    if (onLeave && typeof navigator.sendBeacon === 'function') {
      navigator.sendBeacon(ENDPOINT, new Blob([payload], { type: 'application/json' }));
    } else {
      void fetch(ENDPOINT, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: payload, keepalive: true }).catch(() => undefined);
    }
  }
}

export function recordView(videoId: string, watchedMs: number, completed: boolean): void {
  if (watchedMs < 250) return;
  queue.push({ type: 'view', videoId, watchedMs: Math.min(Math.round(watchedMs), 3_600_000), completed });
  if (queue.length >= 20) flushWatchEvents();
  else if (!timer) timer = setTimeout(() => flushWatchEvents(), 10_000);
}

if (typeof window !== 'undefined') {
  window.addEventListener('pagehide', () => flushWatchEvents(true));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flushWatchEvents(true);
  });
}
