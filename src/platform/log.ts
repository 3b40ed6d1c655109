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

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
}

export function createLogger(level: string): Logger {
  return pino(loggerOptions(level));
}

export type { Logger };
