-- Creators withdraw their confirmed (payable) commission the way sellers withdraw their available
-- balance: a bank account and a payout now belong to a shop or to an affiliate, exactly one of them.
-- Two new ledger accounts carry a creator's withdrawal: processing while the bank transfers it,
-- paid out once the provider confirms; a failure returns the money to payable.

alter table bank_accounts alter column shop_id drop not null;
alter table bank_accounts add column affiliate_id text references affiliates (id);
alter table bank_accounts add constraint bank_accounts_one_owner check ((shop_id is null) <> (affiliate_id is null));
create unique index bank_accounts_affiliate_number on bank_accounts (affiliate_id, bank_code, account_number) where affiliate_id is not null;

alter table payouts alter column shop_id drop not null;
alter table payouts add column affiliate_id text references affiliates (id);
alter table payouts add constraint payouts_one_owner check ((shop_id is null) <> (affiliate_id is null));
create unique index payouts_affiliate_idempotency on payouts (affiliate_id, idempotency_key) where affiliate_id is not null;
create index payouts_affiliate on payouts (affiliate_id, created_at desc) where affiliate_id is not null;

alter table ledger_lines drop constraint ledger_lines_account_check;
alter table ledger_lines add constraint ledger_lines_account_check check (account in (
  'shop_escrow', 'shop_pending', 'shop_available', 'shop_payout_processing', 'shop_paid_out',
  'affiliate_commission_pending', 'affiliate_commission_payable', 'affiliate_payout_processing', 'affiliate_paid_out',
  'platform_gateway', 'platform_fee_income', 'platform_buyer_refunds'));
