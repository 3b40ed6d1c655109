import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Order, Page, Payment } from '../api/types';
import { formatCountdown, formatDateTime, formatIdr, orderNumber } from '../lib/format';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';

function Countdown({ until }: { until: string }) {
  const { t } = useTranslation();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = new Date(until).getTime() - now;
  return (
    <p className="countdown">
      {t('payment.timeLeft')} <strong aria-live="off">{formatCountdown(left)}</strong>
    </p>
  );
}

function PaymentView() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const [copied, setCopied] = useState(false);
  const payment = useQuery({
    queryKey: ['payment', id],
    queryFn: () => api<Payment>(`/api/commerce/payments/${id}`),
    refetchInterval: (query) => (query.state.data?.status === 'pending' ? 5000 : false),
  });
  const orders = useQuery({ queryKey: ['orders'], queryFn: () => api<Page<Order>>('/api/commerce/orders?limit=50') });
  const simulate = useMutation({
    mutationFn: () => api(`/api/commerce/payments/${id}/simulate`, { body: { outcome: 'paid' } }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['payment', id] });
      void client.invalidateQueries({ queryKey: ['orders'] });
    },
  });
  if (payment.isLoading) return <Loading />;
  if (!payment.data) return <ErrorNote error={payment.error} />;
  const p = payment.data;
  const ins = p.instructions;
  const mine = orders.data?.items.filter((o) => o.paymentId === p.id) ?? [];
  // The steps are worded here from the payment's facts, so they read in the person's language.
  const steps = ins.kind
    ? (t(`payment.steps.${ins.kind}`, {
        returnObjects: true,
        defaultValue: [],
        bank: (ins.bank ?? '').toUpperCase(),
        vaNumber: ins.vaNumber,
        wallet: t(`payment.method.${p.method}`, { defaultValue: p.method }),
        amount: formatIdr(p.amountIdr),
      }) as string[])
    : [];

  return (
    <section className="stack" aria-labelledby="payment-title">
      <h1 id="payment-title">{t('payment.title')}</h1>
      <div className="card stack">
        <p>
          {t(`payment.method.${p.method}`, { defaultValue: p.method })} · <strong>{formatIdr(p.amountIdr)}</strong>
        </p>
        <p className={`status status-${p.status}`} role="status">
          {t(`payment.status.${p.status}`, { defaultValue: p.status })}
        </p>
        {p.status === 'pending' && p.expiresAt && (
          <>
            <Countdown until={p.expiresAt} />
            <p className="muted small">
              {t('payment.payBefore')} {formatDateTime(p.expiresAt, i18n.language)}
            </p>
          </>
        )}
        {ins.vaNumber && (
          <div className="va">
            <p className="muted">{t('payment.vaNumber', { bank: (ins.bank ?? '').toUpperCase() })}</p>
            <p className="va-number" data-testid="va-number">
              {ins.vaNumber}
            </p>
            <button
              type="button"
              onClick={() => {
                void navigator.clipboard?.writeText(ins.vaNumber!).then(
                  () => setCopied(true),
                  () => setCopied(false),
                );
              }}
            >
              {t('payment.copy')}
            </button>
            {copied && (
              <span role="status" className="ok">
                {' '}
                {t('payment.copied')}
              </span>
            )}
          </div>
        )}
        {ins.qrImageDataUrl && <img src={ins.qrImageDataUrl} alt={t('payment.qrAlt')} className="qr" width={240} height={240} />}
        {ins.deeplinkUrl && (
          <a className="button" href={ins.deeplinkUrl} target="_blank" rel="noopener noreferrer">
            {t('payment.openWallet')}
          </a>
        )}
        {steps.length > 0 && (
          <ol className="steps">
            {steps.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ol>
        )}
        {p.status === 'pending' && (
          <div className="sandbox">
            <p className="muted small">{t('payment.sandboxNote')}</p>
            <button type="button" className="primary" disabled={simulate.isPending} onClick={() => simulate.mutate()}>
              {t('payment.simulate')}
            </button>
            <ErrorNote error={simulate.error} />
          </div>
        )}
      </div>
      {mine.length > 0 && (
        <div className="card">
          <h2>{t('payment.orders')}</h2>
          <ul className="plain">
            {mine.map((o) => (
              <li key={o.id}>
                <Link to={`/pesanan/${o.id}`}>{t('orders.viewOrder', { id: orderNumber(o.id) })}</Link> · {t(`orders.status.${o.status}`)}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

export default function PaymentPage() {
  return (
    <RequireUser>
      <PaymentView />
    </RequireUser>
  );
}
