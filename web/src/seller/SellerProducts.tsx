import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page, Product, ProductSummary, Shop } from '../api/types';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { ErrorNote, Loading } from '../components/Alert';
import { CATEGORIES } from '../lib/provinces';
import { formatIdr, formatIdrRange } from '../lib/format';

interface VariantDraft {
  sku: string;
  name: string;
  priceIdr: string;
  stock: string;
  weightGrams: string;
}

const emptyVariant = (): VariantDraft => ({ sku: '', name: '', priceIdr: '', stock: '', weightGrams: '' });
const toInt = (value: string) => (value.trim() === '' ? Number.NaN : Number(value));

function NewProduct({ shop, onDone }: { shop: Shop; onDone(): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ title: '', description: '', category: 'fashion', imageUrl: '', externalUrl: '' });
  const [variants, setVariants] = useState<VariantDraft[]>([emptyVariant()]);
  const setVariant = (i: number, key: keyof VariantDraft, value: string) => setVariants(variants.map((v, j) => (j === i ? { ...v, [key]: value } : v)));

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    setBusy(true);
    try {
      await api(`/api/commerce/shops/${shop.id}/products`, {
        body: {
          title: form.title,
          description: form.description,
          category: form.category,
          ...(form.imageUrl.trim() ? { imageUrls: [form.imageUrl.trim()] } : {}),
          ...(form.externalUrl.trim() ? { externalUrl: form.externalUrl.trim() } : {}),
          variants: variants.map((v) => ({ sku: v.sku, name: v.name, priceIdr: toInt(v.priceIdr), stock: toInt(v.stock), weightGrams: toInt(v.weightGrams) })),
        },
      });
      onDone();
    } catch (error) {
      errors.show(error, { 409: t('seller.skuTaken') });
    } finally {
      setBusy(false);
    }
  }

  const vf = (i: number, key: string) => errors.fields[`variants.${i}.${key}`];
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="new-product-title">
      <h2 id="new-product-title">{t('seller.newProduct')}</h2>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <Field label={t('seller.productTitle')} name="title" value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} errors={errors.fields.title} required />
      <div className="field">
        <label htmlFor="product-description">{t('seller.description')}</label>
        <textarea id="product-description" rows={3} value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />
        {errors.fields.description && <small className="error">{errors.fields.description.join(' ')}</small>}
      </div>
      <div className="field">
        <label htmlFor="product-category">{t('seller.category')}</label>
        <select id="product-category" value={form.category} onChange={(e) => setForm({ ...form, category: e.target.value })}>
          {CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {t(`categories.${c}`)}
            </option>
          ))}
        </select>
      </div>
      <Field label={t('seller.imageUrl')} name="imageUrl" type="url" value={form.imageUrl} onChange={(e) => setForm({ ...form, imageUrl: e.target.value })} errors={errors.fields['imageUrls.0'] ?? errors.fields.imageUrls} />
      <Field label={t('seller.externalUrl')} hint={t('seller.externalUrlHint')} name="externalUrl" type="url" value={form.externalUrl} onChange={(e) => setForm({ ...form, externalUrl: e.target.value })} errors={errors.fields.externalUrl} />
      {variants.map((v, i) => (
        <fieldset key={i} className="variant-box">
          <legend>{t('seller.variantN', { n: i + 1 })}</legend>
          <Field label={t('seller.variantName')} value={v.name} onChange={(e) => setVariant(i, 'name', e.target.value)} errors={vf(i, 'name')} />
          <Field label={t('seller.sku')} value={v.sku} onChange={(e) => setVariant(i, 'sku', e.target.value)} errors={vf(i, 'sku')} />
          <Field label={t('seller.price')} type="number" inputMode="numeric" min={1} value={v.priceIdr} onChange={(e) => setVariant(i, 'priceIdr', e.target.value)} errors={vf(i, 'priceIdr')} />
          <Field label={t('seller.stock')} type="number" inputMode="numeric" min={0} value={v.stock} onChange={(e) => setVariant(i, 'stock', e.target.value)} errors={vf(i, 'stock')} />
          <Field label={t('seller.weight')} type="number" inputMode="numeric" min={1} value={v.weightGrams} onChange={(e) => setVariant(i, 'weightGrams', e.target.value)} errors={vf(i, 'weightGrams')} />
          {variants.length > 1 && (
            <button type="button" onClick={() => setVariants(variants.filter((_, j) => j !== i))}>
              {t('seller.removeVariant')}
            </button>
          )}
        </fieldset>
      ))}
      {errors.fields.variants && <small className="error">{errors.fields.variants.join(' ')}</small>}
      <div className="actions">
        <button type="button" onClick={() => setVariants([...variants, emptyVariant()])}>
          {t('seller.addVariant')}
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('auth.working') : t('seller.saveProduct')}
        </button>
      </div>
    </form>
  );
}

