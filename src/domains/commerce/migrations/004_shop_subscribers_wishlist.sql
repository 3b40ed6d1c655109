-- A buyer following a shop, by their commerce pseudonym: a commerce fact that never reaches social.
-- (Named apart from social's follows, which commerce must never hold.)
create table shop_subscribers (
  subject text not null,
  shop_id uuid not null references shops (id),
  created_at timestamptz not null default now(),
  primary key (subject, shop_id)
);
create index shop_subscribers_shop on shop_subscribers (shop_id);
create index shop_subscribers_newest on shop_subscribers (subject, created_at desc, shop_id);

-- Favorit: the products a buyer saved for later.
create table wishlist_items (
  subject text not null,
  product_id uuid not null references products (id),
  created_at timestamptz not null default now(),
  primary key (subject, product_id)
);
create index wishlist_items_newest on wishlist_items (subject, created_at desc, product_id);
