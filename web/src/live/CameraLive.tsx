import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** What the browser can record, best first: WebM (Chromium, Firefox), then MP4 (Safari). The server encodes it to H.264/AAC. */
const RECORDER_TYPES = ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm', 'video/mp4;codecs=avc1,mp4a', 'video/mp4'];
/** One chunk a second: the server packages one-second segments. */
const TIMESLICE_MS = 1000;

type Phase = 'idle' | 'starting' | 'publishing' | 'stopped' | 'error';

/** Why the server closed the publish socket, as the page tells it. */
function reasonOf(code: number): string {
  if (code === 4401) return 'signIn';
  if (code === 4403) return 'email';
  if (code === 4409) return 'busy';
  if (code === 4404) return 'notFound';
  if (code === 1003) return 'unplayable';
  if (code === 1009) return 'tooBig';
  return 'lost';
}

/**
 * "Live dari kamera": the camera and microphone of this device, recorded with MediaRecorder and
 * sent a second at a time over a WebSocket; closing the socket ends the publish.
 */
export function CameraLive({ liveId }: { liveId: string }) {
  const { t } = useTranslation();
  const [phase, setPhase] = useState<Phase>('idle');
  const [problem, setProblem] = useState<string | null>(null);
  const preview = useRef<HTMLVideoElement>(null);
  const running = useRef<{ stream: MediaStream; ws: WebSocket; recorder?: MediaRecorder } | null>(null);

  const stop = (next: Phase = 'stopped') => {
    const current = running.current;
    running.current = null;
    if (!current) return;
    if (current.recorder && current.recorder.state !== 'inactive') current.recorder.stop();
    for (const track of current.stream.getTracks()) track.stop();
    if (current.ws.readyState === WebSocket.OPEN || current.ws.readyState === WebSocket.CONNECTING) current.ws.close(1000, 'host stopped');
    setPhase(next);
  };

  useEffect(() => () => stop(), []);

  const start = async () => {
    setProblem(null);
    if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
      setProblem('unsupported');
      return setPhase('error');
    }
    const mimeType = RECORDER_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    if (!mimeType) {
      setProblem('unsupported');
      return setPhase('error');
    }
    setPhase('starting');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 720 } }, audio: true });
    } catch {
      setProblem('camera');
      return setPhase('error');
    }
    if (preview.current) {
      preview.current.srcObject = stream;
      void preview.current.play().catch(() => undefined);
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    // Safari records fragmented MP4, the others WebM: the server is told which, and holds the bytes to it.
    const container = mimeType.startsWith('video/mp4') ? 'mp4' : 'webm';
    const ws = new WebSocket(`${scheme}://${location.host}/api/social/lives/${liveId}/publish?container=${container}`);
    ws.binaryType = 'arraybuffer';
    const current: { stream: MediaStream; ws: WebSocket; recorder?: MediaRecorder } = { stream, ws };
    running.current = current;
    ws.onmessage = (event) => {
      let message: { type?: string };
      try {
        message = JSON.parse(String(event.data)) as { type?: string };
      } catch {
        return;
      }
      if (message.type === 'ready' && !current.recorder) {
        const recorder = new MediaRecorder(stream, { mimeType, videoBitsPerSecond: 1_500_000, audioBitsPerSecond: 96_000 });
        current.recorder = recorder;
        // Chunks are sent in the order they were recorded, each after the one before.
        let sending = Promise.resolve();
        recorder.ondataavailable = (e) => {
          if (e.data.size === 0) return;
          sending = sending.then(async () => {
            const bytes = await e.data.arrayBuffer();
            if (ws.readyState === WebSocket.OPEN) ws.send(bytes);
          });
        };
        recorder.start(TIMESLICE_MS);
      }
      if (message.type === 'publishing') setPhase('publishing');
    };
    ws.onclose = (event) => {
      if (running.current !== current) return;
      const normal = event.code === 1000;
      if (!normal) setProblem(reasonOf(event.code));
      stop(normal ? 'stopped' : 'error');
    };
  };

  const on = phase === 'starting' || phase === 'publishing';
  return (
    <section className="card stack" aria-labelledby="camera-live-title">
      <h2 id="camera-live-title">{t('liveExtra.cameraTitle')}</h2>
      <p className="muted">{t('liveExtra.cameraIntro')}</p>
      <video ref={preview} className="camera-preview" muted playsInline autoPlay aria-label={t('liveExtra.preview')} hidden={!on} data-testid="camera-preview" />
      <p role="status" data-testid="camera-status">
        {t(`liveExtra.phase.${phase}`)}
      </p>
      {problem && (
        <p className="alert" role="alert">
          {t(`liveExtra.problem.${problem}`)}
        </p>
      )}
      {on ? (
        <button type="button" onClick={() => stop()}>
          {t('liveExtra.stopCamera')}
        </button>
      ) : (
        <button type="button" className="primary" onClick={() => void start()}>
          {t('liveExtra.startCamera')}
        </button>
      )}
    </section>
  );
}
