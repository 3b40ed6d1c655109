import { Type, type Static } from '@sinclair/typebox';

export const VideoId = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const Handle = Type.Object({ handle: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.]+$' }) });

/** A product tag as social renders it, from its projection of commerce's public product facts. */
export const ProductCard = Type.Object({
  productId: Type.String(),
  title: Type.String(),
  priceMinIdr: Type.Integer(),
  priceMaxIdr: Type.Integer(),
  imageUrl: Type.Union([Type.String(), Type.Null()]),
  inStock: Type.Boolean(),
  shopName: Type.String(),
  externalUrl: Type.Union([Type.String(), Type.Null()], { description: 'Set when the product is sold outside Sekat: the tag links out' }),
});

const Author = Type.Object({ handle: Type.String(), displayName: Type.String(), avatarUrl: Type.Union([Type.String(), Type.Null()]) });

const videoFields = {
  id: Type.String(),
  status: Type.Union([Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed')]),
  failureReason: Type.Optional(Type.String()),
  author: Author,
  caption: Type.String(),
  hashtags: Type.Array(Type.String()),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  posterUrl: Type.Union([Type.String(), Type.Null()]),
  sources: Type.Array(Type.Object({ url: Type.String(), type: Type.String(), height: Type.Integer() })),
  productTags: Type.Array(ProductCard),
  counts: Type.Object({ views: Type.Integer(), likes: Type.Integer(), comments: Type.Integer(), shares: Type.Integer() }),
  likedByMe: Type.Boolean({ description: 'Whether the signed-in caller likes it (false when signed out)' }),
  createdAt: Type.String(),
};

export const Video = Type.Object(videoFields, { $id: 'SocialVideo' });
export const FeedItem = Type.Object(
  {
    ...videoFields,
    reason: Type.String({ description: 'Why this video is here, in Bahasa Indonesia (for clients that do not word `why` themselves)' }),
    why: Type.Union(
      [
        Type.Object({ code: Type.Literal('followed'), handle: Type.String() }),
        Type.Object({ code: Type.Literal('watched_hashtag'), hashtag: Type.String() }),
        Type.Object({ code: Type.Literal('bought_category'), category: Type.String() }),
        Type.Object({ code: Type.Literal('popular_hashtag'), hashtag: Type.String() }),
        Type.Object({ code: Type.Literal('popular') }),
        Type.Object({ code: Type.Literal('new') }),
      ],
      { description: 'Why this video is here, as a code with its parameters, for the client to word in its language' },
    ),
  },
  { $id: 'SocialFeedItem' },
);

export const Profile = Type.Object(
  {
    handle: Type.String(),
    displayName: Type.String(),
    bio: Type.String(),
    avatarUrl: Type.Union([Type.String(), Type.Null()]),
    counts: Type.Object({ followers: Type.Integer(), following: Type.Integer(), videos: Type.Integer(), likes: Type.Integer() }),
    followedByMe: Type.Boolean(),
    blockedByMe: Type.Boolean({ description: 'Whether the signed-in caller blocks this profile' }),
    mutedByMe: Type.Boolean({ description: 'Whether the signed-in caller mutes this profile' }),
  },
  { $id: 'SocialProfile' },
);

export const Comment = Type.Object(
  { id: Type.String(), text: Type.String(), author: Author, createdAt: Type.String() },
  { $id: 'SocialComment' },
);

/** The most watch events one request may carry (API.md). */
export const MAX_WATCH_EVENTS = 100;

export const WatchEvents = Type.Object({
  events: Type.Array(
    Type.Object({
      type: Type.Literal('view'),
      videoId: Type.String({ format: 'uuid' }),
      watchedMs: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
      completed: Type.Boolean(),
    }),
    { minItems: 1, maxItems: MAX_WATCH_EVENTS },
  ),
});

export const Accepted = Type.Object({ id: Type.String(), status: Type.Literal('processing') });

export { problems } from '../../platform/http.js';

// The server's types of these answers are the schemas' own (the web's come from the OpenAPI document).
export type ProductCard = Static<typeof ProductCard>;
export type VideoView = Static<typeof Video>;
export type FeedItemView = Static<typeof FeedItem>;
export type ProfileView = Static<typeof Profile>;
export type CommentView = Static<typeof Comment>;
