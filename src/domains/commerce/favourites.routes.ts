import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PageQuery, requireSubject } from '../../platform/http.js';
import type { FavouritesService } from './favourites.js';
import { ProductSummary, Shop } from './routes.js';

const tags = ['commerce'];
const Problem = Type.Ref('Problem');
const ShopParams = Type.Object({ shopId: Type.String({ format: 'uuid' }) });
const ProductParams = Type.Object({ productId: Type.String({ format: 'uuid' }) });
const ShopFollow = Type.Object({ following: Type.Boolean(), followers: Type.Integer() });
const Saved = Type.Object({ saved: Type.Boolean() });
const NextCursor = Type.Union([Type.String(), Type.Null()]);

/** Following shops and the wishlist (Favorit), by the buyer's commerce pseudonym. */
export function favouritesRoutes(favourites: FavouritesService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/commerce/shops/:shopId/follow',
      { schema: { tags, summary: 'How many follow the shop, and whether you do (signed in or not)', params: ShopParams, response: { 200: ShopFollow, 400: Problem, 404: Problem } } },
      async (request) => favourites.shopFollow(request.subject, request.params.shopId),
    );
    app.post(
      '/commerce/shops/:shopId/follow',
      { schema: { tags, summary: 'Follow a shop (not your own); following again changes nothing', params: ShopParams, response: { 200: ShopFollow, 400: Problem, 401: Problem, 404: Problem, 422: Problem } } },
      async (request) => favourites.followShop(requireSubject(request), request.params.shopId),
    );
    app.delete(
      '/commerce/shops/:shopId/follow',
      { schema: { tags, summary: 'Stop following a shop', params: ShopParams, response: { 200: ShopFollow, 400: Problem, 401: Problem, 404: Problem } } },
      async (request) => favourites.unfollowShop(requireSubject(request), request.params.shopId),
    );
    app.get(
      '/commerce/me/followed-shops',
      {
        schema: {
          tags,
          summary: 'The shops you follow, latest first',
          querystring: PageQuery,
          response: {
            200: Type.Object({ items: Type.Array(Type.Object({ ...Shop.properties, followedAt: Type.String() })), nextCursor: NextCursor }), 400: Problem,
            401: Problem,
          },
        },
      },
      async (request) => favourites.followedShops(requireSubject(request), request.query.limit ?? 20, request.query.cursor),
    );

    app.get(
      '/commerce/wishlist',
      {
        schema: {
          tags,
          summary: 'Your wishlist (Favorit), latest first; products no longer for sale drop out',
          querystring: PageQuery,
          response: {
            200: Type.Object({ items: Type.Array(Type.Object({ ...ProductSummary, savedAt: Type.String() })), nextCursor: NextCursor }), 400: Problem,
            401: Problem,
          },
        },
      },
      async (request) => favourites.wishlist(requireSubject(request), request.query.limit ?? 20, request.query.cursor),
    );
    app.get(
      '/commerce/wishlist/:productId',
      { schema: { tags, summary: 'Whether the product is in your wishlist', params: ProductParams, response: { 200: Saved, 400: Problem, 401: Problem, 404: Problem } } },
      async (request) => favourites.isSaved(requireSubject(request), request.params.productId),
    );
    app.put(
      '/commerce/wishlist/:productId',
      { schema: { tags, summary: 'Save a product to your wishlist; saving again changes nothing', params: ProductParams, response: { 200: Saved, 400: Problem, 401: Problem, 404: Problem } } },
      async (request) => favourites.saveProduct(requireSubject(request), request.params.productId),
    );
    app.delete(
      '/commerce/wishlist/:productId',
      { schema: { tags, summary: 'Take a product off your wishlist', params: ProductParams, response: { 200: Saved, 400: Problem, 401: Problem } } },
      async (request) => favourites.unsaveProduct(requireSubject(request), request.params.productId),
    );
  };
}
