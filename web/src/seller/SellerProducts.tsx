import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Page, Product, ProductSummary, Shop } from '../api/types';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { ErrorNote, Loading } from '../components/Alert';
import { ConfirmButton } from '../components/ConfirmButton';
import { CATEGORIES } from '../lib/provinces';
import { formatIdr, formatIdrRange } from '../lib/format';
import { problemMessage, translateFieldMessage } from '../lib/errors';

interface VariantDraft {
  sku: string;
  name: string;
  priceIdr: string;
  stock: string;
  weightGrams: string;
}

const emptyVariant = (): VariantDraft => ({ sku: '', name: '', priceIdr: '', stock: '', weightGrams: '' });
const toInt = (value: string) => (value.trim() === '' ? Number.NaN : Number(value));

const PHOTO_TYPES = 'image/jpeg,image/png,image/webp';
const MAX_PHOTOS = 10;
const MAX_PHOTO_BYTES = 5 * 1024 * 1024;

/** Object URLs for picked files, made while they are shown and let go after. */
function usePreviews(files: File[]): string[] {
  const [urls, setUrls] = useState<string[]>([]);
  useEffect(() => {
    const made = files.map((file) => URL.createObjectURL(file));
    setUrls(made);
    return () => made.forEach((url) => URL.revokeObjectURL(url));
  }, [files]);
  return urls;
}

const uploadPhoto = (productId: string, file: File) => api(`/api/commerce/products/${productId}/images`, { raw: file, headers: { 'content-type': file.type } });

/**
 * Photos picked and not yet uploaded, shown as they are (each can be taken out again). Files that
 * are not a JPEG, PNG or WebP of at most 5 MB are named and left out before anything is sent.
 */
