import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page, Product, ProductSummary, Shop } from '../api/types';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { ErrorNote, Loading } from '../components/Alert';
import { ConfirmButton } from '../components/ConfirmButton';
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

function NewProduct({ shop, onDone }: { shop: Shop; onDone(productId: string): void }) {
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
      const created = await api<Product>(`/api/commerce/shops/${shop.id}/products`, {
        body: {
          title: form.title,
          description: form.description,
          category: form.category,
          ...(form.imageUrl.trim() ? { imageUrls: [form.imageUrl.trim()] } : {}),
          ...(form.externalUrl.trim() ? { externalUrl: form.externalUrl.trim() } : {}),
          variants: variants.map((v) => ({ sku: v.sku, name: v.name, priceIdr: toInt(v.priceIdr), stock: toInt(v.stock), weightGrams: toInt(v.weightGrams) })),
        },
      });
      onDone(created.id);
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

const PHOTO_TYPES = 'image/jpeg,image/png,image/webp';
const move = <T,>(list: T[], from: number, to: number) => {
  const next = [...list];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item!);
  return next;
};

/** Photos in the order buyers see them; the first is the cover. Each change is saved at once. */
function PhotoEditor({ product }: { product: Product }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const refresh = () => void client.invalidateQueries({ queryKey: ['product', product.id] });
  const reorder = useMutation({
    mutationFn: (imageUrls: string[]) => api(`/api/commerce/products/${product.id}`, { method: 'PATCH', body: { imageUrls } }),
    onSuccess: refresh,
  });
  // Uploaded one after another so they keep the order they were picked in.
  const upload = useMutation({
    mutationFn: async (files: File[]) => {
      for (const file of files) await api(`/api/commerce/products/${product.id}/images`, { raw: file, headers: { 'content-type': file.type } });
    },
    onSettled: refresh,
  });
  const urls = product.imageUrls;
  return (
    <fieldset className="stack">
      <legend>{t('seller.photos')}</legend>
      <p className="muted small">{t('seller.photosHint')}</p>
      <ErrorNote error={upload.error ?? reorder.error} />
      <ul className="plain photo-grid">
        {urls.map((url, i) => (
          <li key={url} className="stack">
            <img src={url} alt={t('seller.photoN', { n: i + 1 })} width={96} height={96} style={{ objectFit: 'cover' }} />
            {i === 0 ? <strong className="small">{t('seller.cover')}</strong> : null}
            <div className="actions">
              {i > 0 && (
                <button type="button" disabled={reorder.isPending} onClick={() => reorder.mutate(move(urls, i, 0))} aria-label={t('seller.makeCoverN', { n: i + 1 })}>
                  {t('seller.makeCover')}
                </button>
              )}
              {i > 0 && (
                <button type="button" disabled={reorder.isPending} onClick={() => reorder.mutate(move(urls, i, i - 1))} aria-label={t('seller.moveEarlierN', { n: i + 1 })}>
                  ←
                </button>
              )}
              {i < urls.length - 1 && (
                <button type="button" disabled={reorder.isPending} onClick={() => reorder.mutate(move(urls, i, i + 1))} aria-label={t('seller.moveLaterN', { n: i + 1 })}>
                  →
                </button>
              )}
              <ConfirmButton label={t('seller.removePhoto')} title={t('seller.removePhotoTitle', { n: i + 1 })} confirmLabel={t('seller.removePhoto')} onConfirm={() => reorder.mutate(urls.filter((u) => u !== url))}>
                <p>{t('seller.removePhotoBody')}</p>
              </ConfirmButton>
            </div>
          </li>
        ))}
      </ul>
      <label className="button" htmlFor={`photos-${product.id}`}>
        {upload.isPending ? t('seller.uploadingPhotos') : t('seller.addPhotos')}
      </label>
      <input
        id={`photos-${product.id}`}
        className="visually-hidden"
        type="file"
        accept={PHOTO_TYPES}
        multiple
        disabled={upload.isPending || urls.length >= 10}
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = '';
          if (files.length > 0) upload.mutate(files);
        }}
      />
    </fieldset>
  );
}

