/**
 * QRIS payloads in the EMVCo merchant-presented format: tag-length-value fields, ending with a
 * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over everything up to and including "6304".
 */
function tlv(tag: string, value: string): string {
  if (value.length > 99) throw new Error(`EMV field ${tag} too long`);
  return `${tag}${String(value.length).padStart(2, '0')}${value}`;
}

export function crc16ccitt(input: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(input, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

export interface QrisInput {
  merchantName: string;
  merchantCity: string;
  merchantId: string;
  amountIdr: number;
  reference: string;
}

const ascii = (text: string, max: number) => text.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').slice(0, max);

export function qrisPayload(input: QrisInput): string {
  const body =
    tlv('00', '01') +
    tlv('01', '12') + // dynamic: one amount, one payment
    tlv('26', tlv('00', 'ID.CO.SEKAT.WWW') + tlv('01', '936000000000000000'.slice(0, 18)) + tlv('02', input.merchantId) + tlv('03', 'UMI')) +
    tlv('51', tlv('00', 'ID.CO.QRIS.WWW') + tlv('02', input.merchantId) + tlv('03', 'UMI')) +
    tlv('52', '5999') +
    tlv('53', '360') +
    tlv('54', String(input.amountIdr)) +
    tlv('58', 'ID') +
    tlv('59', ascii(input.merchantName, 25) || 'SEKAT') +
    tlv('60', ascii(input.merchantCity, 15) || 'JAKARTA') +
    tlv('62', tlv('01', input.reference.slice(0, 25)));
  const withCrcTag = `${body}6304`;
  return withCrcTag + crc16ccitt(withCrcTag);
}

/** Checks the CRC of a payload (what a wallet app does before paying). */
export function qrisCrcValid(payload: string): boolean {
  if (payload.length < 8 || payload.slice(-8, -4) !== '6304') return false;
  return crc16ccitt(payload.slice(0, -4)) === payload.slice(-4);
}
