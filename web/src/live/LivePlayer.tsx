import { useEffect, useRef } from 'react';
import type Hls from 'hls.js';

const HLS_TYPE = 'application/vnd.apple.mpegurl';

/** Plays a live HLS playlist close to the live edge: natively on Safari, else hls.js in low-latency mode. */
export function LivePlayer({ url, label }: { url: string; label: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    let hls: Hls | undefined;
    let cancelled = false;
    let retry: number | undefined;
    if (element.canPlayType(HLS_TYPE)) {
      element.src = url;
      void element.play().catch(() => undefined);
    } else {
      void import('hls.js/light').then(({ default: HlsJs }) => {
        if (cancelled || !HlsJs.isSupported()) return;
        // 1 s segments: stay two behind the edge, catch up a little faster when behind.
        hls = new HlsJs({ lowLatencyMode: true, liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 5, maxLiveSyncPlaybackRate: 1.5, backBufferLength: 10, manifestLoadingMaxRetry: 10 });
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
    }
    return () => {
      cancelled = true;
      window.clearTimeout(retry);
      hls?.destroy();
      element.removeAttribute('src');
    };
  }, [url]);
  return <video ref={ref} className="video live-video" playsInline muted autoPlay aria-label={label} data-testid="live-video" />;
}
