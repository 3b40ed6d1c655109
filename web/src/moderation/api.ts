import { api } from '../api/client';

/** Each side moderates its own: social reports go to social, commerce reports to commerce. */
export type Domain = 'social' | 'commerce';
export type ItemKind = 'video' | 'comment' | 'profile' | 'live' | 'product' | 'shop' | 'review' | 'chat_message';
export const DOMAIN_OF: Record<ItemKind, Domain> = { video: 'social', comment: 'social', profile: 'social', live: 'social', product: 'commerce', shop: 'commerce', review: 'commerce', chat_message: 'commerce' };
export const REASONS = ['spam', 'harassment', 'hate', 'violence', 'sexual_content', 'privacy', 'intellectual_property', 'counterfeit', 'prohibited_product', 'scam', 'other'] as const;
export type Reason = (typeof REASONS)[number];

export interface ItemRef {
  kind: ItemKind;
  id: string;
  label: string;
}

export interface Report {
  id: string;
  item: ItemRef;
  reason: Reason;
  text: string;
  status: 'open' | 'actioned' | 'dismissed';
  createdAt: string;
  updatedAt: string;
}

export interface Appeal {
  id: string;
  status: 'pending' | 'upheld' | 'reversed';
  text: string;
  outcome: string | null;
  createdAt: string;
  decidedAt: string | null;
}

export interface Statement {
  id: string;
  item: ItemRef;
  action: string;
  reason: Reason;
  rule: string;
  explanation: string;
  automated: boolean;
  endsAt: string | null;
  status: 'in_force' | 'reversed';
  decidedAt: string;
  appeal: { until: string; open: boolean; howTo: string; appeal: Appeal | null };
}

export interface QueueEntry {
  item: ItemRef;
  reports: number;
  reasons: Reason[];
  oldestAt: string;
  deadlineAt: string | null;
  urgent: boolean;
  actions: string[];
}

export interface PendingAppeal extends Appeal {
  decision: Statement;
  decidedByYou: boolean;
}

export interface Month {
  month: string;
  reportsByReason: Record<string, number>;
  actionsByType: Record<string, number>;
  appeals: number;
  reversals: number;
}

export const reportItem = (item: { kind: ItemKind; id: string }, reason: Reason, text: string) =>
  api<Report>(`/api/${DOMAIN_OF[item.kind]}/reports`, { body: { itemKind: item.kind, itemId: item.id, reason, ...(text.trim() ? { text } : {}) } });

/** One list from both sides, put together here in the client: the servers never meet. */
export async function fromBoth<T>(path: string): Promise<{ domain: Domain; item: T }[]> {
  const [social, commerce] = await Promise.all((['social', 'commerce'] as const).map((domain) => api<{ items: T[] }>(`/api/${domain}${path}`)));
  return [...social!.items.map((item) => ({ domain: 'social' as const, item })), ...commerce!.items.map((item) => ({ domain: 'commerce' as const, item }))];
}
