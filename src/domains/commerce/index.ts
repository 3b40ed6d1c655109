import type { FastifyRequest } from 'fastify';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { outboxWriteCount } from '../../platform/outbox.js';
import type { JobHandler } from '../../platform/jobs.js';
import type { AnyDB, Database } from '../../platform/db.js';
import type { DomainDeps, DomainInstance } from '../../platform/domain.js';
import { CatalogService } from './catalog/catalog.js';
import { ProductImages } from './catalog/images.js';
import { CartService } from './checkout/cart.js';
import { CheckoutService } from './checkout/checkout.js';
import { OrderService } from './orders/orders.js';
import { ReviewService } from './reviews.js';
import { AffiliateService } from './affiliates.js';
import { PrivacyService } from './privacy.js';
import { SandboxProvider } from './payments/sandbox.js';
import { DEFAULT_EXPIRY, type PaymentExpiry } from './payments/methods.js';
import { commerceRoutes } from './routes.js';
import { CommerceBridgePort } from './bridge-port.js';
import { CatalogPortability } from './catalog/portability.js';
import { portabilityRoutes } from './catalog/portability.routes.js';
import { FavouritesService } from './favourites.js';
import { favouritesRoutes } from './favourites.routes.js';
import { AddressBookService } from './checkout/address.js';
import { addressRoutes } from './checkout/addresses.routes.js';
import { ReviewPhotos } from './review-photos.js';
import { reviewRoutes } from './reviews.routes.js';
import type { CommercePort } from '../../contracts/ports.js';
import { FlashSaleService } from './flash/flash.js';
import { flashRoutes } from './flash/routes.js';
import { AllocationService } from './flash/allocations.js';
import { allocationRoutes } from './flash/allocation-routes.js';
import { SandboxDisbursement, type IrisSandbox } from './ledger/iris-sandbox.js';
import { IrisClient, type IrisCredentials } from './ledger/disbursement.js';
import { BiteshipClient, type BiteshipCredentials } from './shipping/courier.js';
import { SandboxCourier, type BiteshipSandbox } from './shipping/biteship-sandbox.js';
import { ShipmentService } from './shipping/shipments.js';
import { ReturnService, type ReturnDeadline } from './returns/returns.js';
import { returnRoutes } from './returns/routes.js';
import { shippingRoutes } from './shipping/routes.js';
import { PayoutService } from './ledger/payouts.js';
import { StatementService } from './ledger/statement.js';
import { ledgerRoutes } from './ledger/routes.js';
import { commerceModeration } from './moderation.js';
import { moderationRoutes } from '../../platform/moderation/routes.js';
import { ChatService } from './chat.js';
import { chatRoutes } from './chat.routes.js';
import { notificationRoutes } from '../../platform/notifications.js';
import { commerceInbox, CommerceNotificationSchema } from './notifications.js';
import { schedulePurge } from './checkout/purge.job.js';
import { registerCommerceJobs } from './jobs.js';

export const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface CommerceSecrets {
  /** Verifies attribution tokens social signs (offline; commerce never calls social). */
  attributionKey: string;
  /** Signs and verifies the sandbox gateway's notifications. */
  paymentServerKey: string;
}

export interface CommerceSettings {
  paymentProvider?: 'sandbox';
  paymentExpiry?: PaymentExpiry;
  /** Whether the caller operates the platform (the composition root knows; commerce hears yes or no). */
  isOperator?: (request: FastifyRequest) => boolean;
  /** Pays sellers out: Midtrans Iris with these keys, else (the embedded default) an Iris sandbox on loopback. */
  iris?: IrisCredentials;
  /** Carries parcels: Biteship with these keys, else (the embedded default) a Biteship sandbox on loopback. */
  biteship?: BiteshipCredentials;
}

export interface CommerceInstance extends DomainInstance {
  /** Public facts of every listed product, for a projection that starts empty. */
  productSnapshot: CommerceBridgePort['productSnapshot'];
  /** What the bridge may call (contracts/ports.ts). */
  port: CommercePort;
  /** The embedded Iris sandbox, when no real disbursement provider was given (for tests and demos). */
  disbursementSandbox: IrisSandbox | undefined;
  /** The embedded Biteship sandbox, when no real courier aggregator was given. */
  courierSandbox: BiteshipSandbox | undefined;
  /** The return deadline job's handler on a given clock (tests run timers with a fake one). */
  returnTimer(now: () => Date): JobHandler<ReturnDeadline>;
  /** Deletes return evidence uploaded a day before `now` and never sent (what the hourly job does). */
  purgeUnsentReturnEvidence(now: Date): Promise<number>;
  /** Whether this commerce subject owns a shop: the composition root's one question, answered yes or no. */
  isSeller(subject: string): Promise<boolean>;
}

