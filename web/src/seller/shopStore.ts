/**
 * The API has no "my shops" listing yet, so the seller centre remembers, per account on this
 * device, the slug of the shop it opened or was pointed at; the shop itself is always fetched.
 */
const key = (userId: string) => `sekat.shop.${userId}`;

export const rememberShop = (userId: string, slug: string) => localStorage.setItem(key(userId), slug);
export const rememberedShop = (userId: string) => localStorage.getItem(key(userId));
export const forgetShop = (userId: string) => localStorage.removeItem(key(userId));