function StockEditor({ productId }: { productId: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const product = useQuery({ queryKey: ['product', productId], queryFn: () => api<Product>(`/api/commerce/products/${productId}`) });
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: ({ id, stock }: { id: string; stock: number }) => api(`/api/commerce/variants/${id}/stock`, { method: 'PUT', body: { stock } }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['product', productId] }),
  });
  if (product.isLoading) return <Loading />;
  if (!product.data) return <ErrorNote error={product.error} />;
  return (
    <div className="stack">
      <ErrorNote error={save.error} />
      {product.data.variants.map((v) => (
        <form
          key={v.id}
          className="stock-row"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({ id: v.id, stock: Number(drafts[v.id] ?? v.stock) });
          }}
        >
          <label htmlFor={`stock-${v.id}`}>
            {v.name} ({v.sku}) · {formatIdr(v.priceIdr)} · {t('seller.available', { count: v.available })}
          </label>
          <input id={`stock-${v.id}`} type="number" min={0} inputMode="numeric" value={drafts[v.id] ?? String(v.stock)} onChange={(e) => setDrafts({ ...drafts, [v.id]: e.target.value })} />
          <button type="submit" disabled={save.isPending}>
            {t('seller.setStock')}
          </button>
        </form>
      ))}
    </div>
  );
}

export function SellerProducts({ shop }: { shop: Shop }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const products = useQuery({ queryKey: ['shop-products', shop.slug], queryFn: () => api<Page<ProductSummary>>(`/api/commerce/products?shop=${encodeURIComponent(shop.id)}&limit=100&sort=newest`) });
  return (
    <div className="stack">
      {saved && (
        <p className="ok" role="status">
          {t('seller.productSaved')}
        </p>
      )}
      {adding ? (
        <NewProduct
          shop={shop}
          onDone={() => {
            setAdding(false);
            setSaved(true);
            void client.invalidateQueries({ queryKey: ['shop-products', shop.slug] });
          }}
        />
      ) : (
        <button
          type="button"
          className="primary"
          onClick={() => {
            setAdding(true);
            setSaved(false);
          }}
        >
          {t('seller.newProduct')}
        </button>
      )}
      {products.isLoading && <Loading />}
      <ErrorNote error={products.error} />
      {products.data?.items.length === 0 && <p className="muted">{t('shop.empty')}</p>}
      <ul className="plain stack">
        {products.data?.items.map((p) => (
          <li key={p.id} className="card">
            <Link to={`/produk/${p.id}`}>{p.title}</Link>
            <p className="muted small">
              {formatIdrRange(p.priceMinIdr, p.priceMaxIdr)} · {p.inStock ? t('seller.inStock') : t('product.soldOut')}
            </p>
            <button type="button" aria-expanded={open === p.id} onClick={() => setOpen(open === p.id ? null : p.id)}>
              {t('seller.manageStock')}
            </button>
            {open === p.id && <StockEditor productId={p.id} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
