-- Photos a buyer adds to their review (URLs of re-encoded JPEGs), and the shop's one public reply.
alter table reviews add column photo_urls jsonb not null default '[]'::jsonb;
alter table reviews add column seller_reply text;
alter table reviews add column seller_reply_at timestamptz;
