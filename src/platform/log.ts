import pino, { type Logger, type LoggerOptions } from 'pino';

/** Paths never written to a log: credentials, tokens, cookies, addresses, phones. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.attributionToken',
  '*.phone',
  '*.email',
  '*.shippingAddress',
  '*.address',
  '*.line1',
  '*.recipient',
];

/** Query parameters whose values never reach a log line (signed links carry a token). */
const SECRET_PARAMS = new Set(['token', 'signature', 'key']);

/** A query parameter's name as the server reads it: `%74oken` and `TOKEN` are `token` too. */
function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).trim().toLowerCase();
  } catch {
    // Not decodable: the server cannot read it as a name either, so keep it out of the log.
    return 'token';
  }
}

export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const pairs = url.slice(start + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    if (equals < 0) return pair;
    return SECRET_PARAMS.has(paramName(pair.slice(0, equals))) ? `${pair.slice(0, equals)}=[redacted]` : pair;
  });
  return `${url.slice(0, start)}?${pairs.join('&')}`;
}

interface LoggedRequest {
  method: string;
  url: string;
  id?: string;
  ip?: string;
}

export function loggerOptions(level: string, destination?: pino.DestinationStream): LoggerOptions & { stream?: pino.DestinationStream } {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (request: LoggedRequest) => ({ method: request.method, url: redactUrl(request.url), id: request.id, remoteAddress: request.ip }),
    },
    ...(destination ? { stream: destination } : {}),
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

export type { Logger };
