-- What the sessions page shows of each signed-in device: an id to name it by (the token hash is
-- never shown), the browser's User-Agent and, when a proxy in front said so, the country.
alter table sessions add column id uuid;
update sessions set id = gen_random_uuid() where id is null;
alter table sessions alter column id set not null;
create unique index sessions_id on sessions (id);
alter table sessions add column user_agent text;
alter table sessions add column country text check (country ~ '^[A-Z]{2}$');
