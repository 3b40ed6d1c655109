import { createContext, useContext, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, SESSION_EXPIRED_EVENT, type User } from './client';

interface SessionValue {
  user: User | null;
  loading: boolean;
  refresh(): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const me = useQuery({
    queryKey: ['me'],
    // Asked in a way whose "no one" is a 200, so an anonymous page load logs no 401.
    queryFn: async () => {
      const session = await api<{ signedIn: true; user: User } | { signedIn: false; expired?: boolean }>('/api/session');
      if (!session.signedIn && session.expired) window.dispatchEvent(new Event(SESSION_EXPIRED_EVENT));
      return session.signedIn ? session.user : null;
    },
    staleTime: 60_000,
  });
  const value: SessionValue = {
    user: me.data ?? null,
    loading: me.isLoading,
    refresh: async () => {
      await client.invalidateQueries({ queryKey: ['me'] });
    },
    signOut: async () => {
      await api('/api/auth/logout', { method: 'POST' });
      client.setQueryData(['me'], null);
      await client.invalidateQueries();
    },
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
