import { useState } from 'react';
import { useApp, useConvoy } from '../context';
import { DestinationPicker } from './DestinationPicker';
import { Modal } from './Modal';
import { FieldError, FormActions } from './FormParts';

/** Where results go, always in view: the output folder with Change and Open, and where new items go. */
export function OutputBar() {
  const { app, controller, connection } = useConvoy();
  const folder = useApp((s) => s.outputFolder);
  const addDestination = useApp((s) => s.addDestination);

  const change = async () => {
    if (connection.mode === 'electron') {
      const r = await controller.pickFolder();
      if (r?.path) await controller.setOutputFolder(r.path).catch((e: Error) => app.getState().notify('error', e.message));
      if (!r?.unsupported) return;
    }
    app.getState().openDialog({ kind: 'outputFolder' });
  };

  return (
    <div className="output-bar" role="group" aria-label="Where results go">
      <span className="output-label">Output folder</span>
      <code className="output-path" title={folder?.path ?? ''} data-testid="output-folder">
        <span>{folder ? folder.path : '…'}</span>
      </code>
      {folder?.isDefault && <span className="muted output-default">(default)</span>}
      <button type="button" onClick={() => void change()}>
        Change…
      </button>
      <button type="button" onClick={() => void controller.openOutputFolder()}>
        Open output folder
      </button>
      <span className="output-new">
        <DestinationPicker
          label="New items go to"
          value={addDestination}
          onChange={(d) => app.getState().setAddDestination(d)}
          allowDefault
          defaultText="Output folder"
        />
      </span>
    </div>
  );
}

/** Browser mode has no native folder dialog: a path, checked by main (exists, writable). */
export function OutputFolderDialog() {
  const { app, controller } = useConvoy();
  const folder = useApp((s) => s.outputFolder);
  const [path, setPath] = useState(folder?.isDefault ? '' : (folder?.path ?? ''));
  const [error, setError] = useState<string | null>(null);
  const close = () => app.getState().openDialog(null);
  const save = async (value: string | null) => {
    setError(null);
    try {
      await controller.setOutputFolder(value);
      app.getState().notify('success', value ? `Results now go to ${value}` : 'Results go to the default folder again');
      close();
    } catch (e) {
      setError((e as Error).message || 'This folder cannot be used');
    }
  };
  return (
    <Modal title="Output folder" onClose={close}>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!path.trim()) setError('Enter a folder path, or use the default');
          else void save(path.trim());
        }}
      >
        <div className={`field${error ? ' invalid' : ''}`}>
          <label htmlFor="output-folder-path">Folder for results</label>
          <input
            id="output-folder-path"
            type="text"
            value={path}
            placeholder={folder?.defaultPath ?? '/home/me/Converted'}
            aria-invalid={error ? true : undefined}
            aria-describedby="output-folder-hint"
            onChange={(e) => setPath(e.target.value)}
          />
          <small id="output-folder-hint" className="hint">
            A full path on the computer Convoy runs on. Default: {folder?.defaultPath ?? '~/Downloads/Convoy'}. Files and URLs without a folder of their own go
            here.
          </small>
          <FieldError>{error}</FieldError>
        </div>
        <FormActions primary="Use this folder" onCancel={close}>
          {!folder?.isDefault && (
            <button type="button" onClick={() => void save(null)}>
              Use the default
            </button>
          )}
        </FormActions>
      </form>
    </Modal>
  );
}
