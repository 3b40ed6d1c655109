import type { Generated, Kysely } from 'kysely';
import type { SocialDB } from '../store.js';

export interface ProductCardTable {
  product_id: string;
  shop_id: string;
  shop_name: string;
  title: string;
  category: string | null;
  price_min_idr: number;
  price_max_idr: number;
  image_url: string | null;
  in_stock: boolean;
  external_url: string | null;
  version: number;
  removed: Generated<boolean>;
  updated_at: Generated<Date>;
}

export interface VideoProductTagTable {
  video_id: string;
  product_id: string;
  position: number;
  created_at: Generated<Date>;
}

export interface TagTapTable {
  video_id: string;
  day: string;
  taps: number;
}

export interface CreatorAffiliateRefTable {
  subject: string;
  affiliate_ref: string;
  linked_at: Generated<Date>;
}

export interface ViewerPurchaseCategoryTable {
  subject: string;
  category: string;
}

export interface TagsDB extends SocialDB {
  product_cards: ProductCardTable;
  video_product_tags: VideoProductTagTable;
  tag_taps: TagTapTable;
  creator_affiliate_refs: CreatorAffiliateRefTable;
  viewer_purchase_categories: ViewerPurchaseCategoryTable;
  inbox: { consumer: string; event_id: string; handled_at: Generated<Date> };
}

export type TagsDb = Kysely<TagsDB>;
