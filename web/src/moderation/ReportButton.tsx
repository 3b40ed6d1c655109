import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { Link, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useSession } from '../api/session';
import { ApiError } from '../api/client';
import { Sheet } from '../components/Sheet';
import { problemMessage } from '../lib/errors';
import { authPath } from '../lib/next';
import { REASONS, reportItem, type ItemKind, type Reason } from './api';

/** "Laporkan": a sheet with the reason categories and optional words; reporting again updates the report. */
export function ReportButton({ kind, id, className, rail }: { kind: ItemKind; id: string; className?: string; rail?: boolean }) {
  const { t } = useTranslation();
  const { user } = useSession();
  const location = useLocation();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState<Reason | ''>('');
  const [text, setText] = useState('');
  const send = useMutation({ mutationFn: () => reportItem({ kind, id }, reason as Reason, text) });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (reason) send.mutate();
  }

  const failure = send.error instanceof ApiError && send.error.problem.status === 422 ? t('report.own') : send.error ? problemMessage(t, send.error) : null;
  return (
    <>
      <button type="button" className={className ?? 'link'} onClick={() => setOpen(true)} aria-haspopup="dialog">
        {rail ? (
          <>
            <span aria-hidden="true">⚑</span>
            <span>{t('report.button')}</span>
          </>
        ) : (
          t('report.button')
        )}
      </button>
      <Sheet title={t(`report.title.${kind}`, { defaultValue: t(`trust.reportTitle.${kind}`) })} open={open} onClose={() => { setOpen(false); send.reset(); }}>
        {!user ? (
          <p>
            <Link to={authPath('/masuk', location.pathname)}>{t('report.signIn')}</Link>
          </p>
        ) : send.isSuccess ? (
          <div className="stack">
            <p className="ok" role="status">
              {t('report.sent')}
            </p>
            <Link to="/saya/laporan">{t('report.mine')}</Link>
          </div>
        ) : (
          <form className="stack mod" onSubmit={submit}>
            <fieldset className="reasons">
              <legend>{t('report.why')}</legend>
              {REASONS.map((r) => (
                <label key={r} className={`chip-option${reason === r ? ' selected' : ''}`}>
                  <input type="radio" name={`reason-${kind}-${id}`} value={r} checked={reason === r} onChange={() => setReason(r)} />
                  {t(`report.reason.${r}`)}
                </label>
              ))}
            </fieldset>
            <label>
              {t('report.details')}
              <textarea
                value={text} maxLength={1000} rows={3} onChange={(e) => setText(e.target.value)}
                aria-invalid={send.error instanceof ApiError && send.error.fieldErrors().text ? true : undefined}
              />
            </label>
            {failure && (
              <p className="error" role="alert">
                {failure}
              </p>
            )}
            <button type="submit" className="primary" disabled={!reason || send.isPending}>
              {t('report.send')}
            </button>
          </form>
        )}
      </Sheet>
    </>
  );
}
