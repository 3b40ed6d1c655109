-- Voucher drops and flash-sale countdowns in a live room. Social keeps only the public facts it
-- shows (as commerce showed them to every buyer when the host dropped the offer), never a buyer.
create table live_drops (
  id uuid primary key,
  live_id uuid not null references lives (id) on delete cascade,
  kind text not null check (kind in ('voucher', 'flash')),
  offer_id text not null,
  offer_json text not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index live_drops_live on live_drops (live_id, ends_at);

-- Taps on a live's product cards (the pinned card, the product list, a flash-sale card).
alter table lives add column product_taps int not null default 0;
