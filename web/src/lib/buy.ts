/** A buy-now intent carried from a video's product sheet to checkout (and kept across a reload). */
export interface BuyNowItem {
  variantId: string;
  quantity: number;
  attributionToken?: string;
  productId: string;
  title: string;
  variantName: string;
  unitPriceIdr: number;
  videoId?: string;
}

const KEY = 'sekat.buyNow';

export function saveBuyNow(items: BuyNowItem[]): void {
  sessionStorage.setItem(KEY, JSON.stringify(items));
}

export function loadBuyNow(): BuyNowItem[] | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as BuyNowItem[]) : null;
  } catch {
    return null;
  }
}

export function clearBuyNow(): void {
  sessionStorage.removeItem(KEY);
}

/** An add-to-cart an anonymous person asked for, done by the cart once they have signed in. */
export interface PendingCartItem {
  variantId: string;
  quantity: number;
  attributionToken?: string;
}

const PENDING_CART_KEY = 'sekat.pendingCart';

export function savePendingCart(item: PendingCartItem): void {
  sessionStorage.setItem(PENDING_CART_KEY, JSON.stringify(item));
}

export function loadPendingCart(): PendingCartItem | null {
  try {
    const raw = sessionStorage.getItem(PENDING_CART_KEY);
    return raw ? (JSON.parse(raw) as PendingCartItem) : null;
  } catch {
    return null;
  }
}

export function clearPendingCart(): void {
  sessionStorage.removeItem(PENDING_CART_KEY);
}
