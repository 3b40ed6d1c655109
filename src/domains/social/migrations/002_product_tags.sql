-- The social side of the bridge. Public product facts only; the creator's affiliate id as an
-- opaque reference; purchase *categories* only, and only under consent; taps as daily counts.

create table product_cards (
  product_id uuid primary key,
  shop_id uuid not null,
  shop_name text not null,
  title text not null,
  category text,
  price_min_idr bigint not null,
  price_max_idr bigint not null,
  image_url text,
  in_stock boolean not null,
  external_url text,
  version bigint not null,
  removed boolean not null default false,
  updated_at timestamptz not null default now()
);

create table video_product_tags (
  video_id uuid not null references videos (id) on delete cascade,
  product_id uuid not null,
  position int not null,
  created_at timestamptz not null default now(),
  primary key (video_id, product_id)
);
create index video_product_tags_product on video_product_tags (product_id);

-- Tap counts per video and Jakarta day; nobody who tapped is recorded.
create table tag_taps (
  video_id uuid not null references videos (id) on delete cascade,
  day date not null,
  taps int not null default 0,
  primary key (video_id, day)
);

create table creator_affiliate_refs (
  subject text primary key references profiles (subject) on delete cascade,
  affiliate_ref text not null,
  linked_at timestamptz not null default now()
);

create table viewer_purchase_categories (
  subject text not null,
  category text not null,
  primary key (subject, category)
);
