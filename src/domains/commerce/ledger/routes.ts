import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../../platform/errors.js';
import { PageQuery, requireRecentAuthentication, requireSubject, requireVerifiedEmail } from '../../../platform/http.js';
import { DisplayName } from '../../../platform/text.js';
import { BANKS } from './banks.js';
import { AFFILIATE_ACCOUNTS, REASONS, SHOP_ACCOUNTS } from './ledger.js';
import type { PayoutService } from './payouts.js';
import type { StatementService } from './statement.js';

const tags = ['commerce'];
const Problem = Type.Ref('Problem');
const ShopParams = Type.Object({ shopId: Type.String({ format: 'uuid' }) });
const DateTime = Type.String({ format: 'date-time' });
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const Balance = Type.Object({
  availableIdr: Type.Integer({ description: 'What the shop may withdraw now' }),
  pendingIdr: Type.Integer({ description: 'Completed orders waiting for their settlement day' }),
  escrowIdr: Type.Integer({ description: 'Paid orders not yet completed' }),
  payoutProcessingIdr: Type.Integer(),
  paidOutIdr: Type.Integer(),
  tier: Type.String(),
  settlementDays: Type.Integer(),
  feeBasisPoints: Type.Integer(),
  nextReleaseAt: Type.Union([DateTime, Type.Null()]),
});
const StatementLine = Type.Object({
  id: Type.String(),
  at: DateTime,
  account: Type.Union(SHOP_ACCOUNTS.map((a) => Type.Literal(a))),
  amountIdr: Type.Integer({ description: 'Into the account when positive, out of it when negative' }),
  reason: Type.Union(REASONS.map((r) => Type.Literal(r))),
  orderId: Type.Union([Type.String(), Type.Null()]),
  payoutId: Type.Union([Type.String(), Type.Null()]),
  hold: Type.Union([Type.Object({ reason: Type.String(), until: DateTime, released: Type.Boolean() }), Type.Null()]),
});
const BankAccount = Type.Object({
  id: Type.String(), bankCode: Type.String(), bankName: Type.String(), accountNumberMasked: Type.String(), holderName: Type.String(),
  validatedAt: DateTime,
});
const Payout = Type.Object({
  id: Type.String(),
  bankAccountId: Type.String(),
  amountIdr: Type.Integer(),
  status: Type.Union([Type.Literal('requested'), Type.Literal('processing'), Type.Literal('paid'), Type.Literal('failed')]),
  failureCode: Type.Union([Type.String(), Type.Null()]),
  failureMessage: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime,
  updatedAt: DateTime,
});
const BankCode = Type.Union(BANKS.map((b) => Type.Literal(b.code)));
const NewBankAccount = Type.Object(
  {
    bankCode: BankCode,
    accountNumber: Type.String({ pattern: '^[0-9]{6,20}$', description: 'Digits only' }),
    holderName: DisplayName({ minLength: 2, maxLength: 100 }),
  },
  { additionalProperties: false },
);
const NewPayout = Type.Object({ amountIdr: Type.Integer({ minimum: 10_000, maximum: 100_000_000_000 }), bankAccountId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String()) });
const AffiliateBalance = Type.Object({
  pendingIdr: Type.Integer({ description: 'Commission on orders not completed yet' }),
  withdrawableIdr: Type.Integer({ description: 'Confirmed (payable) commission the creator may withdraw now' }),
  payoutProcessingIdr: Type.Integer(),
  paidOutIdr: Type.Integer(),
});
const AffiliateStatementLine = Type.Object({
  id: Type.String(),
  at: DateTime,
  account: Type.Union(AFFILIATE_ACCOUNTS.map((a) => Type.Literal(a))),
  amountIdr: Type.Integer({ description: 'Into the account when positive, out of it when negative' }),
  reason: Type.Union(REASONS.map((r) => Type.Literal(r))),
  orderId: Type.Union([Type.String(), Type.Null()]),
  payoutId: Type.Union([Type.String(), Type.Null()]),
});

/** A withdrawal waits for a verified email and a recent sign-in, whoever withdraws. */
function withdrawer(request: FastifyRequest): string {
  requireVerifiedEmail(request, 'withdrawing money');
  return requireRecentAuthentication(request, 'withdrawing money');
}

function idempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw badRequest('The Idempotency-Key header is required: 1–255 visible ASCII characters.', { 'Idempotency-Key': ['is required'] });
  }
  return key;
}

