import { ApiError } from '../api/client';

/** Whether an error is the API's problem of this type (the last part of its `type` URL). */
export function isProblem(error: unknown, slug: string): error is ApiError {
  return error instanceof ApiError && error.problem.type.endsWith(`/problems/${slug}`);
}

type Listener = () => void;
let waiting: ((proved: boolean) => void) | null = null;
const listeners = new Set<Listener>();
const notify = () => listeners.forEach((listener) => listener());

/** The re-authentication prompt's state, for useSyncExternalStore. */
export const reauthPrompt = {
  subscribe(listener: Listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  isOpen: () => waiting !== null,
  settle(proved: boolean) {
    const resolve = waiting;
    waiting = null;
    notify();
    resolve?.(proved);
  },
};

/** Opens the prompt; true once the password or a code was accepted, false when the person cancels. */
export function askReauthentication(): Promise<boolean> {
  reauthPrompt.settle(false);
  return new Promise((resolve) => {
    waiting = resolve;
    notify();
  });
}

/**
 * Runs a sensitive call; when the API answers `reauthentication-required`, asks for the password
 * (or a code) once and tries again.
 */
export async function withReauth<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isProblem(error, 'reauthentication-required') && (await askReauthentication())) return call();
    throw error;
  }
}
