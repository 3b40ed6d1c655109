import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

/**
 * A real SMTP server on loopback for one test file. `env` gets SMTP_URL once it listens, before
 * `useSekat` builds the app in its own beforeAll (so call this first).
 */
export function useSmtp(env: Record<string, string>) {
  const received: ParsedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        received.push(mail);
        callback();
      }, callback);
    },
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => smtp.close(resolve)));
  const to = (address: string) => received.filter((m) => JSON.stringify(m.to ?? '').includes(address));
  return {
    received,
    to,
    /** The `count`-th mail to `address`, waiting for it to arrive. */
    async mailTo(address: string, count = 1): Promise<ParsedMail> {
      await vi.waitFor(() => expect(to(address).length).toBeGreaterThanOrEqual(count), { timeout: 8000 });
      return to(address)[count - 1]!;
    },
  };
}

/** The token of the first link to `path` in a mail's plain text. */
export function linkToken(mail: ParsedMail, path: string): string {
  const match = new RegExp(`${path.replace(/[/?]/g, '\\$&')}\\?token=([A-Za-z0-9_-]+)`).exec(mail.text ?? '');
  expect(match, mail.text).not.toBeNull();
  return match![1]!;
}
