import { useEffect, useState } from 'react';
import type { ConversionOptions, WatchView } from '../../../preload/contract';
import { summarizeOptions } from '../lib/optionsForm';
import { useApp, useConvoy } from '../context';
import { Modal } from './Modal';
import { OptionsForm } from './OptionsForm';
import { TargetSelect } from './TargetSelect';
import { FormActions } from './FormParts';

/** What a watched folder produced so far, in words. */
function producedText(w: WatchView): string {
  const c = w.counts;
  if (!c || c.total === 0) return 'Nothing converted yet';
  const parts = [`${c.done} converted`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.active + c.queued) parts.push(`${c.active + c.queued} in progress`);
  return parts.join(', ');
}

/**
 * Watched folders: files that appear in a folder are converted to its target and saved to its
 * destination, each once, also across restarts (the same durable watcher as `convoy watch`).
 */
export function WatchDialog() {
  const { controller, app } = useConvoy();
  const targets = useApp((s) => s.targets);
  const close = () => app.getState().openDialog(null);
  const [list, setList] = useState<WatchView[] | null>(null);
  const [dir, setDir] = useState('');
  const [target, setTarget] = useState<string | null>(null);
  const [outDir, setOutDir] = useState('');
  const [recursive, setRecursive] = useState(false);
  const [existing, setExisting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [options, setOptions] = useState<ConversionOptions>({});
  const [editingOptions, setEditingOptions] = useState(false);
  const spec = target ? targets?.find((t) => t.target === target) : undefined;

  const reload = async () => {
    const l = await controller.call('watch.list', undefined, { quiet: true });
    if (l) setList(l);
  };
  useEffect(() => {
    void reload();
    // What each folder produced changes while the dialog is open.
    const t = setInterval(() => void reload(), 1500);
    return () => clearInterval(t);
  }, []);

  const add = async () => {
    setError(null);
    if (!dir.trim()) return setError('Enter the folder to watch');
    if (!target) return setError('Choose what its files are converted to');
    try {
      await controller.call(
        'watch.add',
        { dir: dir.trim(), target, options, ...(outDir.trim() ? { outDir: outDir.trim() } : {}), recursive, existing },
        { rethrow: true, quiet: true },
      );
      setDir('');
      await reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <Modal title="Watched folders" onClose={close} wide>
      {list && list.length === 0 && <p className="muted">No folder is watched yet.</p>}
      {list && list.length > 0 && (
        <ul className="watch-list" aria-label="Watched folders">
          {list.map((w) => (
            <li key={w.id} aria-label={w.dir}>
              <label className="watch-toggle">
                <input
                  type="checkbox"
                  role="switch"
                  checked={w.enabled}
                  aria-checked={w.enabled}
                  aria-label={`Watch ${w.dir}`}
                  onChange={async (e) => {
                    const enabled = e.target.checked;
                    // Shown at once; the next reload says what main did.
                    setList((l) => l?.map((x) => (x.id === w.id ? { ...x, enabled } : x)) ?? null);
                    await controller.call('watch.setEnabled', { id: w.id, enabled });
                    await reload();
                  }}
                />
                {w.enabled ? 'On' : 'Off'}
              </label>
              <span className="watch-what">
                <strong>{w.dir}</strong>
                {w.recursive ? ' (with subfolders)' : ''} → {w.target.toUpperCase()} in {w.outDir}
              </span>
              <span className="watch-produced" data-testid="watch-produced">
                {producedText(w)}
              </span>
              <button
                type="button"
                className="link-button"
                aria-label={`Stop watching ${w.dir}`}
                onClick={async () => {
                  await controller.call('watch.remove', { id: w.id });
                  await reload();
                }}
              >
                Stop watching
              </button>
            </li>
          ))}
        </ul>
      )}
      {editingOptions && spec && (
        <OptionsForm
          target={spec.target}
          schema={spec.options}
          current={options}
          onCancel={() => setEditingOptions(false)}
          onSubmit={(values) => {
            setOptions(values);
            setEditingOptions(false);
          }}
        />
      )}
      <form
        hidden={editingOptions}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <h3>Watch a folder</h3>
        <div className="field">
          <label htmlFor="watch-dir">Folder to watch</label>
          <input id="watch-dir" type="text" value={dir} onChange={(e) => setDir(e.target.value)} placeholder="/home/me/Scans" />
        </div>
        <div className="field">
          <label htmlFor="watch-target">Convert to</label>
          <TargetSelect
            id="watch-target"
            label="Convert to"
            value={target}
            targets={targets}
            onChange={(t) => {
              setTarget(t);
              setOptions(controller.rememberedOptions(t) ?? {});
            }}
          />
          {spec && Object.keys(spec.options ?? {}).length > 0 && (
            <span>
              <span className="hint">{Object.keys(options).length ? summarizeOptions(options) : 'Default options'}</span>{' '}
              <button type="button" className="link-button" onClick={() => setEditingOptions(true)}>
                Options…
              </button>
            </span>
          )}
        </div>
        <div className="field">
          <label htmlFor="watch-out">Save results to</label>
          <input id="watch-out" type="text" value={outDir} onChange={(e) => setOutDir(e.target.value)} placeholder="The output folder" />
        </div>
        <label className="check">
          <input type="checkbox" checked={recursive} onChange={(e) => setRecursive(e.target.checked)} /> Include subfolders
        </label>
        <label className="check">
          <input type="checkbox" checked={existing} onChange={(e) => setExisting(e.target.checked)} /> Also convert the files already there
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <FormActions primary="Watch this folder" onCancel={close} cancelLabel="Close" sticky />
      </form>
    </Modal>
  );
}
