-- Blocks and mutes between social profiles. A block hides each from the other and ends follows
-- both ways; a mute only takes the muted one out of the muter's feeds, comments and search.
create table blocks (
  blocker text not null references profiles (subject) on delete cascade,
  blocked text not null references profiles (subject) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (blocker, blocked),
  check (blocker <> blocked)
);
create index blocks_blocked on blocks (blocked);

create table mutes (
  muter text not null references profiles (subject) on delete cascade,
  muted text not null references profiles (subject) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (muter, muted),
  check (muter <> muted)
);
