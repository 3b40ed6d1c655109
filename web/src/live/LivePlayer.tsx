import { useEffect, useRef } from 'react';
import type Hls from 'hls.js';

const HLS_TYPE = 'application/vnd.apple.mpegurl';

/** Plays a live HLS playlist close to the live edge: with hls.js in low-latency mode, natively only where hls.js cannot run. */
export function LivePlayer({ url, label }: { url: string; label: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    let hls: Hls | undefined;
    let cancelled = false;
    let retry: number | undefined;
    // Natively only where hls.js cannot run (no Media Source, e.g. older iPhones): Chromium also
    // says it can play HLS, but its own demuxer sometimes cannot parse a live edge that hls.js
    // follows, and gives no way to recover.
    const native = () => {
      element.src = url;
      void element.play().catch(() => undefined);
      element.onerror = () => {
        element.dataset.lastError = `native:${element.error?.message ?? element.error?.code ?? 'error'}`;
        retry = window.setTimeout(() => {
          if (cancelled) return;
          element.src = url;
          void element.play().catch(() => undefined);
        }, 1_000);
      };
    };
    void import('hls.js/light').then(({ default: HlsJs }) => {
      if (cancelled) return;
      if (!HlsJs.isSupported()) {
        if (element.canPlayType(HLS_TYPE)) native();
        return;
      }
      // 1 s segments: stay two behind the edge, catch up a little faster when behind.
      hls = new HlsJs({
        lowLatencyMode: true, liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 5,
        maxLiveSyncPlaybackRate: 1.5, backBufferLength: 10, manifestLoadingMaxRetry: 10,
      });
      hls.loadSource(url);
      hls.attachMedia(element);
      hls.on(HlsJs.Events.MANIFEST_PARSED, () => void element.play().catch(() => undefined));
      // A live edge moves: a playlist or segment that is late, or a decoder hiccup, is retried
      // rather than leaving a black player. The last error is kept on the element for diagnosis.
      hls.on(HlsJs.Events.ERROR, (_event, data) => {
        element.dataset.lastError = `${data.type}:${data.details}${data.fatal ? ':fatal' : ''}`;
        if (!data.fatal || !hls) return;
        if (data.type === HlsJs.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else retry = window.setTimeout(() => hls?.startLoad(), 1_000);
      });
    });
    return () => {
      cancelled = true;
      window.clearTimeout(retry);
      hls?.destroy();
      element.onerror = null;
      element.removeAttribute('src');
    };
  }, [url]);
  return <video ref={ref} className="video live-video" playsInline muted autoPlay aria-label={label} data-testid="live-video" />;
}
