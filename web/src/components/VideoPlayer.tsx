import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type Hls from 'hls.js';
import type { Video } from '../api/types';
import { recordView } from '../lib/watch';
import { Icon } from './Icon';

const HLS_TYPE = 'application/vnd.apple.mpegurl';

/**
 * Plays a video's HLS master playlist: natively where the browser can, else with hls.js (loaded
 * only then). `active` plays it (muted until tapped); `preload` fetches the start ahead of time.
 */
export function VideoPlayer({ video, active, preload, muted, onToggleMute }: {
  video: Video;
  active: boolean;
  preload: boolean;
  muted: boolean;
  onToggleMute(): void;
}) {
  const { t } = useTranslation();
  const ref = useRef<HTMLVideoElement>(null);
  const hlsRef = useRef<Hls | null>(null);
  const watched = useRef({ ms: 0, last: 0, completed: false });
  const [paused, setPaused] = useState(false);
  const hls = video.sources.find((s) => s.type === HLS_TYPE);
  const mp4 = video.sources.find((s) => s.type === 'video/mp4');
  const attach = active || preload;

  useEffect(() => {
    const element = ref.current;
    if (!element || !attach || element.src || hlsRef.current) return;
    let cancelled = false;
    if (hls && element.canPlayType(HLS_TYPE)) {
      element.src = hls.url;
    } else if (hls) {
      void import('hls.js/light').then(({ default: HlsJs }) => {
        if (cancelled || !ref.current) return;
        if (!HlsJs.isSupported()) {
          if (mp4) ref.current.src = mp4.url;
          return;
        }
        const instance = new HlsJs({ capLevelToPlayerSize: true, maxBufferLength: 10, startLevel: -1 });
        instance.loadSource(hls.url);
        instance.attachMedia(ref.current);
        hlsRef.current = instance;
      });
    } else if (mp4) {
      element.src = mp4.url;
    }
    return () => {
      cancelled = true;
    };
  }, [attach, hls, mp4]);

  useEffect(
    () => () => {
      hlsRef.current?.destroy();
      hlsRef.current = null;
    },
    [],
  );

  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    if (active) {
      watched.current = { ms: 0, last: element.currentTime, completed: false };
      element.play().catch(() => setPaused(true));
      return () => {
        element.pause();
        recordView(video.id, watched.current.ms, watched.current.completed);
      };
    }
    element.pause();
    return undefined;
  }, [active, video.id]);

  return (
    <div className="player">
      <video
        ref={ref}
        className="video"
        playsInline
        loop
        muted={muted}
        preload={attach ? 'auto' : 'none'}
        poster={video.posterUrl ?? undefined}
        aria-label={t('feed.videoBy', { name: video.author.displayName })}
        data-video-id={video.id}
        onTimeUpdate={(event) => {
          const now = event.currentTarget.currentTime;
          const delta = now - watched.current.last;
          if (delta > 0 && delta < 1.5) watched.current.ms += delta * 1000;
          watched.current.last = now;
        }}
        onEnded={() => (watched.current.completed = true)}
        onSeeked={(event) => {
          if (event.currentTarget.currentTime < 0.5 && watched.current.ms > 0) watched.current.completed = true;
          watched.current.last = event.currentTarget.currentTime;
        }}
        onPlay={() => setPaused(false)}
      />
      <button type="button" className="unmute" onClick={onToggleMute} aria-pressed={!muted}>
        <Icon name={muted ? 'soundOff' : 'soundOn'} size={18} /> {muted ? t('feed.unmute') : t('feed.mute')}
      </button>
      {paused && active && (
        <button
          type="button"
          className="play-overlay"
          onClick={() => {
            void ref.current?.play().then(() => setPaused(false));
          }}
        >
          <Icon name="play" size={20} /> {t('feed.play')}
        </button>
      )}
    </div>
  );
}
