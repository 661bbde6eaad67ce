import { useEffect, useId, useState } from 'react';
import type { CloudEntry } from '../../../preload/contract';
import { useApp, useConvoy } from '../context';
import { formatBytes } from '../lib/format';
import { Icon } from './Icon';
import { Modal } from './Modal';
import { FormActions } from './FormParts';

/** An icon that sits in a line of text (the shared .icon is a block). */
export function InlineIcon({ name }: { name: 'cloud' | 'folder' }) {
  return (
    <span style={{ display: 'inline-block', verticalAlign: '-3px', marginRight: 4 }}>
      <Icon name={name} />
    </span>
  );
}

/**
 * "Add from cloud…": browse a saved profile's bucket, container or FTP folder (main lists it with
 * the provider's official client) and add the chosen objects, or a whole folder, as rows. The
 * rows then take a target, options and a destination like files do.
 */
export function CloudDialog({ onClose }: { onClose: () => void }) {
  const { controller, app } = useConvoy();
  const profiles = useApp((s) => s.profiles);
  const id = useId();
  const [profileId, setProfileId] = useState<string>(profiles[0]?.id ?? '');
  const [prefix, setPrefix] = useState('');
  const [entries, setEntries] = useState<CloudEntry[] | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const profile = profiles.find((p) => p.id === profileId);
  const root = profile
    ? String(profile.type === 'azure' ? profile.fields.container : profile.type === 'ftp' ? profile.fields.host : profile.fields.bucket)
    : '';

  // Profiles may arrive after the dialog opened.
  useEffect(() => {
    if (!profileId && profiles[0]) setProfileId(profiles[0].id);
  }, [profileId, profiles]);

  useEffect(() => {
    if (!profileId) return;
    let current = true;
    setEntries(null);
    setError(null);
    setChosen(new Set());
    controller.browseCloud(profileId, prefix).then(
      (r) => {
        if (!current) return;
        setEntries(r.entries);
        setTruncated(r.truncated);
      },
      (err: unknown) => current && setError((err as Error)?.message ?? String(err)),
    );
    return () => {
      current = false;
    };
  }, [controller, profileId, prefix]);

  const add = async (keys: string[]) => {
    if (!keys.length) return;
    const r = await controller.addItems(keys.map((file) => ({ source: { kind: 'cloud' as const, profileId, file } })));
    if (r) {
      app.getState().notify('success', `Added ${r.itemIds.length} item${r.itemIds.length === 1 ? '' : 's'} from ${root || 'the cloud'}`);
      onClose();
    }
  };

  const addFolder = async () => {
    setBusy(true);
    setError(null);
    try {
      const all = await controller.browseCloud(profileId, prefix, true);
      const keys = all.entries.filter((e) => !e.folder).map((e) => e.key);
      if (all.truncated) setError(`This folder holds more than ${keys.length.toLocaleString()} files; open a sub-folder and add that`);
      else if (!keys.length) setError('This folder holds no files');
      else await add(keys);
    } catch (err) {
      setError((err as Error)?.message ?? String(err));
    } finally {
      setBusy(false);
    }
  };

  const toggle = (key: string) =>
    setChosen((s) => {
      const next = new Set(s);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  if (!profiles.length) {
    return (
      <Modal title="Add from cloud" onClose={onClose}>
        <p>No destination profile is saved yet. A profile holds the account (S3, Azure, Google Cloud Storage or FTP) to read from.</p>
        <FormActions
          primary="New profile…"
          onPrimary={() => {
            onClose();
            app.getState().openDialog({ kind: 'destinations', editId: null });
          }}
          onCancel={onClose}
        />
      </Modal>
    );
  }

  const parent = prefix.replace(/[^/]*\/$/, '');
  const newProfile = () => {
    onClose();
    app.getState().openDialog({ kind: 'destinations', editId: null });
  };
  return (
    <Modal title="Add from cloud" onClose={onClose} wide>
      <div className="field">
        <label htmlFor={`${id}-profile`}>Profile</label>
        <select id={`${id}-profile`} value={profileId} onChange={(e) => (setProfileId(e.target.value), setPrefix(''))}>
          {profiles.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <button type="button" className="link" onClick={newProfile}>
          New profile…
        </button>
      </div>
      <div className="cloud-path" aria-live="polite" style={{ display: 'flex', gap: 8, alignItems: 'center', margin: '8px 0' }}>
        <button type="button" onClick={() => setPrefix(parent)} disabled={!prefix}>
          Up
        </button>
        <span data-testid="cloud-location">
          <InlineIcon name="cloud" />
          {root}/{prefix}
        </span>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!entries && !error && <p role="status">Listing…</p>}
      {entries && (
        <ul className="cloud-list" aria-label="Cloud files" style={{ listStyle: 'none', padding: 0, maxHeight: '50vh', overflow: 'auto' }}>
          {entries.length === 0 && <li>This folder is empty.</li>}
          {entries.map((e) =>
            e.folder ? (
              <li key={e.key}>
                <button type="button" className="link" aria-label={`Open folder ${e.name}`} onClick={() => setPrefix(e.key)}>
                  <InlineIcon name="folder" />
                  {e.name}/
                </button>
              </li>
            ) : (
              <li key={e.key}>
                <label>
                  <input type="checkbox" aria-label={`Select ${e.name}`} checked={chosen.has(e.key)} onChange={() => toggle(e.key)} /> {e.name}
                  {e.size !== null && <span className="muted"> · {formatBytes(e.size)}</span>}
                </label>
              </li>
            ),
          )}
          {truncated && <li className="muted">More files exist than are shown; open a sub-folder or add the whole folder.</li>}
        </ul>
      )}
      <FormActions
        primary={`Add selected (${chosen.size})`}
        primaryDisabled={chosen.size === 0 || busy}
        onPrimary={() => void add([...chosen])}
        onCancel={onClose}
        sticky
      >
        <button type="button" disabled={!entries || busy} onClick={() => void addFolder()}>
          Add whole folder
        </button>
      </FormActions>
    </Modal>
  );
}
