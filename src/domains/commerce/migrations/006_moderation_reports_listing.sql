-- Listings checked before they go live (catalog/prohibited.ts): a product matching a rule is held
-- (kept out of every listing, like a removed one) until an operator releases or delists it; the
-- rule it matched is filed as an automated report in commerce's moderation queue.
alter table products add column held_rule text;
alter table products add column cross_border boolean not null default false;
alter table commerce_reports drop constraint commerce_reports_source_check;
alter table commerce_reports add constraint commerce_reports_source_check check (source in ('person', 'authority', 'automated'));
