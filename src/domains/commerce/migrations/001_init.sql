-- Commerce: shops, catalog, inventory, cart, checkout, payments, orders, reviews, affiliates.
-- People appear only as the commerce pairwise subject (text); never an account id, email or handle.

create table shops (
  id uuid primary key,
  owner_subject text,
  name text not null,
  slug text not null unique,
  description text not null default '',
  city text not null,
  province text not null,
  commission_percent int not null default 0 check (commission_percent between 0 and 50),
  created_at timestamptz not null default now()
);
create index shops_owner on shops (owner_subject);

create table products (
  id uuid primary key,
  shop_id uuid not null references shops (id),
  title text not null,
  description text not null default '',
  category text not null,
  image_urls jsonb not null default '[]'::jsonb,
  external_url text,
  price_min_idr bigint not null default 0,
  price_max_idr bigint not null default 0,
  in_stock boolean not null default false,
  rating_sum int not null default 0,
  rating_count int not null default 0,
  -- Bumped on every published change so event consumers can drop stale ones.
  version bigint not null default 1,
  removed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  search tsvector generated always as (to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(description, ''))) stored
);
create index products_shop on products (shop_id, created_at desc);
create index products_category on products (category, created_at desc) where removed_at is null;
create index products_search on products using gin (search);
create index products_title_trgm on products using gin (title gin_trgm_ops);

create table variants (
  id uuid primary key,
  product_id uuid not null references products (id),
  shop_id uuid not null references shops (id),
  sku text not null,
  name text not null,
  price_idr bigint not null check (price_idr between 1 and 100000000000),
  -- Units physically on hand; `reserved` of them are held by unpaid orders. available = stock - reserved.
  stock int not null check (stock >= 0),
  reserved int not null default 0 check (reserved >= 0 and reserved <= stock),
  sold int not null default 0 check (sold >= 0),
  weight_grams int not null check (weight_grams between 1 and 1000000),
  removed_at timestamptz,
  unique (shop_id, sku)
);
create index variants_product on variants (product_id);

create table stock_audit (
  id bigserial primary key,
  variant_id uuid not null references variants (id),
  actor_subject text,
  old_stock int not null,
  new_stock int not null,
  reason text not null,
  at timestamptz not null default now()
);
create index stock_audit_variant on stock_audit (variant_id, at);

create table cart_items (
  subject text not null,
  variant_id uuid not null references variants (id),
  quantity int not null check (quantity between 1 and 999),
  attribution_token text,
  added_at timestamptz not null default now(),
  primary key (subject, variant_id)
);

create table saved_addresses (
  subject text primary key,
  recipient text not null,
  phone text not null,
  line1 text not null,
  city text not null,
  province text not null,
  postal_code text not null,
  updated_at timestamptz not null default now()
);

create table vouchers (
  id uuid primary key,
  code text not null unique,
  -- Null: a platform voucher, good in every shop.
  shop_id uuid references shops (id),
  kind text not null check (kind in ('fixed', 'percent')),
  value bigint not null check (value > 0),
  max_discount_idr bigint,
  min_spend_idr bigint not null default 0,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  quota int not null check (quota >= 0),
  used int not null default 0 check (used >= 0 and used <= quota),
  created_at timestamptz not null default now()
);

create table voucher_redemptions (
  voucher_id uuid not null references vouchers (id),
  subject text not null,
  payment_id uuid not null,
  at timestamptz not null default now(),
  primary key (voucher_id, subject)
);

create table idempotency_keys (
  subject text not null,
  key text not null,
  request_hash text not null,
  response_status int,
  response_body jsonb,
  created_at timestamptz not null default now(),
  primary key (subject, key)
);

create table payments (
  id uuid primary key,
  buyer_subject text,
  provider text not null,
  method text not null,
  status text not null check (status in ('pending', 'cod_pending', 'paid', 'failed', 'expired', 'cancelled', 'refunded')),
  gross_amount_idr bigint not null check (gross_amount_idr >= 0),
  refunded_idr bigint not null default 0,
  instructions jsonb not null,
  expires_at timestamptz,
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index payments_buyer on payments (buyer_subject);

create table payment_notifications (
  id bigserial primary key,
  payment_id uuid not null references payments (id),
  -- Identical deliveries share a fingerprint; the unique index makes a repeat a no-op.
  fingerprint text not null unique,
  transaction_status text not null,
  body jsonb not null,
  applied boolean not null,
  received_at timestamptz not null default now()
);
create index payment_notifications_payment on payment_notifications (payment_id);

create table orders (
  id uuid primary key,
  payment_id uuid not null references payments (id),
  shop_id uuid not null references shops (id),
  buyer_subject text,
  status text not null,
  subtotal_idr bigint not null,
  shipping_idr bigint not null,
  discount_idr bigint not null default 0,
  total_idr bigint not null check (total_idr >= 0),
  voucher_id uuid references vouchers (id),
  courier text not null,
  tracking_number text,
  recipient text not null,
  phone text not null,
  line1 text not null,
  city text not null,
  province text not null,
  postal_code text not null,
  return_reason text,
  return_rejected boolean not null default false,
  -- The buyer asked for erasure while the order was open: minimise it when it closes.
  erase_pending boolean not null default false,
  created_at timestamptz not null default now(),
  paid_at timestamptz,
  shipped_at timestamptz,
  delivered_at timestamptz,
  closed_at timestamptz,
  updated_at timestamptz not null default now()
);
create index orders_buyer on orders (buyer_subject, created_at desc);
create index orders_shop on orders (shop_id, created_at desc);
create index orders_payment on orders (payment_id);

create table order_lines (
  id uuid primary key,
  order_id uuid not null references orders (id),
  variant_id uuid not null references variants (id),
  product_id uuid not null references products (id),
  title text not null,
  variant_name text not null,
  sku text not null,
  unit_price_idr bigint not null,
  quantity int not null check (quantity between 1 and 999),
  line_total_idr bigint not null,
  affiliate_id text,
  commission_percent int not null default 0,
  video_id text
);
create index order_lines_order on order_lines (order_id);

create table reservations (
  id uuid primary key,
  order_id uuid not null references orders (id),
  variant_id uuid not null references variants (id),
  quantity int not null check (quantity > 0),
  state text not null check (state in ('open', 'sold', 'released', 'restocked')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index reservations_order on reservations (order_id);
create index reservations_open on reservations (variant_id) where state = 'open';

create table order_events (
  id bigserial primary key,
  order_id uuid not null references orders (id),
  from_status text,
  to_status text not null,
  action text not null,
  actor text not null check (actor in ('buyer', 'seller', 'system', 'provider')),
  reason text,
  at timestamptz not null default now()
);
create index order_events_order on order_events (order_id, id);

create table reviews (
  id uuid primary key,
  order_line_id uuid not null unique references order_lines (id),
  product_id uuid not null references products (id),
  subject text,
  rating int not null check (rating between 1 and 5),
  text text not null default '',
  created_at timestamptz not null default now()
);
create index reviews_product on reviews (product_id, created_at desc);

create table affiliates (
  id text primary key,
  subject text unique,
  created_at timestamptz not null default now()
);

create table commissions (
  id uuid primary key,
  affiliate_id text not null references affiliates (id),
  order_id uuid not null references orders (id),
  order_line_id uuid not null unique references order_lines (id),
  shop_id uuid not null references shops (id),
  product_id uuid not null references products (id),
  percent int not null,
  amount_idr bigint not null check (amount_idr >= 0),
  state text not null check (state in ('pending', 'confirmed', 'reversed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index commissions_affiliate on commissions (affiliate_id, created_at desc);
