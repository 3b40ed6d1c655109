-- Buyer–seller chat (chat.ts): between a buyer's commerce pseudonym and a shop. The seller sees
-- the buyer only as "Pembeli #<buyer_tag>", a tag drawn per conversation, so two shops cannot
-- match their buyers by it.

create table chat_conversations (
  id uuid primary key,
  shop_id uuid not null references shops (id),
  -- Null once the buyer's personal data was erased; the shop keeps its own side.
  buyer_subject text,
  buyer_tag text not null,
  created_at timestamptz not null default now(),
  last_message_at timestamptz,
  -- Read markers: the newest message each side has read (UUIDv7 ids sort by time).
  buyer_read_up_to uuid,
  shop_read_up_to uuid
);
create unique index chat_conversations_pair on chat_conversations (shop_id, buyer_subject);
create index chat_conversations_buyer on chat_conversations (buyer_subject, last_message_at desc);
create index chat_conversations_shop on chat_conversations (shop_id, last_message_at desc);

create table chat_messages (
  id uuid primary key,
  conversation_id uuid not null references chat_conversations (id) on delete cascade,
  sender text not null check (sender in ('buyer', 'shop')),
  kind text not null check (kind in ('text', 'product', 'order', 'photo')),
  text text not null default '',
  product_id uuid,
  order_id uuid,
  photo_url text,
  -- Set by a moderation decision (its id), so a reversal puts back exactly what it took down.
  removed_by uuid,
  created_at timestamptz not null default now(),
  check (kind <> 'text' or text <> ''),
  check ((kind = 'product') = (product_id is not null)),
  check ((kind = 'order') = (order_id is not null)),
  check ((kind = 'photo') = (photo_url is not null))
);
create index chat_messages_conversation on chat_messages (conversation_id, id desc);

-- A shop that no longer takes messages from a buyer.
create table chat_blocks (
  shop_id uuid not null references shops (id),
  buyer_subject text not null,
  created_at timestamptz not null default now(),
  primary key (shop_id, buyer_subject)
);
