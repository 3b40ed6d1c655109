import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { ProductSummary } from '../api/types';
import { formatIdrRange } from '../lib/format';
import { Icon } from './Icon';

export function ProductCard({ product }: { product: ProductSummary }) {
  const { t } = useTranslation();
  return (
    <li className="product-card">
      <Link to={`/produk/${product.id}`}>
        {product.imageUrl ? <img src={product.imageUrl} alt="" /> : <div className="thumb placeholder" aria-hidden="true">
              <Icon name="bag" size={36} />
            </div>}
        <span className="title">{product.title}</span>
        <span className="price">{formatIdrRange(product.priceMinIdr, product.priceMaxIdr)}</span>
        <span className="muted small">
          {product.shopName}
          {product.rating.count > 0 && ` · ★ ${product.rating.average?.toFixed(1)} (${product.rating.count})`}
          {!product.inStock && ` · ${t('product.soldOut')}`}
        </span>
      </Link>
    </li>
  );
}
