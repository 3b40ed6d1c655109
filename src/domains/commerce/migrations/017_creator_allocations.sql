-- Creator stock allocations: a seller sets units of a variant aside for an affiliate creator to
-- sell live, in flash deals the creator starts within what is left of the allocation.

-- The units are counted in variants.reserved from creation until the allocation ends (revoked, or
-- its end time), so normal checkout cannot sell them. `remaining` is what the creator can still put
-- into flash deals; a deal's unsold units come back to it while it is open, and to normal stock
-- (reserved -= returned) once it has ended. At the end `remaining` goes back to stock, once.
create table creator_allocations (
  id uuid primary key,
  shop_id uuid not null references shops (id),
  product_id uuid not null references products (id),
  variant_id uuid not null references variants (id),
  affiliate_id text not null references affiliates (id),
  units int not null check (units > 0),
  remaining int not null check (remaining >= 0 and remaining <= units),
  -- The lowest deal price the seller allows the creator; null: only the 30-day rule.
  floor_price_idr bigint check (floor_price_idr >= 1),
  ends_at timestamptz,
  ended_at timestamptz,
  returned int check (returned >= 0),
  created_at timestamptz not null default now()
);
create index creator_allocations_shop on creator_allocations (shop_id, created_at desc);
create index creator_allocations_affiliate on creator_allocations (affiliate_id, created_at desc);

alter table flash_deals add column allocation_id uuid references creator_allocations (id);
create index flash_deals_allocation on flash_deals (allocation_id) where allocation_id is not null;
