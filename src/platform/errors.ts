import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { textFormatMessage } from './text.js';

const PROBLEM_BASE = 'https://sekat.id/problems/';

export type FieldErrors = Record<string, string[]>;

/** An error that becomes an RFC 9457 problem details response. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldErrors,
    readonly headers?: Record<string, string>,
    /** Extension members of the problem (RFC 9457 §3.2), e.g. the balance a withdrawal exceeded. */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail);
  }
}

export const badRequest = (detail: string, errors?: FieldErrors) =>
  new HttpProblem(400, 'bad-request', 'Bad request', detail, errors);
export const validationFailed = (errors: FieldErrors, detail = 'Some fields are not valid.') =>
  new HttpProblem(400, 'validation', 'Validation failed', detail, errors);
export const unauthorized = (detail = 'Sign in first.') => new HttpProblem(401, 'unauthorized', 'Not signed in', detail);
export const forbidden = (detail = 'You are not allowed to do this.') => new HttpProblem(403, 'forbidden', 'Forbidden', detail);
export const notFound = (detail = 'Not found.') => new HttpProblem(404, 'not-found', 'Not found', detail);
export const conflict = (detail: string, errors?: FieldErrors, slug = 'conflict') =>
  new HttpProblem(409, slug, 'Conflict', detail, errors);
export const tooLarge = (detail: string) => new HttpProblem(413, 'too-large', 'Payload too large', detail);
export const unprocessable = (detail: string, errors?: FieldErrors) =>
  new HttpProblem(422, 'unprocessable', 'Unprocessable', detail, errors);
export const unavailable = (detail: string, retryAfterSeconds: number) =>
  new HttpProblem(503, 'unavailable', 'Service unavailable', detail, undefined, { 'retry-after': String(retryAfterSeconds) });
export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new HttpProblem(429, 'rate-limited', 'Too many requests', detail, undefined, { 'retry-after': String(retryAfterSeconds) });

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldErrors;
  /** How many more fields had errors than `errors` lists. */
  moreErrors?: number;
}

/** A problem lists at most this many fields' errors, so its size does not grow with the request's. */
export const MAX_ERROR_FIELDS = 20;

function cappedErrors(errors: FieldErrors | undefined): Pick<ProblemBody, 'errors' | 'moreErrors'> {
  if (!errors) return {};
  const fields = Object.keys(errors);
  if (fields.length <= MAX_ERROR_FIELDS) return { errors };
  return {
    errors: Object.fromEntries(fields.slice(0, MAX_ERROR_FIELDS).map((field) => [field, errors[field]!])),
    moreErrors: fields.length - MAX_ERROR_FIELDS,
  };
}

const STATUS_TITLES: Record<number, [string, string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Not signed in'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['unprocessable', 'Unprocessable'],
  429: ['rate-limited', 'Too many requests'],
};

/** Turns a JSON pointer like `/variants/0/sku` into the field name `variants.0.sku`. */
function fieldOf(instancePath: string, missing?: unknown, extra?: unknown): string {
  const base = instancePath.replace(/^\//, '').replace(/\//g, '.');
  const leaf = typeof missing === 'string' ? missing : typeof extra === 'string' ? extra : '';
  return [base, leaf].filter(Boolean).join('.') || '(body)';
}

function validationErrors(error: FastifyError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.validation ?? []) {
    const params = issue.params as Record<string, unknown>;
    const field = fieldOf(issue.instancePath, params?.missingProperty, params?.additionalProperty);
    const context = error.validationContext && error.validationContext !== 'body' ? `${error.validationContext}.` : '';
    const message = (issue.keyword === 'format' ? textFormatMessage(params?.format) : undefined) ?? issue.message ?? 'is not valid';
    (errors[context + field] ??= []).push(message);
  }
  return errors;
}

export function problemOf(error: unknown): ProblemBody & { headers?: Record<string, string> } {
  if (error instanceof HttpProblem) {
    return {
      ...error.extensions,
      type: PROBLEM_BASE + error.slug,
      title: error.title,
      status: error.status,
      detail: error.detail,
      ...cappedErrors(error.errors),
      ...(error.headers ? { headers: error.headers } : {}),
    };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError?.validation) {
    return {
      type: PROBLEM_BASE + 'validation',
      title: 'Validation failed',
      status: 400,
      detail: 'Some fields are not valid.',
      ...cappedErrors(validationErrors(fastifyError)),
    };
  }
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [slug, title] = STATUS_TITLES[status] ?? ['client-error', 'Client error'];
    const detail =
      fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'The body is not valid JSON.'
        : (fastifyError.message ?? title);
    return { type: PROBLEM_BASE + slug, title, status, detail };
  }
  return {
    type: PROBLEM_BASE + 'internal',
    title: 'Internal error',
    status: 500,
    detail: 'Something went wrong on our side. It has been logged.',
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  const { headers, ...body } = problemOf(error);
  if (body.status >= 500) request.log.error({ err: error }, 'unhandled error');
  if (headers) reply.headers(headers);
  return reply
    .code(body.status)
    .type('application/problem+json')
    .send({ ...body, instance: request.url.split('?')[0] });
}
