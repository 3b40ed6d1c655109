import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { useSekat } from './support/sekat.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(String(chunk));
    done();
  },
});

const t = useSekat({ background: false, logDestination: sink, env: { LOG_LEVEL: 'info' } });

describe('logs', () => {
  it('carry a request id and never a password, token, cookie, address or phone', async () => {
    const password = 'rahasia-sekali-jangan-dicatat';
    const reg = await t.sekat.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email: 'log.me@contoh.id', password, handle: 'log_me', displayName: 'Log' },
      headers: { 'x-request-id': 'req-abc-12345' },
    });
    const token = reg.json().token as string;
    await t.sekat.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    await t.sekat.app.inject({ url: '/api/me', cookies: { sid: token } });
    await t.sekat.app.inject({ url: `/api/privacy/exports/01a21300-0000-7000-8000-000000000000/download?token=${token}` });
    // The server reads a percent-encoded or upper-case name as the same parameter, so the log must too.
    const encoded = ['%74oken', 'TOKEN', '%54%4F%4B%45%4E', 'signatur%65', 'k%65y'].map((name, i) => `${name}=${token.slice(0, 12)}${i}secret`);
    for (const pair of encoded) await t.sekat.app.inject({ url: `/api/privacy/exports/01a21300-0000-7000-8000-000000000000/download?format=zip&${pair}` });
    await t.sekat.app.inject({
      method: 'POST',
      url: '/api/commerce/checkout',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'log-1' },
      payload: { shippingAddress: { recipient: 'Nama Penerima', phone: '081299998888', line1: 'Jl. Jangan Dicatat 9', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' }, courier: 'jne_reg', paymentMethod: 'va_bca' },
    });
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(4);
    expect(text).toContain('req-abc-12345');
    for (const secret of [password, token, 'Jl. Jangan Dicatat', '081299998888', 'Nama Penerima']) expect(text).not.toContain(secret);
    for (let i = 0; i < encoded.length; i++) expect(text).not.toContain(`${token.slice(0, 12)}${i}secret`);
    expect(text).toContain('token=[redacted]');
    expect(text).toContain('%74oken=[redacted]');
    expect(text).toContain('format=zip');
  });
});
