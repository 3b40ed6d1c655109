import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Address, AddressEntry } from '../api/types';
import { AddressFields } from '../components/AddressFields';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';

const EMPTY: Address & { label: string } = { label: '', recipient: '', phone: '', line1: '', city: '', province: '', postalCode: '' };
const BOOK_KEY = ['address-book'];

/** Adds an address, or changes `entry` when given. */
function AddressForm({ entry, onDone }: { entry?: AddressEntry; onDone(): void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  const [form, setForm] = useState(
    entry
      ? {
          label: entry.label, recipient: entry.recipient, phone: entry.phone,
          line1: entry.line1, city: entry.city, province: entry.province, postalCode: entry.postalCode,
        }
      : EMPTY,
  );
  const save = useMutation({
    mutationFn: () => api<AddressEntry>(entry ? `/api/commerce/addresses/${entry.id}` : '/api/commerce/addresses', { method: entry ? 'PUT' : 'POST', body: { ...form, city: form.city.trim() } }),
    onSuccess: () => {
      errors.clear();
      void client.invalidateQueries({ queryKey: BOOK_KEY });
      onDone();
    },
    onError: (error) => errors.show(error, { 409: t('addresses.duplicate') }),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  const titleId = entry ? `edit-${entry.id}` : 'new-address-title';
  return (
    <form className="card stack" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <h2 id={titleId}>{entry ? t('addresses.edit') : t('addresses.add')}</h2>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message} {errors.fields.addresses?.join(' ')}
        </p>
      )}
      <Field label={t('addresses.label')} hint={t('addresses.labelHint')} name="label" maxLength={40} value={form.label} onChange={(e) => setForm({ ...form, label: e.target.value })} errors={errors.fields.label} />
      <AddressFields value={form} onChange={(next) => setForm({ ...form, ...next })} errors={errors.fields} />
      <div className="actions">
        <button type="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? t('auth.working') : t('addresses.save')}
        </button>
      </div>
    </form>
  );
}

function Entry({ entry }: { entry: AddressEntry }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const refresh = () => void client.invalidateQueries({ queryKey: BOOK_KEY });
  const makeDefault = useMutation({ mutationFn: () => api(`/api/commerce/addresses/${entry.id}/default`, { method: 'PUT' }), onSuccess: refresh });
  const remove = useMutation({ mutationFn: () => api(`/api/commerce/addresses/${entry.id}`, { method: 'DELETE' }), onSuccess: refresh });
  if (editing) return <AddressForm entry={entry} onDone={() => setEditing(false)} />;
  return (
    <li className="card stack" data-address={entry.id} aria-label={entry.label || entry.recipient}>
      <p className="line">
        <strong>{entry.label || entry.recipient}</strong>
        {entry.isDefault && <span className="status status-ready">{t('addresses.default')}</span>}
      </p>
      <p>
        {entry.recipient} · {entry.phone}
        <br />
        {entry.line1}, {entry.city}, {entry.province} {entry.postalCode}
      </p>
      <ErrorNote error={makeDefault.error ?? remove.error} />
      {confirming ? (
        <div className="stack" role="alertdialog" aria-label={t('addresses.confirmDelete')}>
          <p>{t('addresses.confirmDelete')}</p>
          <div className="actions">
            <button type="button" onClick={() => setConfirming(false)}>
              {t('common.cancel')}
            </button>
            <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate()}>
              {t('addresses.deleteYes')}
            </button>
          </div>
        </div>
      ) : (
        <div className="actions">
          {!entry.isDefault && (
            <button type="button" disabled={makeDefault.isPending} onClick={() => makeDefault.mutate()}>
              {t('addresses.makeDefault')}
            </button>
          )}
          <button type="button" onClick={() => setEditing(true)}>
            {t('addresses.editShort')}
          </button>
          <button type="button" onClick={() => setConfirming(true)}>
            {t('addresses.delete')}
          </button>
        </div>
      )}
    </li>
  );
}

function Book() {
  const { t } = useTranslation();
  const [adding, setAdding] = useState(false);
  const book = useQuery({ queryKey: BOOK_KEY, queryFn: () => api<{ items: AddressEntry[] }>('/api/commerce/addresses') });
  return (
    <section className="stack" aria-labelledby="address-book-title">
      <h1 id="address-book-title">{t('addresses.title')}</h1>
      <p className="muted">{t('addresses.intro')}</p>
      {book.isLoading && <Loading />}
      <ErrorNote error={book.error} />
      {book.data?.items.length === 0 && !adding && <p className="card">{t('addresses.empty')}</p>}
      <ul className="plain stack">
        {book.data?.items.map((entry) => (
          <Entry key={entry.id} entry={entry} />
        ))}
      </ul>
      {adding ? (
        <AddressForm onDone={() => setAdding(false)} />
      ) : (
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t('addresses.add')}
        </button>
      )}
    </section>
  );
}

export default function AddressBook() {
  return (
    <RequireUser>
      <Book />
    </RequireUser>
  );
}
