-- The sandbox gateway's own record of each transaction, which its status API
-- (`GET /v2/:order_id/status`) answers from. A real gateway keeps this on its side; the sandbox
-- keeps it here so that every process, and a restart, see the same gateway.
create table sandbox_gateway_transactions (
  order_id uuid primary key,
  transaction_id text not null,
  transaction_status text not null,
  status_code text not null,
  gross_amount text not null,
  fraud_status text,
  updated_at timestamptz not null default now()
);

-- Money the gateway settled after its payment had closed (expired, failed or cancelled). It is
-- kept, and sent back with one refund per order of the payment (`refunds`).
create table late_payments (
  payment_id uuid primary key references payments (id),
  amount_idr bigint not null check (amount_idr >= 0),
  transaction_status text not null,
  received_at timestamptz not null default now()
);
