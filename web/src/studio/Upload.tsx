import { useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Upload as TusUpload } from 'tus-js-client';
import { Field } from '../components/Field';

/**
 * Resumable upload with tus: the fingerprint of the file is kept in localStorage, so choosing the
 * same file again after a reload or a dropped connection carries on from where it stopped.
 */
export function UploadForm() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [file, setFile] = useState<File | null>(null);
  const [caption, setCaption] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const [resumed, setResumed] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const upload = useRef<TusUpload | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) {
      setError(t('studio.chooseFile'));
      return;
    }
    setError(null);
    setProgress(0);
    let videoId: string | null = null;
    const tus = new TusUpload(file, {
      endpoint: '/api/social/uploads',
      chunkSize: 5 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000],
      metadata: { caption, filename: file.name, filetype: file.type },
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => setProgress(total ? sent / total : 0),
      onAfterResponse: (_req, res) => {
        const id = res.getHeader('Sekat-Video-Id');
        if (id) videoId = id;
      },
      onError: (err) => {
        const status = (err as { originalResponse?: { getStatus(): number } }).originalResponse?.getStatus();
        setError(status === 413 ? t('errors.tooLarge') : status === 422 || status === 400 ? t('studio.notVideo') : status === 401 ? t('errors.signInFirst') : t('studio.uploadFailed'));
        setProgress(null);
      },
      onSuccess: () => {
        setProgress(1);
        if (videoId) navigate(`/studio/video/${videoId}`);
        else navigate('/studio');
      },
    });
    upload.current = tus;
    const previous = await tus.findPreviousUploads();
    if (previous[0]) {
      tus.resumeFromPreviousUpload(previous[0]);
      setResumed(true);
    }
    tus.start();
  }

  const percent = progress === null ? null : Math.round(progress * 100);
  return (
    <form className="card stack" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="upload-title">
      <h2 id="upload-title">{t('studio.upload')}</h2>
      <div className="field">
        <label htmlFor="video-file">{t('studio.file')}</label>
        <input id="video-file" type="file" accept="video/*" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        <small className="hint">{t('studio.fileHint')}</small>
      </div>
      <Field label={t('studio.caption')} hint={t('studio.captionHint')} name="caption" value={caption} maxLength={2200} onChange={(e) => setCaption(e.target.value)} />
      {percent !== null && (
        <div className="progress-wrap">
          <progress max={100} value={percent} aria-label={t('studio.progress')} />
          <span role="status">
            {percent}% {resumed && `· ${t('studio.resumed')}`}
          </span>
        </div>
      )}
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        {percent !== null && percent < 100 && (
          <button
            type="button"
            onClick={() => {
              void upload.current?.abort();
              setProgress(null);
            }}
          >
            {t('studio.pause')}
          </button>
        )}
        <button type="submit" className="primary" disabled={percent !== null && percent < 100}>
          {t('studio.uploadSubmit')}
        </button>
      </div>
    </form>
  );
}