export function start(deps: DomainDeps, secrets: CommerceSecrets, settings: CommerceSettings = {}): CommerceInstance {
  const db: Database = deps.db.withTables<AnyDB>();
  const provider = new SandboxProvider(secrets.paymentServerKey, db);
  const expiry = settings.paymentExpiry ?? DEFAULT_EXPIRY;
  const images = new ProductImages(db, deps.dataDir);
  const catalog = new CatalogService(db, (urls) => images.discard(urls));
  const reviewPhotos = new ReviewPhotos(db, deps.dataDir);
  const reviews = new ReviewService(db);
  const chat = new ChatService(db, deps.dataDir);
  const inbox = commerceInbox(db);
  const bridgePort = new CommerceBridgePort(db);
  const moderation = commerceModeration(db, (messageId) => void chat.removed(messageId).catch((error: unknown) => deps.log.warn({ err: error }, 'could not tell the chat a message was removed')));
  const sandboxDisbursement = settings.iris ? undefined : new SandboxDisbursement();
  const payouts = new PayoutService(db, settings.iris ? new IrisClient(settings.iris) : sandboxDisbursement!, deps.log);
  // Without a callback URL the sandbox hands its signed notifications to the same function the
  // webhook route calls, as the payment sandbox's simulate does.
  if (sandboxDisbursement) sandboxDisbursement.sandbox.deliver = async (n) => void (await payouts.receiveNotification(n.body, n.signature));
  const sandboxCourier = settings.biteship ? undefined : new SandboxCourier();
  const shipments = new ShipmentService(db, settings.biteship ? new BiteshipClient(settings.biteship) : sandboxCourier!, deps.log);
  // As with payouts: without a callback URL the sandbox hands its webhooks to the route's function.
  if (sandboxCourier) sandboxCourier.sandbox.deliver = async (w) => void (await shipments.receiveWebhook(w.body, w.headers));
  const returns = new ReturnService(db, shipments, deps.dataDir, deps.log);
  returns.schedulePurge().catch((error: unknown) => deps.log.warn({ err: error }, 'could not schedule the purge of unsent return evidence'));
  const privacy = new PrivacyService(db, reviewPhotos, chat, returns, inbox);
  registerCommerceJobs(deps.jobs, { db: db, provider, log: deps.log, shipments, returns, payouts });
  schedulePurge(db).catch((error: unknown) => deps.log.warn({ err: error }, 'could not schedule the idempotency purge'));
  const routes = commerceRoutes({
    db: db,
    catalog,
    images,
    cart: new CartService(db),
    checkout: new CheckoutService(db, provider, { attributionKey: secrets.attributionKey, expiry }, deps.log),
    orders: new OrderService(db),
    shipments,
    reviews,
    affiliates: new AffiliateService(db),
    provider,
    paymentProvider: settings.paymentProvider ?? 'sandbox',
    isOperator: settings.isOperator ?? (() => false),
  });
  return {
    routes: async (app) => {
      // Product events leave through the outbox; relay them as soon as a request wrote some
      // (the relay's timer catches anything else). Added before the routes, so they inherit it.
      let relayedUpTo = outboxWriteCount();
      app.addHook('onResponse', (request, reply, done) => {
        if (request.method !== 'GET' && reply.statusCode < 400 && outboxWriteCount() !== relayedUpTo) {
          relayedUpTo = outboxWriteCount();
          void deps.outbox.kick();
        }
        done();
      });
      await app.register(routes);
      await app.register(portabilityRoutes(new CatalogPortability(db, catalog)));
      await app.register(favouritesRoutes(new FavouritesService(db)));
      await app.register(addressRoutes(db, new AddressBookService(db)));
      await app.register(reviewRoutes(reviews, reviewPhotos));
      await app.register(flashRoutes(new FlashSaleService(db)));
      await app.register(allocationRoutes(new AllocationService(db), new FlashSaleService(db)));
      await app.register(ledgerRoutes(new StatementService(db), payouts));
      await app.register(shippingRoutes(shipments, sandboxCourier?.sandbox));
      await app.register(chatRoutes(chat));
      await app.register(returnRoutes(returns, shipments, sandboxCourier?.sandbox, settings.isOperator ?? (() => false)));
      await app.register(notificationRoutes(inbox, CommerceNotificationSchema));
      await app.register(moderationRoutes(moderation, { isOperator: settings.isOperator ?? (() => false) }));
    },
    health: async () => true,
    stop: async () => {
      await sandboxDisbursement?.stop();
      await sandboxCourier?.stop();
    },
    disbursementSandbox: sandboxDisbursement?.sandbox,
    courierSandbox: sandboxCourier?.sandbox,
    returnTimer: (now) => returns.deadlineJob(now),
    purgeUnsentReturnEvidence: (now) => returns.purgeUnsent(now),
    isSeller: async (subject) => (await db.selectFrom('shops').select('id').where('owner_subject', '=', subject).limit(1).executeTakeFirst()) !== undefined,
    productSnapshot: () => bridgePort.productSnapshot(),
    port: {
      exportSubject: async (subject) => {
        const data = { ...(await privacy.exportSubject(subject)), moderation: await moderation.exportOf(subject) };
        const chatPhotos = [...data.chat.messages, ...(data.chat.shopMessages as { photo_url: string | null }[])].map((m) => m.photo_url);
        return {
          data,
          files: [
            ...reviewPhotos.filesOf(data.reviews.flatMap((review) => review.photo_urls as string[])),
            ...chat.filesOf(chatPhotos),
            ...returns.filesOf(data.returns.returnEvidence.map((e) => e.file)),
          ],
        };
      },
      eraseSubject: async (subject) => {
        await moderation.eraseOf(db, subject);
        return privacy.eraseSubject(subject);
      },
      affiliateIdOf: (subject) => bridgePort.affiliateIdOf(subject),
      openOrders: (subject) => bridgePort.openOrders(subject),
      mayPromote: (subject, productId) => bridgePort.mayPromote(subject, productId),
      purchaseCategories: (subject) => bridgePort.purchaseCategories(subject),
      attributedStats: (affiliateId, from, to) => bridgePort.attributedStats(affiliateId, from, to),
      liveOffer: (subject, ref) => bridgePort.liveOffer(subject, ref),
    },
  };
}
