import { useEffect, useId, useState, type ChangeEvent, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Profile } from '../api/types';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';

const MAX_BIO = 300;
/** The server takes at most 5 MiB; saying so before the upload saves a wasted wait on a phone. */
const MAX_AVATAR_BYTES = 5 * 1024 * 1024;

function AvatarPicker({ profile, onChange }: { profile: Profile; onChange(next: Profile): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const inputId = useId();
  const upload = useMutation({
    mutationFn: (file: File) => api<Profile>('/api/social/me/avatar', { method: 'PUT', raw: file, headers: { 'content-type': file.type || 'application/octet-stream' } }),
    onSuccess: (next) => {
      errors.clear();
      onChange(next);
    },
    onError: (error) => errors.show(error, { 415: t('editProfile.notAPicture'), 413: t('editProfile.tooLarge') }),
  });
  const remove = useMutation({ mutationFn: () => api<Profile>('/api/social/me/avatar', { method: 'DELETE' }), onSuccess: onChange });
  function picked(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    if (file.size > MAX_AVATAR_BYTES) {
      errors.set(t('editProfile.tooLarge'));
      return;
    }
    upload.mutate(file);
  }
  return (
    <div className="card stack">
      <div className="avatar big" aria-hidden="true">
        {profile.avatarUrl ? <img src={profile.avatarUrl} alt="" /> : profile.displayName.slice(0, 1).toUpperCase()}
      </div>
      <div className="field">
        <label htmlFor={inputId}>{profile.avatarUrl ? t('editProfile.changePhoto') : t('editProfile.addPhoto')}</label>
        <input id={inputId} type="file" accept="image/jpeg,image/png,image/webp" onChange={picked} disabled={upload.isPending} aria-describedby={`${inputId}-hint`} />
        <small id={`${inputId}-hint`} className="hint">
          {t('editProfile.photoHint')}
        </small>
      </div>
      {upload.isPending && <p role="status">{t('editProfile.uploading')}</p>}
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message} {errors.fields.file?.join(' ')}
        </p>
      )}
      {profile.avatarUrl && (
        <button type="button" onClick={() => remove.mutate()} disabled={remove.isPending}>
          {t('editProfile.removePhoto')}
        </button>
      )}
      <ErrorNote error={remove.error} />
    </div>
  );
}

function ProfileForm() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  const profile = useQuery({ queryKey: ['my-profile'], queryFn: () => api<Profile>('/api/social/me') });
  const [form, setForm] = useState({ displayName: '', bio: '' });
  useEffect(() => {
    if (profile.data) setForm({ displayName: profile.data.displayName, bio: profile.data.bio });
  }, [profile.data?.handle]);
  const publish = (next: Profile) => {
    client.setQueryData(['my-profile'], next);
    client.setQueryData(['profile', next.handle], next);
  };
  const save = useMutation({
    mutationFn: () => api<Profile>(`/api/social/users/${encodeURIComponent(profile.data!.handle)}`, { method: 'PATCH', body: form }),
    onSuccess: (next) => {
      errors.clear();
      publish(next);
    },
    onError: (error) => errors.show(error),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  if (profile.isLoading) return <Loading />;
  if (!profile.data) return <ErrorNote error={profile.error} />;
  return (
    <section className="stack" aria-labelledby="edit-profile-title">
      <h1 id="edit-profile-title">{t('editProfile.title')}</h1>
      <AvatarPicker profile={profile.data} onChange={publish} />
      <form className="card stack" onSubmit={submit} noValidate>
        {errors.message && (
          <p className="alert" role="alert">
            {errors.message}
          </p>
        )}
        <Field label={t('editProfile.displayName')} name="displayName" maxLength={100} value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.target.value })} errors={errors.fields.displayName} required />
        <div className="field">
          <label htmlFor="bio">{t('editProfile.bio')}</label>
          <textarea id="bio" name="bio" rows={3} maxLength={MAX_BIO} value={form.bio} onChange={(e) => setForm({ ...form, bio: e.target.value })} aria-describedby="bio-count" aria-invalid={errors.fields.bio ? true : undefined} />
          <small id="bio-count" className="hint">
            {t('editProfile.bioCount', { count: [...form.bio].length, max: MAX_BIO })}
          </small>
          {errors.fields.bio && (
            <small className="error" role="alert">
              {errors.fields.bio.join(' ')}
            </small>
          )}
        </div>
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? t('auth.working') : t('common.save')}
        </button>
        {save.isSuccess && (
          <p className="ok" role="status">
            {t('editProfile.saved')} <Link to={`/@${profile.data.handle}`}>{t('editProfile.view')}</Link>
          </p>
        )}
      </form>
    </section>
  );
}

export default function EditProfile() {
  return (
    <RequireUser>
      <ProfileForm />
    </RequireUser>
  );
}
