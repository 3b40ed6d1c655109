/**
 * A fixed-size Bloom filter of the video ids one feed session has already shown. It rides in
 * the opaque cursor, so the server keeps no per-session state. It has no false negatives, so a
 * shown video is never shown again; a false positive only skips a video.
 */
export class SeenFilter {
  static readonly BITS = 4096;
  private static readonly HASHES = 3;

  private constructor(private readonly bits: Uint8Array) {}

  static empty(): SeenFilter {
    return new SeenFilter(new Uint8Array(SeenFilter.BITS / 8));
  }

  static decode(encoded: string): SeenFilter | undefined {
    const bytes = Buffer.from(encoded, 'base64url');
    return bytes.length === SeenFilter.BITS / 8 ? new SeenFilter(new Uint8Array(bytes)) : undefined;
  }

  encode(): string {
    return Buffer.from(this.bits).toString('base64url');
  }

  /** Calls `visit` with each of the k bit positions of an id (no allocation: it runs per candidate). */
  private static forEachPosition(id: string, visit: (position: number) => boolean): boolean {
    // Two FNV-1a variants combined (Kirsch–Mitzenmacher) give the k positions.
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
    }
    const step = (h2 | 1) >>> 0;
    for (let k = 0; k < SeenFilter.HASHES; k++) {
      if (!visit((h1 + k * step) % SeenFilter.BITS)) return false;
    }
    return true;
  }

  add(id: string): void {
    SeenFilter.forEachPosition(id, (p) => {
      this.bits[p >> 3]! |= 1 << (p & 7);
      return true;
    });
  }

  has(id: string): boolean {
    return SeenFilter.forEachPosition(id, (p) => (this.bits[p >> 3]! & (1 << (p & 7))) !== 0);
  }
}
