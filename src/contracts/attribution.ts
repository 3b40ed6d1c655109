/**
 * The attribution token social signs when a viewer taps a product tag, and commerce verifies
 * offline at checkout (platform/tokens.ts, key `secrets.attributionKey`). It names the creator's
 * affiliate id, the video and the product, and nothing about the viewer.
 */
export interface AttributionClaims {
  v: 1;
  /** Commerce affiliate id of the creator who tagged the product. */
  aff: string;
  /** Social video id. */
  vid: string;
  /** Commerce product id. */
  pid: string;
  /** Expiry, seconds since epoch (7 days after the tap). */
  exp: number;
  /** Random nonce so two taps never share a token. */
  n: string;
}

export const ATTRIBUTION_TTL_SECONDS = 7 * 24 * 60 * 60;
