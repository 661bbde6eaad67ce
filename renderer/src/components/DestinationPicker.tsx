import { useEffect, useId, useState } from 'react';
import type { Destination } from '../../../preload/contract';
import { useApp, useConvoy } from '../context';
import { DESTINATION_TYPE_LABELS } from '../lib/destinationForms';

/** Where results go: the default folder, a chosen folder, or a saved profile. */
export function DestinationPicker({
  label,
  value,
  onChange,
  allowDefault = true,
  defaultText,
}: {
  label: string;
  value: Destination | null;
  onChange: (d: Destination | null) => void;
  allowDefault?: boolean;
  /** Shorter wording for the default choice where the path is shown beside it. */
  defaultText?: string;
}) {
  const { controller, app, connection } = useConvoy();
  const profiles = useApp((s) => s.profiles);
  const folder = useApp((s) => s.outputFolder);
  const id = useId();
  const mode =
    !value || (value.kind === 'folder' && !value.path)
      ? 'default'
      : value.kind === 'folder'
        ? 'folder'
        : value.kind === 'profile'
          ? `profile:${value.profileId}`
          : 'cloud';
  const [choosingFolder, setChoosingFolder] = useState(mode === 'folder');
  const [path, setPath] = useState(value?.kind === 'folder' ? (value.path ?? '') : '');
  useEffect(() => {
    if (value?.kind === 'folder' && value.path) setPath(value.path);
  }, [value]);

  const selectValue = choosingFolder ? 'folder' : mode;
  // Truthful: items without a folder of their own go to the output folder (never next to the source).
  const defaultLabel = defaultText ?? (folder ? `Output folder (${folder.path})` : 'Output folder');

  const onSelect = (v: string) => {
    if (v === 'manage') {
      app.getState().openDialog({ kind: 'destinations' });
      return;
    }
    if (v === 'default') {
      setChoosingFolder(false);
      onChange(allowDefault ? null : { kind: 'folder' });
    } else if (v === 'folder') {
      setChoosingFolder(true);
      if (path.trim()) onChange({ kind: 'folder', path: path.trim() });
    } else if (v.startsWith('profile:')) {
      setChoosingFolder(false);
      onChange({ kind: 'profile', profileId: v.slice('profile:'.length) });
    }
  };

  const browse = async () => {
    const r = await controller.pickFolder();
    if (r?.path) {
      setPath(r.path);
      onChange({ kind: 'folder', path: r.path });
    }
  };

  return (
    <div className="destination-picker">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={selectValue} onChange={(e) => onSelect(e.target.value)}>
        <option value="default">{defaultLabel}</option>
        <option value="folder">A folder of my choice…</option>
        {profiles.length > 0 && (
          <optgroup label="Saved destinations">
            {profiles.map((p) => (
              <option key={p.id} value={`profile:${p.id}`}>
                {p.name} ({DESTINATION_TYPE_LABELS[p.type]})
              </option>
            ))}
          </optgroup>
        )}
        <option value="manage">Manage destinations…</option>
      </select>
      {choosingFolder && (
        <span className="folder-choice">
          <input
            type="text"
            aria-label="Folder path"
            placeholder="/path/to/folder"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            onBlur={() => path.trim() && onChange({ kind: 'folder', path: path.trim() })}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                if (path.trim()) onChange({ kind: 'folder', path: path.trim() });
              }
            }}
          />
          {connection.mode === 'electron' && (
            <button type="button" onClick={() => void browse()}>
              Browse…
            </button>
          )}
        </span>
      )}
    </div>
  );
}
