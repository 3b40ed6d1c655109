import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

interface ConfirmButtonProps {
  /** The button that starts it, and the dialog's question. */
  label: string;
  title: string;
  /** What will happen, in words, before it does. */
  children: ReactNode;
  confirmLabel: string;
  onConfirm(): void;
  disabled?: boolean;
  className?: string;
}

/**
 * A destructive action asks first: a modal dialog (native, so focus stays inside and Escape
 * backs out) says what will happen; only its own button does it. Focus starts on "back".
 */
export function ConfirmButton({ label, title, children, confirmLabel, onConfirm, disabled, className = 'danger' }: ConfirmButtonProps) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (open && dialog && !dialog.open) dialog.showModal();
  }, [open]);
  const close = () => {
    ref.current?.close();
    setOpen(false);
  };
  return (
    <>
      <button type="button" className={className} disabled={disabled} onClick={() => setOpen(true)}>
        {label}
      </button>
      {open && (
        <dialog ref={ref} className="confirm" role="alertdialog" aria-labelledby={titleId} aria-describedby={bodyId} onClose={() => setOpen(false)}>
          <h2 id={titleId}>{title}</h2>
          <div id={bodyId} className="stack">
            {children}
          </div>
          <div className="actions">
            <button type="button" autoFocus onClick={close}>
              {t('common.back')}
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => {
                close();
                onConfirm();
              }}
            >
              {confirmLabel}
            </button>
          </div>
        </dialog>
      )}
    </>
  );
}
