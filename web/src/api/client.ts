import type { components } from './schema.gen';

/** A problem details document (RFC 9457) as the API sends it (generated from the OpenAPI document). */
export type Problem = components['schemas']['Problem'];

/** Sent on window when the API says the session ran out; the app then goes to sign-in. */
export const SESSION_EXPIRED_EVENT = 'sekat:session-expired';

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
  fieldErrors(): Record<string, string[]> {
    return this.problem.errors ?? {};
  }
}

/** Calls the Sekat API with the session cookie; errors come back as ApiError with the problem. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; raw?: BodyInit; headers?: Record<string, string> } = {}): Promise<T> {
  let response: Response;
  const hasBody = init.body !== undefined || init.raw !== undefined;
  try {
    response = await fetch(path, {
      method: init.method ?? (hasBody ? 'POST' : 'GET'),
      credentials: 'same-origin',
      headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
  } catch {
    throw new ApiError({ type: 'network', title: 'Network', status: 0, detail: 'network' });
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const problem = (data ?? {}) as Partial<Problem>;
    if (response.status === 401 && problem.type?.endsWith('/problems/session-expired')) window.dispatchEvent(new Event(SESSION_EXPIRED_EVENT));
    throw new ApiError({
      type: problem.type ?? 'about:blank',
      title: problem.title ?? response.statusText,
      status: response.status,
      detail: problem.detail ?? response.statusText,
      errors: problem.errors,
      moreErrors: problem.moreErrors,
      enrolled: problem.enrolled,
    });
  }
  return data as T;
}

/** The signed-in account (`/api/me`). */
export type User = components['schemas']['User'];
