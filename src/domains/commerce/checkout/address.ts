import { sql, type QueryCreator, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import { conflict, notFound, unprocessable, validationFailed, type FieldErrors } from '../../../platform/errors.js';
import { uuidv7 } from '../../../platform/ids.js';
import { canonicalProvince, normalisePhone, POSTAL_CODE } from '../shipping/regions.js';

export interface AddressInput {
  recipient: string;
  phone: string;
  line1: string;
  city: string;
  province: string;
  postalCode: string;
}

/** Validates and normalises a shipping address: one of the 38 provinces, 5-digit postcode, +62 phone. */
export function normaliseAddress(input: AddressInput, prefix = 'shippingAddress.'): AddressInput {
  const errors: FieldErrors = {};
  const recipient = input.recipient.normalize('NFC').trim();
  if (!recipient) errors[`${prefix}recipient`] = ['must not be empty'];
  const phone = normalisePhone(input.phone);
  if (!phone) errors[`${prefix}phone`] = ['must be an Indonesian phone number, e.g. 0812 3456 7890'];
  const line1 = input.line1.normalize('NFC').trim();
  if (!line1) errors[`${prefix}line1`] = ['must not be empty'];
  const city = input.city.normalize('NFC').trim();
  if (!city) errors[`${prefix}city`] = ['must not be empty'];
  const province = canonicalProvince(input.province);
  if (!province) errors[`${prefix}province`] = ['must be one of the 38 provinces of Indonesia'];
  const postalCode = input.postalCode.trim();
  if (!POSTAL_CODE.test(postalCode)) errors[`${prefix}postalCode`] = ['must be 5 digits'];
  if (Object.keys(errors).length > 0) throw validationFailed(errors);
  return { recipient, phone: phone!, line1, city, province: province!, postalCode };
}

/** Where a parcel goes, without the person: what shipping is priced by (city, province, postal code). */
export type Destination = Pick<AddressInput, 'city' | 'province' | 'postalCode'>;

/** A destination checked and normalised as an address's place is; field errors name the bare fields. */
export function normaliseDestination(input: Destination): Destination {
  const errors: FieldErrors = {};
  const city = input.city.normalize('NFC').trim();
  if (!city) errors.city = ['must not be empty'];
  const province = canonicalProvince(input.province);
  if (!province) errors.province = ['must be one of the 38 provinces of Indonesia'];
  const postalCode = input.postalCode.trim();
  if (!POSTAL_CODE.test(postalCode)) errors.postalCode = ['must be 5 digits'];
  if (Object.keys(errors).length > 0) throw validationFailed(errors);
  return { city, province: province!, postalCode };
}

/** The most addresses one buyer keeps; checkout stops adding new ones at this size. */
export const MAX_ADDRESSES = 20;

export interface BookAddressInput extends AddressInput {
  label?: string;
}

interface AddressRow {
  id: string;
  label: string;
  recipient: string;
  phone: string;
  line1: string;
  city: string;
  province: string;
  postal_code: string;
  is_default: boolean;
  last_used_at: Date | null;
  created_at: Date;
}

const placeOf = (row: AddressRow): AddressInput => ({
  recipient: row.recipient,
  phone: row.phone,
  line1: row.line1,
  city: row.city,
  province: row.province,
  postalCode: row.postal_code,
});

/** The book in the order it is shown: the default first (the chosen one, else the one used last), then by use. */
async function bookRows(db: Database | Transaction<AnyDB>, subject: string): Promise<AddressRow[]> {
  return (await db
    .selectFrom('addresses')
    .select(['id', 'label', 'recipient', 'phone', 'line1', 'city', 'province', 'postal_code', 'is_default', 'last_used_at', 'created_at'])
    .where('subject', '=', subject)
    .orderBy('is_default', 'desc')
    .orderBy(sql`last_used_at desc nulls last`)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()) as AddressRow[];
}

const entryView = (row: AddressRow, isDefault: boolean) => ({
  id: row.id,
  label: row.label,
  ...placeOf(row),
  isDefault,
  lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
});

export type AddressEntry = ReturnType<typeof entryView>;

/** The address book, default first. */
export async function addressBook(db: Database, subject: string): Promise<AddressEntry[]> {
  return (await bookRows(db, subject)).map((row, i) => entryView(row, i === 0));
}

/** The default address (what checkout starts from), or null with an empty book. */
export async function defaultAddressOf(db: Database, subject: string): Promise<AddressInput | null> {
  const [first] = await bookRows(db, subject);
  return first ? placeOf(first) : null;
}

export async function forgetAddressBook(db: Database, subject: string): Promise<void> {
  await db.deleteFrom('addresses').where('subject', '=', subject).execute();
}

/** Changes to one buyer's book run one at a time: their rows are locked first. */
async function lockBook(trx: Transaction<AnyDB>, subject: string) {
  await sql`select id from addresses where subject = ${subject} order by id for update`.execute(trx);
}

const samePlace = () => conflict('This address is already in your address book.', { line1: ['is already in your address book'] }, 'address-exists');
const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

function normaliseEntry(input: BookAddressInput) {
  const place = normaliseAddress(input, '');
  const label = (input.label ?? '').normalize('NFC').trim();
  return { place, label };
}

export class AddressBookService {
  constructor(private readonly db: Database) {}

  /** Adds an address; the first one, or one asked for, becomes the default. */
  async add(subject: string, input: BookAddressInput & { isDefault?: boolean }): Promise<AddressEntry> {
    const { place, label } = normaliseEntry(input);
    const id = uuidv7();
    try {
      await this.db.transaction().execute(async (trx) => {
        await lockBook(trx, subject);
        const count = (await sql<{ n: number }>`select count(*)::int as n from addresses where subject = ${subject}`.execute(trx)).rows[0]!.n;
        if (count >= MAX_ADDRESSES) throw unprocessable(`An address book holds at most ${MAX_ADDRESSES} addresses.`, { addresses: [`at most ${MAX_ADDRESSES}`] });
        const makeDefault = count === 0 || input.isDefault === true;
        if (makeDefault) await trx.updateTable('addresses').set({ is_default: false }).where('subject', '=', subject).where('is_default', '=', true).execute();
        await trx
          .insertInto('addresses')
          .values({
            id, subject, label, recipient: place.recipient, phone: place.phone, line1: place.line1, city: place.city, province: place.province,
            postal_code: place.postalCode, is_default: makeDefault,
          })
          .execute();
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw samePlace();
      throw error;
    }
    return this.entry(subject, id);
  }

  /** Replaces an address's fields (its default and use stay). */
  async update(subject: string, id: string, input: BookAddressInput): Promise<AddressEntry> {
    const { place, label } = normaliseEntry(input);
    try {
      const changed = await this.db
        .updateTable('addresses')
        .set({ label, recipient: place.recipient, phone: place.phone, line1: place.line1, city: place.city, province: place.province, postal_code: place.postalCode, updated_at: sql`now()` })
        .where('id', '=', id)
        .where('subject', '=', subject)
        .returning('id')
        .executeTakeFirst();
      if (!changed) throw notFound('No such address.');
    } catch (error) {
      if (isUniqueViolation(error)) throw samePlace();
      throw error;
    }
    return this.entry(subject, id);
  }

  async makeDefault(subject: string, id: string): Promise<AddressEntry> {
    await this.db.transaction().execute(async (trx) => {
      await lockBook(trx, subject);
      const found = await trx.selectFrom('addresses').select('id').where('id', '=', id).where('subject', '=', subject).executeTakeFirst();
      if (!found) throw notFound('No such address.');
      await trx.updateTable('addresses').set({ is_default: false }).where('subject', '=', subject).where('is_default', '=', true).execute();
      await trx.updateTable('addresses').set({ is_default: true }).where('id', '=', id).execute();
    });
    return this.entry(subject, id);
  }

  /** Removes an address; orders keep theirs. If it was the default, the one used last takes over. */
  async remove(subject: string, id: string): Promise<void> {
    const removed = await this.db.deleteFrom('addresses').where('id', '=', id).where('subject', '=', subject).returning('id').executeTakeFirst();
    if (!removed) throw notFound('No such address.');
  }

  private async entry(subject: string, id: string): Promise<AddressEntry> {
    const entry = (await addressBook(this.db, subject)).find((e) => e.id === id);
    if (!entry) throw notFound('No such address.');
    return entry;
  }
}

/**
 * What checkout writes to the book, as part of its one statement: the address shipped to becomes
 * the one used last — a new entry while the book has room, or a use of the entry already there.
 */
export function recordAddressUse(db: QueryCreator<AnyDB>, subject: string, address: AddressInput) {
  return db
    .insertInto('addresses')
    .columns(['id', 'subject', 'recipient', 'phone', 'line1', 'city', 'province', 'postal_code', 'last_used_at'])
    .expression(
      sql`select ${uuidv7()}::uuid, ${subject}, ${address.recipient}, ${address.phone}, ${address.line1}, ${address.city}, ${address.province}, ${address.postalCode}, now()
        where (select count(*) from addresses where subject = ${subject}) < ${MAX_ADDRESSES}
          or exists (select 1 from addresses where subject = ${subject} and (recipient, phone, line1, city, province, postal_code)
            = (${address.recipient}, ${address.phone}, ${address.line1}, ${address.city}, ${address.province}, ${address.postalCode}))`,
    )
    .onConflict((oc) => oc.columns(['subject', 'recipient', 'phone', 'line1', 'city', 'province', 'postal_code']).doUpdateSet({ last_used_at: sql`now()` }));
}
