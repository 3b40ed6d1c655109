import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { FastifyRequest } from 'fastify';

export type Locale = 'id' | 'en';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailerOptions {
  /** SMTP server URL; without one, each mail is written to `<dataDir>/mail/` as an .eml file. */
  smtpUrl: string | undefined;
  from: string;
  dataDir: string;
}

/** Sends identity's mail over SMTP, or keeps it on disk for a developer's embedded start. */
export class Mailer {
  private readonly transport: Transporter;
  private readonly folder: string | undefined;

  constructor(private readonly options: MailerOptions) {
    if (options.smtpUrl) {
      this.transport = nodemailer.createTransport(options.smtpUrl);
    } else {
      this.transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
      this.folder = path.join(options.dataDir, 'mail');
    }
  }

  async send(mail: Mail): Promise<void> {
    const info = await this.transport.sendMail({ from: this.options.from, ...mail });
    if (!this.folder) return;
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    // Named by time first, so `ls` lists them in the order they were sent.
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`;
    await writeFile(path.join(this.folder, name), info.message as Buffer, { mode: 0o600 });
  }

  close(): void {
    this.transport.close();
  }
}

/**
 * The language a person asked for: an explicit `locale` ('id' or 'en') wins, then the first of
 * the two in Accept-Language by weight, else Bahasa Indonesia.
 */
export function localeOf(request: FastifyRequest, explicit?: string): Locale {
  if (explicit === 'id' || explicit === 'en') return explicit;
  const header = request.headers['accept-language'] ?? '';
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? '1');
      return { language: tag.split('-')[0]!.toLowerCase(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((entry) => entry.q > 0 && (entry.language === 'id' || entry.language === 'en'))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return (ranked[0]?.language as Locale | undefined) ?? 'id';
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}
