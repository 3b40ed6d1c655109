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
const SECRET_QUERY = /([?&](?:token|signature|key)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
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