function DetailsEditor({ product }: { product: Product }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  const [saved, setSaved] = useState(false);
  const [form, setForm] = useState({ title: product.title, description: product.description });
  const [variants, setVariants] = useState(product.variants.map((v) => ({ id: v.id, name: v.name, priceIdr: String(v.priceIdr) })));
  const save = useMutation({
    mutationFn: () =>
      api(`/api/commerce/products/${product.id}`, {
        method: 'PATCH',
        body: { title: form.title, description: form.description, variants: variants.map((v) => ({ id: v.id, name: v.name, priceIdr: toInt(v.priceIdr) })) },
      }),
    onMutate: () => {
      errors.clear();
      setSaved(false);
    },
    onSuccess: () => {
      setSaved(true);
      void client.invalidateQueries({ queryKey: ['product', product.id] });
      void client.invalidateQueries({ queryKey: ['shop-products'] });
    },
    onError: (error) => errors.show(error),
  });
  const vf = (i: number, key: string) => errors.fields[`variants.${i}.${key}`];
  return (
    <form
      className="stack"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      {saved && (
        <p className="ok" role="status">
          {t('seller.changesSaved')}
        </p>
      )}
      <Field label={t('seller.productTitle')} name={`title-${product.id}`} value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} errors={errors.fields.title} required />
      <div className="field">
        <label htmlFor={`description-${product.id}`}>{t('seller.description')}</label>
        <textarea id={`description-${product.id}`} rows={3} value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />
        {errors.fields.description && <small className="error">{errors.fields.description.join(' ')}</small>}
      </div>
      {variants.map((v, i) => (
        <fieldset key={v.id} className="variant-box">
          <legend>{t('seller.variantN', { n: i + 1 })}</legend>
          <Field label={t('seller.variantName')} value={v.name} onChange={(e) => setVariants(variants.map((w, j) => (j === i ? { ...w, name: e.target.value } : w)))} errors={vf(i, 'name')} />
          <Field label={t('seller.price')} type="number" inputMode="numeric" min={1} value={v.priceIdr} onChange={(e) => setVariants(variants.map((w, j) => (j === i ? { ...w, priceIdr: e.target.value } : w)))} errors={vf(i, 'priceIdr')} />
        </fieldset>
      ))}
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? t('auth.working') : t('seller.saveChanges')}
        </button>
      </div>
    </form>
  );
}

function StockEditor({ product }: { product: Product }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: ({ id, stock }: { id: string; stock: number }) => api(`/api/commerce/variants/${id}/stock`, { method: 'PUT', body: { stock } }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['product', product.id] }),
  });
  return (
    <div className="stack">
      <ErrorNote error={save.error} />
      {product.variants.map((v) => (
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

function ProductEditor({ productId, onDeleted }: { productId: string; onDeleted(): void }) {
  const { t } = useTranslation();
  const product = useQuery({ queryKey: ['product', productId], queryFn: () => api<Product>(`/api/commerce/products/${productId}`) });
  const remove = useMutation({ mutationFn: () => api(`/api/commerce/products/${productId}`, { method: 'DELETE' }), onSuccess: onDeleted });
  if (product.isLoading) return <Loading />;
  if (!product.data) return <ErrorNote error={product.error} />;
  return (
    <div className="stack">
      <PhotoEditor product={product.data} />
      <DetailsEditor product={product.data} />
      <StockEditor product={product.data} />
      <ErrorNote error={remove.error} />
      <ConfirmButton label={t('seller.deleteProduct')} title={t('seller.deleteProductTitle', { title: product.data.title })} confirmLabel={t('seller.deleteProduct')} disabled={remove.isPending} onConfirm={() => remove.mutate()}>
        <p>{t('seller.deleteProductBody')}</p>
      </ConfirmButton>
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
          onDone={(productId) => {
            setAdding(false);
            setSaved(true);
            // Photos are uploaded to a product that exists, so its editor opens next.
            setOpen(productId);
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
              {t('seller.manageProduct')}
            </button>
            {open === p.id && (
              <ProductEditor
                productId={p.id}
                onDeleted={() => {
                  setOpen(null);
                  void client.invalidateQueries({ queryKey: ['shop-products', shop.slug] });
                }}
              />
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
