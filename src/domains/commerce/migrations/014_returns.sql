-- Returns with evidence (#18 item 4): a buyer's return of a delivered order, its photos, the
-- seller's answer, the return parcel and every step with the deadline it set.

-- An order can have a second shipment: the buyer's parcel back to the seller.
alter table shipments add column kind text not null default 'outbound' check (kind in ('outbound', 'return'));
alter table shipments drop constraint shipments_pkey;
alter table shipments add primary key (order_id, kind);
alter table shipment_events add column kind text not null default 'outbound' check (kind in ('outbound', 'return'));
alter table shipment_events drop constraint shipment_events_order_id_provider_status_occurred_at_key;
alter table shipment_events add constraint shipment_events_once unique (order_id, kind, provider_status, occurred_at);

-- Operators decide escalated returns; their moves are on the order's timeline too.
alter table order_events drop constraint order_events_actor_check;
alter table order_events add constraint order_events_actor_check check (actor in ('buyer', 'seller', 'system', 'provider', 'operator'));

-- One return per order. `deadline_at` is when the state's timer runs out (null: no timer).
create table returns (
  id uuid primary key,
  order_id uuid not null unique references orders (id),
  shop_id uuid not null references shops (id),
  -- Null once the buyer is erased; the seller knows the buyer only as "Pembeli #<buyer_tag>".
  buyer_subject text,
  buyer_tag text not null,
  state text not null check (state in ('requested', 'offered', 'refused', 'declined', 'escalated', 'accepted', 'shipped', 'refunded', 'partially_refunded', 'cancelled', 'closed')),
  reason_code text not null check (reason_code in ('damaged', 'wrong_item', 'not_as_described', 'missing_parts', 'changed_mind')),
  reason_text text not null default '',
  seller_reason text,
  seller_response text,
  offer_idr bigint check (offer_idr > 0),
  refund_idr bigint check (refund_idr > 0),
  deadline_at timestamptz,
  requested_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  closed_at timestamptz
);
create index returns_shop on returns (shop_id, requested_at);
create index returns_escalated on returns (state, updated_at) where state = 'escalated';

-- Photos (and at most one short video) each side gives. A file is uploaded first (re-encoded, `return_id` null) by its
-- uploader and claimed by the request or response that names it.
create table return_evidence (
  id uuid primary key,
  return_id uuid references returns (id),
  uploader_subject text,
  party text not null check (party in ('buyer', 'seller')),
  kind text not null default 'photo' check (kind in ('photo', 'video')),
  file text not null unique,
  created_at timestamptz not null default now()
);
create index return_evidence_return on return_evidence (return_id);
create index return_evidence_unclaimed on return_evidence (uploader_subject) where return_id is null;

-- Every step of a return, with the deadline it set.
create table return_events (
  id bigserial primary key,
  return_id uuid not null references returns (id),
  from_state text,
  to_state text not null,
  action text not null,
  actor text not null check (actor in ('buyer', 'seller', 'system', 'provider', 'operator')),
  note text,
  amount_idr bigint,
  deadline_at timestamptz,
  at timestamptz not null default now()
);
create index return_events_return on return_events (return_id, id);
