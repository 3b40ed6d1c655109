import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page, Product, ProductSummary, Shop } from '../api/types';
import { formatIdr } from '../lib/format';

/** The product and its variant a seller-centre form is about (one of the shop's own). */
export function useShopProduct(productId: string) {
  return useQuery({ queryKey: ['product', productId], queryFn: () => api<Product>(`/api/commerce/products/${productId}`), enabled: !!productId });
}

/**
 * The two selects a seller-centre form opens with: one of the shop's products, then one of its
 * variants with its price and what is available. `section` names the i18n section that holds the
 * labels (`product`, `pickProduct`, `variant`, `pickVariant`, `variantOption`).
 */
export function ShopVariantSelect({ shop, section, idPrefix = section, productId, variantId, onProduct, onVariant, variantErrors }: {
  shop: Shop;
  section: 'flash' | 'allocations';
  /** The select ids are `<idPrefix>-product` and `<idPrefix>-variant`. */
  idPrefix?: string;
  productId: string;
  variantId: string;
  onProduct(productId: string): void;
  onVariant(variantId: string): void;
  variantErrors?: string[];
}) {
  const { t } = useTranslation();
  const products = useQuery({
    queryKey: ['shop-products', shop.slug],
    queryFn: () => api<Page<ProductSummary>>(`/api/commerce/products?shop=${encodeURIComponent(shop.id)}&limit=100&sort=newest`),
  });
  const product = useShopProduct(productId);
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-product`}>{t(`${section}.product`)}</label>
        <select id={`${idPrefix}-product`} value={productId} onChange={(e) => onProduct(e.target.value)} required>
          <option value="">{t(`${section}.pickProduct`)}</option>
          {products.data?.items.map((p) => (
            <option key={p.id} value={p.id}>
              {p.title}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-variant`}>{t(`${section}.variant`)}</label>
        <select
          id={`${idPrefix}-variant`}
          value={variantId}
          onChange={(e) => onVariant(e.target.value)}
          disabled={!product.data}
          aria-invalid={variantErrors ? true : undefined}
          required
        >
          <option value="">{t(`${section}.pickVariant`)}</option>
          {product.data?.variants.map((v) => (
            <option key={v.id} value={v.id}>
              {t(`${section}.variantOption`, { name: v.name, price: formatIdr(v.priceIdr), available: v.available })}
            </option>
          ))}
        </select>
        {variantErrors && (
          <small className="error" role="alert">
            {variantErrors.join(' ')}
          </small>
        )}
      </div>
    </>
  );
}
