-- Courier bookings and the tracking events the courier reports for them (#18 item 3).

-- One booking per order with the courier aggregator; the AWB (resi) is its waybill.
create table shipments (
  order_id uuid primary key references orders (id),
  provider text not null,
  provider_order_id text not null,
  tracking_id text not null,
  waybill_id text not null,
  courier text not null,
  -- The furthest stage the courier confirmed: booked, picked_up, in_transit, out_for_delivery,
  -- delivered, returning, returned, cancelled. Stages only move forward.
  status text not null default 'booked',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, tracking_id)
);

-- What the courier said, in the order it says it happened; a repeat of one entry is kept once.
create table shipment_events (
  id bigserial primary key,
  order_id uuid not null references orders (id),
  status text not null,
  provider_status text not null,
  note text not null default '',
  occurred_at timestamptz not null,
  received_at timestamptz not null default now(),
  unique (order_id, provider_status, occurred_at)
);
create index shipment_events_order on shipment_events (order_id, occurred_at);
