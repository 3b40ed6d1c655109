import type { OrderLine } from '../api/types';
import { Icon } from './Icon';

/** The first line's product photo, so an order is known at a glance. */
export function OrderThumb({ lines }: { lines: OrderLine[] }) {
  const url = lines[0]?.imageUrl;
  return url ? (
    <img src={url} alt="" className="order-thumb" loading="lazy" />
  ) : (
    <span className="order-thumb placeholder" aria-hidden="true">
      <Icon name="bag" size={22} />
    </span>
  );
}
