import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useLocation, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Reply, Shop } from '../api/types';
import { useSession } from '../api/session';
import { ErrorNote } from './Alert';
import { Icon } from './Icon';

/** Sends a signed-out person to sign in, and back here afterwards. */
function useSignInFirst() {
  const navigate = useNavigate();
  const location = useLocation();
  return () => navigate(`/masuk?next=${encodeURIComponent(location.pathname + location.search)}`);
}

type ShopFollow = Reply<'/api/commerce/shops/{shopId}/follow'>;

/** "Ikuti" for a shop, with how many follow it. Following is a commerce fact; social never hears of it. */
export function FollowShopButton({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const { user } = useSession();
  // A seller does not follow their own shop; they see only its count.
  const mine = useQuery({ queryKey: ['my-shops', user?.id], queryFn: () => api<{ items: Shop[] }>('/api/commerce/me/shops'), enabled: !!user });
  const own = mine.data?.items.some((shop) => shop.id === shopId) ?? false;
  const signIn = useSignInFirst();
  const client = useQueryClient();
  const key = ['shop-follow', shopId, user?.id ?? null];
  const state = useQuery({ queryKey: key, queryFn: () => api<ShopFollow>(`/api/commerce/shops/${shopId}/follow`) });
  const toggle = useMutation({
    mutationFn: (follow: boolean) => api<ShopFollow>(`/api/commerce/shops/${shopId}/follow`, { method: follow ? 'POST' : 'DELETE' }),
    onSuccess: (next) => {
      client.setQueryData(key, next);
      void client.invalidateQueries({ queryKey: ['followed-shops'] });
    },
  });
  const following = state.data?.following ?? false;
  return (
    <div className="favourite">
      {!own && (
        <button
          type="button"
          className={following ? undefined : 'primary-inline'}
          aria-pressed={following}
          disabled={!state.data || toggle.isPending}
          onClick={() => (user ? toggle.mutate(!following) : signIn())}
        >
          {following ? t('favourites.following') : t('favourites.follow')}
        </button>
      )}
      {state.data && <span className="muted small">{t('favourites.followers', { count: state.data.followers })}</span>}
      <ErrorNote error={toggle.error} />
    </div>
  );
}

/** The heart that keeps a product in the buyer's Favorit. */
export function WishlistButton({ productId }: { productId: string }) {
  const { t } = useTranslation();
  const { user } = useSession();
  const signIn = useSignInFirst();
  const client = useQueryClient();
  const key = ['wishlisted', productId, user?.id ?? null];
  const state = useQuery({ queryKey: key, queryFn: () => api<{ saved: boolean }>(`/api/commerce/wishlist/${productId}`), enabled: !!user });
  const toggle = useMutation({
    mutationFn: (save: boolean) => api<{ saved: boolean }>(`/api/commerce/wishlist/${productId}`, { method: save ? 'PUT' : 'DELETE' }),
    onSuccess: (next) => {
      client.setQueryData(key, next);
      void client.invalidateQueries({ queryKey: ['wishlist'] });
    },
  });
  const saved = state.data?.saved ?? false;
  return (
    <div className="favourite">
      <button
        type="button"
        className={`heart${saved ? ' on' : ''}`}
        aria-pressed={saved}
        disabled={(!!user && !state.data) || toggle.isPending}
        onClick={() => (user ? toggle.mutate(!saved) : signIn())}
      >
        <Icon name="heart" size={18} />
        {saved ? t('favourites.saved') : t('favourites.save')}
      </button>
      <ErrorNote error={toggle.error} />
    </div>
  );
}
