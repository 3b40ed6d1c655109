/** The README that opens every export, in Bahasa Indonesia first. */
export function exportReadme(createdAt: Date): string {
  const when = createdAt.toLocaleString('id-ID', { timeZone: 'Asia/Jakarta', dateStyle: 'long', timeStyle: 'short' });
  return `DATA ANDA DI SEKAT
==================

Arsip ini dibuat pada ${when} WIB atas permintaan Anda. Isinya semua data pribadi yang disimpan
Sekat tentang Anda, dalam format terbuka (JSON dan file video asli), sehingga Anda dapat membacanya
atau memindahkannya ke layanan lain.

Sekat terdiri dari sistem-sistem yang terpisah. Setiap sistem mengenal Anda dengan nama samaran
yang berbeda dan tidak saling menggabungkan data tanpa persetujuan Anda:

- identity.json  Akun Anda: email, nama pengguna, nama tampilan, sesi masuk.
- social.json    Sisi sosial: profil, video, komentar, suka, yang Anda ikuti, riwayat tontonan.
- social/files/  File video yang Anda unggah.
- commerce.json  Sisi belanja: toko, produk, keranjang, alamat, pesanan, pembayaran, ulasan,
                 komisi afiliasi.
- bridge.json    Jembatan: persetujuan yang Anda berikan atau cabut (dengan riwayatnya), tautan
                 afiliasi, dan permintaan privasi Anda.

Waktu ditulis dalam UTC (ISO 8601). Harga dalam rupiah (bilangan bulat).

Ingin menghapus akun? Buka Pusat Privasi di aplikasi Sekat, atau kirim DELETE /api/me.

---

YOUR DATA AT SEKAT (English)

This archive holds all personal data Sekat keeps about you, in open formats (JSON and your
original video files). Each part of Sekat knows you under a different pseudonym and never
combines data without your consent. Files: identity.json (account), social.json and social/files/
(social side), commerce.json (shopping side), bridge.json (consents and privacy requests).
Times are UTC; prices are whole rupiah.
`;
}
