-- Flash sales: a deal price for one variant, for a short window, on units set aside for it.

-- Every price a variant has had, and since when: a deal must be below the lowest of the last 30
-- days. A trigger records it, so no write path can change a price without leaving its trace.
create table variant_price_history (
  id bigserial primary key,
  variant_id uuid not null references variants (id),
  price_idr bigint not null,
  at timestamptz not null default now()
);
create index variant_price_history_variant on variant_price_history (variant_id, at);
insert into variant_price_history (variant_id, price_idr) select id, price_idr from variants;

create function record_variant_price() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' or new.price_idr is distinct from old.price_idr then
    insert into variant_price_history (variant_id, price_idr) values (new.id, new.price_idr);
  end if;
  return new;
end $$;
create trigger variants_price_history after insert or update of price_idr on variants
  for each row execute function record_variant_price();

-- The allocation is counted in variants.reserved from creation to the end, so normal checkout
-- cannot sell it; `remaining` is what the deal can still sell. At the end `remaining` goes back
-- (reserved -= returned) and the deal is closed (ended_at), once.
create table flash_deals (
  id uuid primary key,
  shop_id uuid not null references shops (id),
  product_id uuid not null references products (id),
  variant_id uuid not null references variants (id),
  deal_price_idr bigint not null check (deal_price_idr >= 1),
  -- The variant's lowest price of the 30 days before the deal was set, which the deal beats.
  reference_price_idr bigint not null,
  allocation int not null check (allocation > 0),
  remaining int not null check (remaining >= 0 and remaining <= allocation),
  per_buyer_limit int not null check (per_buyer_limit >= 1),
  announce_at timestamptz not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  ended_at timestamptz,
  returned int check (returned >= 0),
  created_at timestamptz not null default now(),
  check (announce_at <= starts_at and starts_at < ends_at)
);
create index flash_deals_open_variant on flash_deals (variant_id) where ended_at is null;
create index flash_deals_open_product on flash_deals (product_id) where ended_at is null;
create index flash_deals_shop on flash_deals (shop_id, starts_at desc);

-- What each buyer took of a deal, for its per-buyer limit.
create table flash_deal_buyers (
  deal_id uuid not null references flash_deals (id),
  subject text not null,
  quantity int not null check (quantity > 0),
  primary key (deal_id, subject)
);
create index flash_deal_buyers_subject on flash_deal_buyers (subject);

alter table order_lines add column flash_deal_id uuid references flash_deals (id);
