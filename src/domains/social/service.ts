import { SocialPrivacy } from './privacy.js';

export { ANONYMOUS, ageConfirmationRequired, checkCaption, COMMENTS_PER_MINUTE, videoView, visibleTo } from './views.js';
export type { Audience, ProfileSeed, ProfileView, VideoRow, VideoView, WatchEventInput } from './views.js';

/**
 * Social's service, as the routes, feeds, live rooms and uploads use it. Its parts are one file
 * per concern, each built on the one before: core.ts (store, caches, who sees whom), profiles.ts,
 * blocks.ts, videos.ts, engagement.ts, watch.ts, search.ts and privacy.ts.
 */
export class SocialService extends SocialPrivacy {}