function PhotoPicker({ id, files, room, onChange }: { id: string; files: File[]; room: number; onChange(files: File[]): void }) {
  const { t } = useTranslation();
  const previews = usePreviews(files);
  const [refused, setRefused] = useState<string[]>([]);
  return (
    <div className="stack">
      {files.length > 0 && (
        <ul className="plain photo-grid picked" aria-label={t('seller.photosPicked')}>
          {files.map((file, i) => (
            <li key={`${file.name}-${file.size}-${i}`} className="stack">
              {previews[i] && <img src={previews[i]} alt={t('seller.previewN', { n: i + 1 })} width={96} height={96} style={{ objectFit: 'cover' }} />}
              <span className="small muted photo-name">{file.name}</span>
              <button type="button" onClick={() => onChange(files.filter((_, j) => j !== i))} aria-label={t('seller.unpickN', { n: i + 1 })}>
                {t('seller.unpick')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {refused.length > 0 && (
        <p className="alert" role="alert">
          {t('seller.photosRefused', { names: refused.join(', ') })}
        </p>
      )}
      <label className="button" htmlFor={id} aria-disabled={room <= files.length}>
        {t('seller.addPhotos')}
      </label>
      <input
        id={id}
        className="visually-hidden"
        type="file"
        accept={PHOTO_TYPES}
        multiple
        disabled={room <= files.length}
        onChange={(e) => {
          const picked = [...(e.target.files ?? [])];
          e.target.value = '';
          const fit = picked.filter((file) => PHOTO_TYPES.split(',').includes(file.type) && file.size <= MAX_PHOTO_BYTES);
          setRefused(picked.filter((file) => !fit.includes(file)).map((file) => file.name));
          onChange([...files, ...fit].slice(0, room));
        }}
      />
    </div>
  );
}

function NewProduct({ shop, onDone }: { shop: Shop; onDone(productId: string, photosFailed: boolean): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ title: '', description: '', category: 'fashion', externalUrl: '' });
  const [photos, setPhotos] = useState<File[]>([]);
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
          ...(form.externalUrl.trim() ? { externalUrl: form.externalUrl.trim() } : {}),
          variants: variants.map((v) => ({ sku: v.sku, name: v.name, priceIdr: toInt(v.priceIdr), stock: toInt(v.stock), weightGrams: toInt(v.weightGrams) })),
        },
      });
      // Uploaded one after another, in the order they were picked; the first is the cover.
      let photosFailed = false;
      for (const file of photos) {
        try {
          await uploadPhoto(created.id, file);
        } catch {
          photosFailed = true;
        }
      }
      onDone(created.id, photosFailed);
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
      <fieldset className="stack">
        <legend>{t('seller.photos')}</legend>
        <p className="muted small">{t('seller.photosHint')}</p>
        <PhotoPicker id="new-product-photos" files={photos} room={MAX_PHOTOS} onChange={setPhotos} />
      </fieldset>
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
  const [picked, setPicked] = useState<File[]>([]);
  // Uploaded one after another so they keep the order they were picked in.
  const upload = useMutation({
    mutationFn: async (files: File[]) => {
      for (const file of files) {
        await uploadPhoto(product.id, file);
        setPicked((left) => left.filter((f) => f !== file));
      }
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
      {urls.length < MAX_PHOTOS && <PhotoPicker id={`photos-${product.id}`} files={picked} room={MAX_PHOTOS - urls.length} onChange={setPicked} />}
      {picked.length > 0 && (
        <div className="actions">
          <button type="button" className="primary" disabled={upload.isPending} onClick={() => upload.mutate(picked)}>
            {upload.isPending ? t('seller.uploadingPhotos') : t('seller.uploadPicked', { count: picked.length })}
          </button>
        </div>
      )}
    </fieldset>
  );
}

function DetailsEditor({ product }: { product: Product }) {
  const { t, i18n } = useTranslation();
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
  const removing = useMutation({
    mutationFn: (variantId: string) => api(`/api/commerce/variants/${variantId}`, { method: 'DELETE' }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['product', product.id] });
      void client.invalidateQueries({ queryKey: ['shop-products'] });
    },
  });
  // Why a variant cannot go (reserved, in open orders, the last one), in the person's language.
  const refusal = removing.error instanceof ApiError ? removing.error.fieldErrors().variant?.[0] : undefined;
  const removeReason = removing.error ? (refusal ? translateFieldMessage(t, i18n.language, refusal) : problemMessage(t, removing.error)) : undefined;
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
          {variants.length > 1 && (
            <div className="stack">
              {removing.variables === v.id && removeReason && (
                <p className="alert" role="alert">
                  {removeReason}
                </p>
              )}
              <ConfirmButton
                label={t('seller.removeVariant')}
                title={t('seller.removeVariantTitle', { name: v.name })}
                confirmLabel={t('seller.removeVariant')}
                disabled={removing.isPending}
                onConfirm={() => removing.mutate(v.id)}
              >
                <p>{t('seller.removeVariantBody')}</p>
              </ConfirmButton>
            </div>
          )}
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

/** A new variant for a product already for sale: its SKU must be new in the shop. */
function AddVariant({ product }: { product: Product }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  const [draft, setDraft] = useState<VariantDraft>(emptyVariant());
  const [added, setAdded] = useState(false);
  const [open, setOpen] = useState(false);
  const add = useMutation({
    mutationFn: () =>
      api<Product>(`/api/commerce/products/${product.id}/variants`, {
        body: { sku: draft.sku, name: draft.name, priceIdr: toInt(draft.priceIdr), stock: toInt(draft.stock), weightGrams: toInt(draft.weightGrams) },
      }),
    onMutate: () => {
      errors.clear();
      setAdded(false);
    },
    onSuccess: (saved) => {
      setDraft(emptyVariant());
      setAdded(true);
      setOpen(false);
      client.setQueryData(['product', product.id], saved);
      void client.invalidateQueries({ queryKey: ['shop-products'] });
    },
    onError: (error) => errors.show(error, { 409: t('seller.skuTaken') }),
  });
  const set = (key: keyof VariantDraft, value: string) => setDraft({ ...draft, [key]: value });
  if (!open) {
    return (
      <div className="stack">
        {added && (
          <p className="ok" role="status">
            {t('seller.variantAdded')}
          </p>
        )}
        <div className="actions">
          <button
            type="button"
            onClick={() => {
              setAdded(false);
              setOpen(true);
            }}
          >
            {t('seller.addVariant')}
          </button>
        </div>
      </div>
    );
  }
  return (
    <form
      className="variant-box stack"
      noValidate
      aria-labelledby={`add-variant-${product.id}`}
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate();
      }}
    >
      <h3 id={`add-variant-${product.id}`}>{t('seller.addVariant')}</h3>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <Field label={t('seller.variantName')} name={`new-variant-name-${product.id}`} value={draft.name} onChange={(e) => set('name', e.target.value)} errors={errors.fields.name} />
      <Field label={t('seller.sku')} name={`new-variant-sku-${product.id}`} value={draft.sku} onChange={(e) => set('sku', e.target.value)} errors={errors.fields.sku} />
      <Field label={t('seller.price')} name={`new-variant-price-${product.id}`} type="number" inputMode="numeric" min={1} value={draft.priceIdr} onChange={(e) => set('priceIdr', e.target.value)} errors={errors.fields.priceIdr} />
      <Field label={t('seller.stock')} name={`new-variant-stock-${product.id}`} type="number" inputMode="numeric" min={0} value={draft.stock} onChange={(e) => set('stock', e.target.value)} errors={errors.fields.stock} />
      <Field label={t('seller.weight')} name={`new-variant-weight-${product.id}`} type="number" inputMode="numeric" min={1} value={draft.weightGrams} onChange={(e) => set('weightGrams', e.target.value)} errors={errors.fields.weightGrams} />
      <div className="actions">
        <button type="button" onClick={() => setOpen(false)}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="primary" disabled={add.isPending}>
          {add.isPending ? t('auth.working') : t('seller.addVariantSave')}
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
      {/* Keyed by its variants, so one added or removed starts the form afresh from the product. */}
      <DetailsEditor key={product.data.variants.map((v) => v.id).join()} product={product.data} />
      <AddVariant product={product.data} />
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
  const [photosFailed, setPhotosFailed] = useState(false);
  const products = useQuery({ queryKey: ['shop-products', shop.slug], queryFn: () => api<Page<ProductSummary>>(`/api/commerce/products?shop=${encodeURIComponent(shop.id)}&limit=100&sort=newest`) });
  return (
    <div className="stack">
      {saved && (
        <p className="ok" role="status">
          {t('seller.productSaved')}
        </p>
      )}
      {saved && photosFailed && (
        <p className="alert" role="alert">
          {t('seller.photosNotUploaded')}
        </p>
      )}
      {adding ? (
        <NewProduct
          shop={shop}
          onDone={(productId, failed) => {
            setAdding(false);
            setSaved(true);
            setPhotosFailed(failed);
            // Its editor opens next, to add more photos or retry the ones that did not go up.
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
