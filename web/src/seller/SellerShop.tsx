import { useState, type ChangeEvent, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Shop } from '../api/types';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { translateFieldMessage } from '../lib/errors';

function Commission({ shop }: { shop: Shop }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  const [percent, setPercent] = useState(String(shop.commissionPercent));
  const save = useMutation({
    mutationFn: () => api<Shop>(`/api/commerce/shops/${shop.id}/affiliate`, { method: 'PUT', body: { commissionPercent: Number(percent) } }),
    onSuccess: (s) => {
      client.setQueryData(['shop', s.slug], s);
      errors.clear();
    },
    onError: (error) => errors.show(error),
  });
  return (
    <form
      className="card"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        save.mutate();
      }}
      noValidate
      aria-labelledby="commission-title"
    >
      <h2 id="commission-title">{t('seller.commission')}</h2>
      <p className="muted">{t('seller.commissionIntro')}</p>
      {errors.message && <p className="alert" role="alert">{errors.message}</p>}
      <Field label={t('seller.commissionPercent')} name="commissionPercent" type="number" min={0} max={50} inputMode="numeric" value={percent} onChange={(e) => setPercent(e.target.value)} errors={errors.fields.commissionPercent} />
      <button type="submit" className="primary" disabled={save.isPending}>
        {t('common.save')}
      </button>
      {save.isSuccess && (
        <p className="ok" role="status">
          {t('seller.commissionSaved', { percent: shop.commissionPercent })}
        </p>
      )}
    </form>
  );
}

function Catalog({ shop }: { shop: Shop }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const [rowErrors, setRowErrors] = useState<[string, string[]][]>([]);
  const [moreErrors, setMoreErrors] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const [imported, setImported] = useState<number | null>(null);
  const importCsv = useMutation({
    mutationFn: (csv: string) => api<{ products: number; variants: number }>(`/api/commerce/shops/${shop.id}/import`, { raw: csv, headers: { 'content-type': 'text/csv' } }),
    onSuccess: (result) => {
      setImported(result.products);
      setRowErrors([]);
      setMoreErrors(0);
      setMessage(null);
      void client.invalidateQueries({ queryKey: ['shop-products', shop.slug] });
    },
    onError: (error) => {
      setImported(null);
      if (error instanceof ApiError) {
        setRowErrors(
          Object.entries(error.fieldErrors()).map(([key, msgs]) => {
            // The API names each problem `rows.<line>.<column>`.
            const [, line, column] = /^rows\.(\d+)\.?(.*)$/.exec(key) ?? [];
            const where = line ? `${t('seller.row', { line })}${column ? ` · ${column}` : ''}` : key;
            return [where, msgs.map((m) => translateFieldMessage(t, i18n.language, m))];
          }),
        );
        setMoreErrors(error.problem.moreErrors ?? 0);
        setMessage(error.problem.status === 404 ? t('seller.importUnavailable') : t('seller.importFailed'));
      } else setMessage(t('errors.generic'));
    },
  });
  async function pick(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (file) importCsv.mutate(await file.text());
    event.target.value = '';
  }
  return (
    <section className="card stack" aria-labelledby="catalog-title">
      <h2 id="catalog-title">{t('seller.catalog')}</h2>
      <p className="muted">{t('seller.catalogIntro')}</p>
      <div className="actions">
        <a className="button" href={`/api/commerce/shops/${shop.id}/export?format=csv`} download>
          {t('seller.exportCsv')}
        </a>
        <a className="button" href={`/api/commerce/shops/${shop.id}/export?format=jsonld`} download>
          {t('seller.exportJsonld')}
        </a>
      </div>
      <div className="field">
        <label htmlFor="catalog-import">{t('seller.importCsv')}</label>
        <input id="catalog-import" type="file" accept=".csv,text/csv" onChange={(e) => void pick(e)} />
      </div>
      {imported !== null && <p className="ok" role="status">{t('seller.imported', { count: imported })}</p>}
      {message && <p className="alert" role="alert">{message}</p>}
      {rowErrors.length > 0 && (
        <ul className="plain small">
          {rowErrors.map(([row, msgs]) => (
            <li key={row}>
              <strong>{row}</strong>: {msgs.join(' ')}
            </li>
          ))}
          {moreErrors > 0 && <li>{t('seller.moreErrors', { count: moreErrors })}</li>}
        </ul>
      )}
    </section>
  );
}

export function SellerShop({ shop }: { shop: Shop }) {
  const { t } = useTranslation();
  return (
    <div className="stack">
      <div className="card">
        <h2>{shop.name}</h2>
        <p className="muted">
          {shop.city}, {shop.province} · <Link to={`/toko/${shop.slug}`}>{t('seller.viewShop')}</Link>
        </p>
      </div>
      <Commission shop={shop} />
      <Catalog shop={shop} />
    </div>
  );
}