/** The seller's balance (Saldo), statement, bank accounts and withdrawals; the payout callback. */
export function ledgerRoutes(statements: StatementService, payouts: PayoutService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/commerce/banks',
      { schema: { tags, summary: 'Banks a payout can go to (the disbursement provider’s codes)', response: { 200: Type.Object({ items: Type.Array(Type.Object({ code: Type.String(), name: Type.String() })) }) } } },
      async () => ({ items: BANKS.map((b) => ({ code: b.code, name: b.name })) }),
    );
    app.get(
      '/commerce/shops/:shopId/balance',
      { schema: { tags, summary: 'The shop’s balances: available, pending settlement, escrow, paid out (owner only)', params: ShopParams, response: { 200: Balance, 400: Problem, 401: Problem, 403: Problem, 404: Problem } } },
      async (request) => statements.balance(requireSubject(request), request.params.shopId),
    );
    app.get(
      '/commerce/shops/:shopId/statement',
      {
        schema: {
          tags,
          summary: 'Every ledger line on the shop’s accounts, newest first, with its order, date and reason (owner only)',
          params: ShopParams,
          querystring: PageQuery,
          response: {
            200: Type.Object({ items: Type.Array(StatementLine), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 400: Problem, 401: Problem,
            403: Problem, 404: Problem,
          },
        },
      },
      async (request) => statements.statement(requireSubject(request), request.params.shopId, request.query.limit ?? 20, request.query.cursor),
    );
    app.get(
      '/commerce/shops/:shopId/statement.csv',
      { schema: { tags, summary: 'The whole statement as CSV, oldest first (owner only)', params: ShopParams, response: { 200: Type.String({ description: 'text/csv' }), 400: Problem, 401: Problem, 403: Problem, 404: Problem } } },
      async (request, reply) => {
        const csv = await statements.csv(requireSubject(request), request.params.shopId);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="saldo-${request.params.shopId}.csv"`)
          .send(csv);
      },
    );
    app.get(
      '/commerce/shops/:shopId/bank-accounts',
      { schema: { tags, summary: 'The shop’s validated bank accounts (owner only)', params: ShopParams, response: { 200: Type.Object({ items: Type.Array(BankAccount) }), 400: Problem, 401: Problem, 403: Problem, 404: Problem } } },
      async (request) => payouts.bankAccounts(await payouts.shopOwner(requireSubject(request), request.params.shopId)),
    );
    app.post(
      '/commerce/shops/:shopId/bank-accounts',
      {
        schema: {
          tags,
          summary: 'Add a bank account; saved only once the provider’s account validation confirms it and its holder (403 `reauthentication-required` unless signed in or re-authenticated recently)',
          params: ShopParams,
          body: NewBankAccount,
          response: { 200: BankAccount, 201: BankAccount, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem },
        },
      },
      async (request, reply) => {
        const owner = await payouts.shopOwner(requireRecentAuthentication(request, 'adding a bank account'), request.params.shopId);
        const result = await payouts.addBankAccount(owner, request.body);
        return reply.code(result.created ? 201 : 200).send(result.account);
      },
    );
    app.get(
      '/commerce/shops/:shopId/payouts',
      { schema: { tags, summary: 'The shop’s latest withdrawals (owner only)', params: ShopParams, response: { 200: Type.Object({ items: Type.Array(Payout) }), 400: Problem, 401: Problem, 403: Problem, 404: Problem } } },
      async (request) => payouts.payouts(await payouts.shopOwner(requireSubject(request), request.params.shopId)),
    );
    app.post(
      '/commerce/shops/:shopId/payouts',
      {
        schema: {
          tags,
          summary:
            'Withdraw from the available balance to a validated account (header Idempotency-Key required); 409 with `availableIdr` when it is more than available; 403 `email-not-verified` or `reauthentication-required` first when the email is unconfirmed or the sign-in not recent',
          params: ShopParams,
          headers: IdempotencyHeaders,
          body: NewPayout,
          response: { 200: Payout, 201: Payout, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
        },
      },
      async (request, reply) => {
        const subject = withdrawer(request);
        const key = idempotencyKey(request.headers['idempotency-key']);
        const result = await payouts.withdraw(await payouts.shopOwner(subject, request.params.shopId), key, request.body);
        if (!result.created) reply.header('idempotent-replayed', 'true');
        return reply.code(result.created ? 201 : 200).send(result.payout);
      },
    );

    // A creator's confirmed commission: the same bank accounts and withdrawals, owned by their affiliate id.
    const notEnrolled = { 400: Problem, 401: Problem, 404: Problem };
    app.get(
      '/commerce/affiliates/me/balance',
      { schema: { tags, summary: 'The creator’s commission: pending, withdrawable (confirmed), being transferred, paid out (404 when not enrolled)', response: { 200: AffiliateBalance, ...notEnrolled } } },
      async (request) => statements.affiliateBalance(requireSubject(request)),
    );
    app.get(
      '/commerce/affiliates/me/statement',
      {
        schema: {
          tags,
          summary: 'Every ledger line on the creator’s commission accounts, newest first, with its order, date and reason',
          querystring: PageQuery,
          response: { 200: Type.Object({ items: Type.Array(AffiliateStatementLine), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...notEnrolled },
        },
      },
      async (request) => statements.affiliateStatement(requireSubject(request), request.query.limit ?? 20, request.query.cursor),
    );
    app.get(
      '/commerce/affiliates/me/statement.csv',
      { schema: { tags, summary: 'The creator’s whole commission statement as CSV, oldest first', response: { 200: Type.String({ description: 'text/csv' }), ...notEnrolled } } },
      async (request, reply) => {
        const csv = await statements.affiliateCsv(requireSubject(request));
        return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="komisi.csv"').send(csv);
      },
    );
    app.get(
      '/commerce/affiliates/me/bank-accounts',
      { schema: { tags, summary: 'The creator’s validated bank accounts', response: { 200: Type.Object({ items: Type.Array(BankAccount) }), ...notEnrolled } } },
      async (request) => payouts.bankAccounts(await payouts.affiliateOwner(requireSubject(request))),
    );
    app.post(
      '/commerce/affiliates/me/bank-accounts',
      {
        schema: {
          tags,
          summary: 'Add a bank account for commission, checked by the provider’s account validation as a seller’s is (403 `reauthentication-required` unless signed in or re-authenticated recently)',
          body: NewBankAccount,
          response: { 200: BankAccount, 201: BankAccount, 403: Problem, 422: Problem, ...notEnrolled },
        },
      },
      async (request, reply) => {
        const owner = await payouts.affiliateOwner(requireRecentAuthentication(request, 'adding a bank account'));
        const result = await payouts.addBankAccount(owner, request.body);
        return reply.code(result.created ? 201 : 200).send(result.account);
      },
    );
    app.get(
      '/commerce/affiliates/me/payouts',
      { schema: { tags, summary: 'The creator’s latest commission withdrawals', response: { 200: Type.Object({ items: Type.Array(Payout) }), ...notEnrolled } } },
      async (request) => payouts.payouts(await payouts.affiliateOwner(requireSubject(request))),
    );
    app.post(
      '/commerce/affiliates/me/payouts',
      {
        schema: {
          tags,
          summary:
            'Withdraw confirmed commission to a validated account (header Idempotency-Key required); 409 with `availableIdr` when it is more than payable; 403 `email-not-verified` or `reauthentication-required` first, as for sellers',
          headers: IdempotencyHeaders,
          body: NewPayout,
          response: { 200: Payout, 201: Payout, 403: Problem, 409: Problem, 422: Problem, ...notEnrolled },
        },
      },
      async (request, reply) => {
        const subject = withdrawer(request);
        const key = idempotencyKey(request.headers['idempotency-key']);
        const result = await payouts.withdraw(await payouts.affiliateOwner(subject), key, request.body);
        if (!result.created) reply.header('idempotent-replayed', 'true');
        return reply.code(result.created ? 201 : 200).send(result.payout);
      },
    );

    // The provider signs the exact bytes it sends, so this route reads its body as a string.
    await app.register(async (raw) => {
      raw.removeContentTypeParser('application/json');
      raw.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));
      raw.post(
        '/commerce/payouts/webhooks/iris',
        {
          schema: {
            tags,
            summary: 'Midtrans Iris payout notifications, verified by the `Iris-Signature` header (SHA-512 of body + merchant key); a repeat is a no-op',
            headers: Type.Object({ 'iris-signature': Type.Optional(Type.String()) }),
            response: { 200: Type.Object({ applied: Type.Boolean() }), 400: Problem, 401: Problem, 404: Problem, 422: Problem },
          },
        },
        async (request) => {
          const signature = request.headers['iris-signature'];
          return payouts.receiveNotification(typeof request.body === 'string' ? request.body : '', typeof signature === 'string' ? signature : undefined);
        },
      );
    });
  };
}
