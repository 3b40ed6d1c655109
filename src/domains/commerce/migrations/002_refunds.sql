-- Money going back to a buyer: requested in the same transaction as the order's move to
-- `refunded`, then sent to the payment gateway by a job (retried until the gateway answers).
create table refunds (
  id uuid primary key,
  payment_id uuid not null references payments (id),
  order_id uuid not null unique references orders (id),
  amount_idr bigint not null check (amount_idr > 0),
  reason text,
  status text not null check (status in ('requested', 'sent', 'failed')),
  provider_reference text,
  last_error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index refunds_payment on refunds (payment_id);
