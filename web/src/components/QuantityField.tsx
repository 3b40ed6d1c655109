import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A quantity between 1 and what is available. Asking for more sets it to the most there is and
 * says why, so nobody learns at the last step that their 500 were never there.
 */
export function QuantityField({ value, max, onChange, label }: { value: number; max: number; onChange(quantity: number): void; label?: string }) {
  const { t } = useTranslation();
  const id = useId();
  const [capped, setCapped] = useState(false);
  const limit = Math.max(1, max);
  useEffect(() => {
    if (value > limit) {
      onChange(limit);
      setCapped(true);
    }
  }, [value, limit, onChange]);
  const choose = (wanted: number) => {
    const whole = Number.isFinite(wanted) ? Math.trunc(wanted) : 1;
    setCapped(whole > limit);
    onChange(Math.max(1, Math.min(limit, whole)));
  };
  return (
    <div className="qty">
      <label htmlFor={id}>{label ?? t('product.quantity')}</label>
      <div className="stepper">
        <button type="button" aria-label={t('cart.less')} disabled={value <= 1} onClick={() => choose(value - 1)}>
          −
        </button>
        <input id={id} type="number" inputMode="numeric" min={1} max={limit} value={value} aria-describedby={`${id}-limit`} onChange={(e) => choose(Number(e.target.value) || 1)} />
        <button type="button" aria-label={t('cart.more')} disabled={value >= limit} onClick={() => choose(value + 1)}>
          +
        </button>
      </div>
      <small id={`${id}-limit`} className={capped ? 'error' : 'hint'} role={capped ? 'status' : undefined}>
        {capped ? t('product.onlyAvailable', { count: max }) : t('product.maxAvailable', { count: max })}
      </small>
    </div>
  );
}
