-- The address book: several addresses per buyer, one of them the default. It replaces the single
-- "last checkout address"; that address moves in as a used entry.
create table addresses (
  id uuid primary key,
  subject text not null,
  label text not null default '',
  recipient text not null,
  phone text not null,
  line1 text not null,
  city text not null,
  province text not null,
  postal_code text not null,
  -- Set only by the buyer's choice; with none chosen, the address used last is the default.
  is_default boolean not null default false,
  last_used_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- One entry per place, so checkout can record a use of an address already in the book.
create unique index addresses_same_place on addresses (subject, recipient, phone, line1, city, province, postal_code);
create unique index addresses_one_default on addresses (subject) where is_default;

insert into addresses (id, subject, recipient, phone, line1, city, province, postal_code, last_used_at, created_at, updated_at)
select gen_random_uuid(), subject, recipient, phone, line1, city, province, postal_code, updated_at, updated_at, updated_at from saved_addresses;
drop table saved_addresses;
