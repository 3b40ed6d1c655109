const money = new Intl.NumberFormat('id-ID', { style: 'currency', currency: 'IDR', maximumFractionDigits: 0 });

/** Integer rupiah as people read it: "Rp 150.000" (a normal space after Rp). */
export function formatIdr(amount: number): string {
  return money.format(amount).replace(/\u00a0/g, ' ');
}

export function formatIdrRange(min: number, max: number): string {
  return min === max ? formatIdr(min) : `${formatIdr(min)} – ${formatIdr(max)}`;
}

const localeOf = (language: string) => (language === 'en' ? 'en-GB' : 'id-ID');

/** A UTC instant shown in Jakarta time, e.g. "12 Mei 2026 14.05 WIB". */
export function formatDateTime(iso: string, language: string): string {
  return new Intl.DateTimeFormat(localeOf(language), { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Jakarta' }).format(new Date(iso)) + ' WIB';
}

export function formatDate(iso: string, language: string): string {
  return new Intl.DateTimeFormat(localeOf(language), { day: 'numeric', month: 'short', timeZone: 'Asia/Jakarta' }).format(new Date(iso));
}

export function formatCount(n: number, language: string): string {
  return new Intl.NumberFormat(localeOf(language), { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

/** "01:02:03" for a countdown. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h, m, s].map((x) => String(x).padStart(2, '0')).join(':');
}

/** The number a person reads off an order: its id's last 8 characters (the server finds it by them). */
export function orderNumber(id: string): string {
  return id.slice(-8).toUpperCase();
}
