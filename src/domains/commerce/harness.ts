import type { Config } from '../../platform/config.js';
import { openDomainStore, type DomainStore } from '../../platform/db.js';
import { migrate } from '../../platform/migrate.js';
import { createLogger } from '../../platform/log.js';
import { CatalogService } from './catalog/catalog.js';
import { CheckoutService, type CheckoutInput } from './checkout/checkout.js';
import { OrderService } from './orders/orders.js';
import { SandboxProvider } from './payments/sandbox.js';
import { DEFAULT_EXPIRY } from './payments/methods.js';
import { MIGRATIONS } from './index.js';

/**
 * Commerce's services on its own store, without HTTP or the other domains: for model tests of
 * inventory and the order machine, and for the checkout benchmark.
 */
export interface CommerceHarness {
  store: DomainStore;
  catalog: CatalogService;
  checkout: CheckoutService;
  orders: OrderService;
  provider: SandboxProvider;
  /** A shop owned by `seller` with one product of one variant holding `stock` units. */
  seedVariant(stock: number, priceIdr?: number): Promise<{ productId: string; variantId: string; shopId: string }>;
  /** Two shops, each with one product of `perShop` variants holding `stock` units each. */
  seedVariants(perShop: number, stock: number): Promise<string[]>;
  buy(subject: string, variantId: string, quantity: number, method?: CheckoutInput['paymentMethod']): ReturnType<CheckoutService['checkout']>;
  buyMany(subject: string, items: { variantId: string; quantity: number }[]): ReturnType<CheckoutService['checkout']>;
  close(): Promise<void>;
}

export const HARNESS_SELLER = 'seller-subject';
export const HARNESS_ADDRESS = { recipient: 'Budi', phone: '081234567890', line1: 'Jl. Sudirman 1', city: 'Jakarta', province: 'DKI Jakarta', postalCode: '10220' };

let seeded = 0;
let keys = 0;

export async function openCommerceHarness(config: Config): Promise<CommerceHarness> {
  const store = await openDomainStore('commerce', { dataDir: config.dataDir, databaseUrl: config.databaseUrl, databasePrefix: config.databasePrefix, pgliteTemplateDir: config.pgliteTemplateDir });
  await migrate(store.db, 'commerce', MIGRATIONS);
  const provider = new SandboxProvider(config.secrets.paymentServerKey, store.db);
  const catalog = new CatalogService(store.db);
  const checkout = new CheckoutService(store.db, provider, { attributionKey: config.secrets.attributionKey, expiry: DEFAULT_EXPIRY }, createLogger('silent'));
  return {
    store,
    catalog,
    checkout,
    orders: new OrderService(store.db),
    provider,
    async seedVariant(stock, priceIdr = 100_000) {
      seeded++;
      const shop = await catalog.createShop(HARNESS_SELLER, { name: `Toko ${seeded}`, slug: `toko-${process.pid}-${Date.now().toString(36)}-${seeded}`, city: 'Jakarta' });
      const product = await catalog.createProduct(HARNESS_SELLER, shop.id, {
        title: `Produk ${seeded}`,
        description: 'Untuk uji',
        category: 'hobi',
        variants: [{ sku: `SKU-${seeded}`, name: 'Standar', priceIdr, stock, weightGrams: 500 }],
      });
      return { productId: product.id, variantId: product.variants[0]!.id, shopId: shop.id };
    },
    async seedVariants(perShop, stock) {
      const ids: string[] = [];
      for (let shop = 0; shop < 2; shop++) {
        seeded++;
        const created = await catalog.createShop(HARNESS_SELLER, { name: `Toko ${seeded}`, slug: `toko-${process.pid}-${Date.now().toString(36)}-${seeded}`, city: shop ? 'Surabaya' : 'Jakarta' });
        const product = await catalog.createProduct(HARNESS_SELLER, created.id, {
          title: `Produk ${seeded}`,
          description: 'Untuk uji',
          category: 'hobi',
          variants: Array.from({ length: perShop }, (_, i) => ({ sku: `SKU-${seeded}-${i}`, name: `Varian ${i}`, priceIdr: 10_000 * (i + 1), stock, weightGrams: 300 })),
        });
        ids.push(...product.variants.map((v) => v.id));
      }
      return ids;
    },
    buyMany(subject, items) {
      return checkout.checkout(subject, `k${process.pid}-${++keys}`, { items, shippingAddress: HARNESS_ADDRESS, courier: 'jne_reg', paymentMethod: 'va_bca' });
    },
    buy(subject, variantId, quantity, method = 'va_bca') {
      return checkout.checkout(subject, `k${process.pid}-${++keys}`, {
        items: [{ variantId, quantity }],
        shippingAddress: HARNESS_ADDRESS,
        courier: 'jne_reg',
        paymentMethod: method,
      });
    },
    close: () => store.close(),
  };
}
