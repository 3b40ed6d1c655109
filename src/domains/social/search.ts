import { sql } from 'kysely';
import { foldTag } from './hashtags.js';
import { ANONYMOUS, type Audience } from './views.js';
import { SocialWatch } from './watch.js';

/** Hashtag pages and search over captions and hashtags. */
export class SocialSearch extends SocialWatch {
  // ---- hashtags and search

  async hashtagVideos(rawTag: string, limit: number, before?: { h: number; id: string }, audience: Audience = ANONYMOUS) {
    const tag = foldTag(rawTag.replace(/^#/, ''));
    const count = await this.db
      .selectFrom('videos')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'ready')
      .where('hashtags', '@>', sql<string[]>`array[${tag}]::text[]`)
      .executeTakeFirstOrThrow();
    let query = this.videoRows().where('v.status', '=', 'ready').where('v.moderation', '<>', 'removed').where('v.hashtags', '@>', sql<string[]>`array[${tag}]::text[]`);
    // Left out before the page is cut, so a page is full while more videos exist.
    query = query.$if(audience.hidden.size > 0, (q) => q.where('v.author', 'not in', [...audience.hidden])).$if(!audience.adult, (q) => q.where('v.age_gated', '=', false));
    if (before) query = query.where((eb) => eb.or([eb('v.hot', '<', before.h), eb.and([eb('v.hot', '=', before.h), eb('v.id', '<', before.id)])]));
    const rows = await query.orderBy('v.hot', 'desc').orderBy('v.id', 'desc').limit(limit + 1).execute();
    return { tag, videoCount: Number(count.n), rows };
  }

  async search(q: string, limit: number, viewer?: string) {
    const term = q.trim();
    const { hidden, adult } = await this.audience(viewer);
    const tag = foldTag(term.replace(/^#/, ''));
    const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.videoRows()
      .where('v.status', '=', 'ready')
      .where('v.moderation', '<>', 'removed')
      .where((eb) => eb.or([eb('v.caption', 'ilike', pattern), eb('v.hashtags', '@>', sql<string[]>`array[${tag}]::text[]`)]))
      .$if(hidden.size > 0, (query) => query.where('v.author', 'not in', [...hidden]))
      .$if(!adult, (query) => query.where('v.age_gated', '=', false))
      .orderBy('v.hot', 'desc')
      .limit(limit)
      .execute();
    const tagPattern = `${tag.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const tags = await sql<{ tag: string; n: number }>`
      select t.tag, count(*)::int as n from videos v, unnest(v.hashtags) as t(tag)
      where v.status = 'ready' and t.tag like ${tagPattern}
      group by t.tag order by n desc, t.tag limit 10`.execute(this.db);
    return { rows, hashtags: tags.rows.map((r) => ({ tag: r.tag, videoCount: Number(r.n) })) };
  }

}
