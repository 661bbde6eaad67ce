import { useId, useRef, useState } from 'react';
import type { ConnectionTestResult, DestinationType, ProfileView } from '../../../preload/contract';
import { useApp, useConvoy } from '../context';
import {
  DESTINATION_TYPES,
  DESTINATION_TYPE_LABELS,
  draftFromProfile,
  emptyDraft,
  fieldsOf,
  toProfileInput,
  validateProfileDraft,
  type ProfileDraft,
} from '../lib/destinationForms';
import { Modal } from './Modal';
import { keepFocus } from './keepFocus';
import { FieldError, FormActions } from './FormParts';

function errText(e: unknown): string {
  return (e as { message?: string })?.message || 'Something went wrong';
}

/** One profile's form: per-field validation, Test connection with the result inline, Save. */
export function ProfileForm({ profile, onSaved, onCancel }: { profile: ProfileView | null; onSaved?: (p: ProfileView) => void; onCancel?: () => void }) {
  const { controller } = useConvoy();
  const [draft, setDraft] = useState<ProfileDraft>(() => (profile ? draftFromProfile(profile) : emptyDraft('ftp')));
  const [submitted, setSubmitted] = useState(false);
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [test, setTest] = useState<ConnectionTestResult | { ok: false; code: string; message: string } | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'test' | 'save' | null>(null);
  const prefix = useId();
  const keyfileInput = useRef<HTMLInputElement>(null);
  const stored = profile?.secretsSet ?? [];
  const errors = validateProfileDraft(draft, stored);
  const show = (name: string) => (submitted || touched[name]) && errors[name];
  const fields = fieldsOf(draft.type);

  const setValue = (name: string, value: string) => {
    setDraft({ ...draft, values: { ...draft.values, [name]: value } });
    setTest(null);
  };

  const changeType = (type: DestinationType) => {
    const fresh = emptyDraft(type, draft.name);
    fresh.id = draft.id;
    setDraft(fresh);
    setTest(null);
    setSubmitted(false);
  };

  const runTest = async () => {
    setSubmitted(true);
    if (Object.keys(errors).length) return;
    setBusy('test');
    setTest(null);
    try {
      setTest(await controller.testProfile(toProfileInput(draft)));
    } catch (e) {
      setTest({ ok: false, code: (e as { code?: string }).code ?? 'error', message: errText(e) });
    } finally {
      setBusy(null);
    }
  };

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setSaveError(null);
    if (Object.keys(errors).length) return;
    setBusy('save');
    try {
      const saved = await controller.saveProfile(toProfileInput(draft));
      await controller.reloadProfiles();
      onSaved?.(saved);
    } catch (err) {
      setSaveError(errText(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <form className="profile-form" onSubmit={save} noValidate aria-label={profile ? `Edit ${profile.name}` : 'New destination'}>
      <div className={`field${show('name') ? ' invalid' : ''}`}>
        <label htmlFor={`${prefix}-name`}>Profile name</label>
        <input
          id={`${prefix}-name`}
          type="text"
          value={draft.name}
          aria-invalid={show('name') ? true : undefined}
          aria-describedby={show('name') ? `${prefix}-name-err` : undefined}
          onChange={(e) => setDraft({ ...draft, name: e.target.value })}
          onBlur={() => setTouched((t) => ({ ...t, name: true }))}
        />
        {show('name') && <FieldError id={`${prefix}-name-err`}>{errors.name}</FieldError>}
      </div>
      <div className="field">
        <label htmlFor={`${prefix}-type`}>Type</label>
        <select id={`${prefix}-type`} value={draft.type} onChange={(e) => changeType(e.target.value as DestinationType)} disabled={!!profile}>
          {DESTINATION_TYPES.map((t) => (
            <option key={t} value={t}>
              {DESTINATION_TYPE_LABELS[t]}
            </option>
          ))}
        </select>
      </div>
      {fields.map((f) => {
        const id = `${prefix}-${f.key}`;
        const err = show(f.key);
        const isStored = f.secret && stored.includes(f.key);
        const common = {
          id,
          value: draft.values[f.key] ?? '',
          'aria-invalid': err ? true : undefined,
          'aria-describedby': [`${id}-help`, err ? `${id}-err` : null].filter(Boolean).join(' '),
          'aria-required': f.required && !isStored ? true : undefined,
          placeholder: isStored ? 'Stored — leave empty to keep' : f.placeholder,
          spellCheck: false,
          onBlur: () => setTouched((t) => ({ ...t, [f.key]: true })),
        };
        return (
          <div key={f.key} className={`field${err ? ' invalid' : ''}`}>
            <label htmlFor={id}>
              {f.label}
              {f.required && !isStored ? '' : ' (optional)'}
            </label>
            {f.kind === 'keyfile' ? (
              <>
                <textarea {...common} rows={4} onChange={(e) => setValue(f.key, e.target.value)} />
                <span>
                  <button type="button" onClick={() => keyfileInput.current?.click()}>
                    Load key file…
                  </button>
                  <input
                    ref={keyfileInput}
                    type="file"
                    accept="application/json,.json"
                    hidden
                    tabIndex={-1}
                    aria-hidden="true"
                    onChange={async (e) => {
                      const file = e.target.files?.[0];
                      e.target.value = '';
                      if (file) setValue(f.key, await file.text());
                    }}
                  />
                </span>
              </>
            ) : (
              <input
                {...common}
                type={f.kind === 'secret' ? 'password' : 'text'}
                inputMode={f.kind === 'number' ? 'numeric' : undefined}
                autoComplete="off"
                onChange={(e) => setValue(f.key, e.target.value)}
              />
            )}
            <small id={`${id}-help`} className="hint">
              {f.help}
            </small>
            {err && <FieldError id={`${id}-err`}>{errors[f.key]}</FieldError>}
          </div>
        );
      })}
      {test && (
        <p className={`result ${test.ok ? 'ok' : 'error'}`} role={test.ok ? 'status' : 'alert'} data-testid="test-result">
          {test.ok ? '✓ Connection works: ' : `✗ Connection failed (${test.code}): `}
          {test.message}
        </p>
      )}
      {saveError && (
        <p className="result error" role="alert">
          ✗ {saveError}
        </p>
      )}
      <FormActions
        primary="Save"
        holdFocus
        primaryDisabled={busy !== null}
        onCancel={onCancel}
        sticky
        before={
          <button type="button" onClick={() => void runTest()} onMouseDown={keepFocus} disabled={busy !== null}>
            {busy === 'test' ? 'Testing…' : 'Test connection'}
          </button>
        }
      />
    </form>
  );
}

export function ProfilesDialog({ editId }: { editId: string | null }) {
  const { controller, app } = useConvoy();
  const profiles = useApp((s) => s.profiles);
  const unavailable = useApp((s) => s.unavailable);
  const [editing, setEditing] = useState<string | 'new' | null>(editId ?? (profiles.length ? null : 'new'));
  const [message, setMessage] = useState<string | null>(null);
  const importInput = useRef<HTMLInputElement>(null);
  const close = () => app.getState().openDialog(null);
  const current = editing && editing !== 'new' ? (profiles.find((p) => p.id === editing) ?? null) : null;

  const act = async (work: () => Promise<unknown>, ok?: string) => {
    try {
      await work();
      await controller.reloadProfiles();
      if (ok) setMessage(ok);
    } catch (e) {
      setMessage(errText(e));
    }
  };

  const exportAll = async () => {
    try {
      const json = await controller.exportProfiles();
      const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'convoy-destinations.json';
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      setMessage('Exported without any secret');
    } catch (e) {
      setMessage(errText(e));
    }
  };

  const importFile = async (file: File) => {
    try {
      const r = await controller.importProfiles(await file.text());
      await controller.reloadProfiles();
      setMessage(
        `Imported ${r.imported.length} profile${r.imported.length === 1 ? '' : 's'}${r.errors.length ? `; ${r.errors.join('; ')}` : ''}. Enter their secrets before use.`,
      );
    } catch (e) {
      setMessage(errText(e));
    }
  };

  return (
    <Modal title="Destinations" onClose={close} wide>
      {unavailable.has('destinations.list') && <p className="muted">Saved destinations are not available in this build yet.</p>}
      <div className="profiles">
        <div className="profile-list">
          <ul aria-label="Saved destinations">
            {profiles.map((p) => (
              <li key={p.id} className={editing === p.id ? 'active' : ''}>
                <span className="profile-name">{p.name}</span>
                <span className="muted">{DESTINATION_TYPE_LABELS[p.type]}</span>
                <span className="profile-actions">
                  <button type="button" className="link-button" onClick={() => setEditing(p.id)} aria-label={`Edit ${p.name}`}>
                    Edit
                  </button>
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => void act(() => controller.duplicateProfile(p.id), 'Duplicated')}
                    aria-label={`Duplicate ${p.name}`}
                  >
                    Duplicate
                  </button>
                  <button
                    type="button"
                    className="link-button danger"
                    aria-label={`Remove ${p.name}`}
                    onClick={() => {
                      if (window.confirm(`Remove the destination "${p.name}"? Its stored secrets are deleted too.`)) {
                        void act(() => controller.removeProfile(p.id), 'Removed');
                        if (editing === p.id) setEditing(null);
                      }
                    }}
                  >
                    Remove
                  </button>
                </span>
              </li>
            ))}
          </ul>
          <div className="inline">
            <button type="button" onClick={() => setEditing('new')}>
              New destination
            </button>
            <button type="button" onClick={() => void exportAll()} disabled={!profiles.length}>
              Export
            </button>
            <button type="button" onClick={() => importInput.current?.click()}>
              Import…
            </button>
            <input
              ref={importInput}
              type="file"
              accept="application/json,.json"
              hidden
              tabIndex={-1}
              aria-hidden="true"
              onChange={(e) => {
                const f = e.target.files?.[0];
                e.target.value = '';
                if (f) void importFile(f);
              }}
            />
          </div>
          {message && (
            <p className="muted" role="status">
              {message}
            </p>
          )}
        </div>
        <div className="profile-editor">
          {editing ? (
            <ProfileForm
              key={editing}
              profile={current}
              onSaved={(p) => {
                setEditing(p.id);
                setMessage(`Saved ${p.name}`);
              }}
              onCancel={() => setEditing(null)}
            />
          ) : (
            <p className="muted">Choose a destination to edit, or create a new one.</p>
          )}
        </div>
      </div>
    </Modal>
  );
}
