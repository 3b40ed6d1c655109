-- The money ledger: double-entry, integer rupiah, append-only. Every business event (an order
-- paid, completed, refunded; a settlement released; a payout asked for, paid or failed) is one
-- posting with a unique key, so a replayed event finds its key taken and posts nothing. A posting's
-- lines sum to zero (checked when its transaction commits); lines and postings are never updated
-- or deleted (triggers refuse it), so a correction is always a new, reversing posting.

-- How long a shop's money waits after completion, and the platform's fee, by shop tier.
create table ledger_tiers (
  code text primary key,
  settlement_days int not null check (settlement_days between 0 and 60),
  fee_basis_points int not null check (fee_basis_points between 0 and 5000)
);
insert into ledger_tiers (code, settlement_days, fee_basis_points) values
  ('regular', 3, 500), ('star', 2, 400), ('mall', 1, 300);
alter table shops add column ledger_tier text not null default 'regular' references ledger_tiers (code);

create table ledger_postings (
  id uuid primary key,
  key text not null unique,
  kind text not null,
  shop_id uuid references shops (id),
  order_id uuid references orders (id),
  payout_id uuid,
  created_at timestamptz not null default now()
);
create index ledger_postings_order on ledger_postings (order_id);

create table ledger_lines (
  id bigserial primary key,
  posting_id uuid not null references ledger_postings (id),
  account text not null check (account in (
    'shop_escrow', 'shop_pending', 'shop_available', 'shop_payout_processing', 'shop_paid_out',
    'affiliate_commission_pending', 'affiliate_commission_payable',
    'platform_gateway', 'platform_fee_income', 'platform_buyer_refunds')),
  shop_id uuid references shops (id),
  affiliate_id text references affiliates (id),
  amount_idr bigint not null check (amount_idr <> 0),
  -- Why the money moved, a code the statement translates (`order_paid`, `platform_fee`, …).
  reason text not null,
  order_id uuid references orders (id),
  payout_id uuid,
  created_at timestamptz not null default now(),
  check ((account like 'shop\_%') = (shop_id is not null)),
  check ((account like 'affiliate\_%') = (affiliate_id is not null))
);
create index ledger_lines_shop on ledger_lines (shop_id, id) where shop_id is not null;
create index ledger_lines_affiliate on ledger_lines (affiliate_id, id) where affiliate_id is not null;
create index ledger_lines_posting on ledger_lines (posting_id);

create function ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'the ledger is append-only: % on % refused', tg_op, tg_table_name using errcode = 'P0001';
end
$$;
create trigger ledger_lines_append_only before update or delete on ledger_lines for each row execute function ledger_append_only();
create trigger ledger_lines_no_truncate before truncate on ledger_lines for each statement execute function ledger_append_only();
create trigger ledger_postings_append_only before update or delete on ledger_postings for each row execute function ledger_append_only();
create trigger ledger_postings_no_truncate before truncate on ledger_postings for each statement execute function ledger_append_only();

create function ledger_posting_balanced() returns trigger language plpgsql as $$
declare
  total bigint;
  lines int;
begin
  select coalesce(sum(amount_idr), 0), count(*) into total, lines from ledger_lines where posting_id = new.id;
  if lines < 2 or total <> 0 then
    raise exception 'ledger posting % does not balance: % lines summing to %', new.key, lines, total using errcode = 'P0001';
  end if;
  return null;
end
$$;
create constraint trigger ledger_posting_balanced after insert on ledger_postings
  deferrable initially deferred for each row execute function ledger_posting_balanced();

-- A completed order's money waits in `shop_pending` until `release_at` (its tier's D+n).
create table ledger_settlements (
  order_id uuid primary key references orders (id),
  shop_id uuid not null references shops (id),
  net_idr bigint not null,
  hold_reason text not null,
  release_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index ledger_settlements_shop on ledger_settlements (shop_id, release_at);

-- Where a shop's money goes: checked with the disbursement provider's account validation.
create table bank_accounts (
  id uuid primary key,
  shop_id uuid not null references shops (id),
  bank_code text not null,
  account_number text not null,
  holder_name text not null,
  -- The name the bank holds, as the provider's validation answered it.
  validated_name text not null,
  validated_at timestamptz not null,
  created_at timestamptz not null default now(),
  unique (shop_id, bank_code, account_number)
);

create table payouts (
  id uuid primary key,
  shop_id uuid not null references shops (id),
  bank_account_id uuid not null references bank_accounts (id),
  amount_idr bigint not null check (amount_idr > 0),
  idempotency_key text not null,
  status text not null check (status in ('requested', 'processing', 'paid', 'failed')),
  provider_reference text unique,
  failure_code text,
  failure_message text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (shop_id, idempotency_key)
);
create index payouts_shop on payouts (shop_id, created_at desc);

create table payout_notifications (
  id bigserial primary key,
  fingerprint text not null unique,
  reference_no text not null,
  status text not null,
  body jsonb not null,
  received_at timestamptz not null default now()
);
