-- Gratis Ongkir: a voucher that takes up to `value` rupiah off shipping instead of off the goods.
alter table vouchers drop constraint vouchers_kind_check;
alter table vouchers add constraint vouchers_kind_check check (kind in ('fixed', 'percent', 'shipping'));

-- What a free-shipping voucher took off this order's shipping; `discount_idr` stays the goods'.
alter table orders add column shipping_discount_idr bigint not null default 0 check (shipping_discount_idr >= 0);
