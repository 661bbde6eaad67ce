import { useState } from 'react';
import type { Destination } from '../../../preload/contract';
import { useApp, useConvoy } from '../context';
import { DestinationPicker } from './DestinationPicker';
import { MergeDialog } from './MergeDialog';
import { WatchDialog } from './WatchDialog';
import { Modal } from './Modal';
import { OptionsForm } from './OptionsForm';
import { OutputFolderDialog } from './OutputBar';
import { ProfilesDialog } from './ProfilesDialog';
import { SettingsDialog } from './SettingsDialog';
import { FieldError, FormActions } from './FormParts';

function OptionsDialog({ itemIds, target }: { itemIds: string[]; target: string }) {
  const { controller, queue, app } = useConvoy();
  const targets = useApp((s) => s.targets);
  const close = () => app.getState().openDialog(null);
  const spec = targets?.find((t) => t.target === target);
  const first = queue.getState().model.byId.get(itemIds[0]);
  const current = first?.target === target ? first.options : controller.rememberedOptions(target);
  return (
    <Modal title={`${target.toUpperCase()} options${itemIds.length > 1 ? ` for ${itemIds.length} items` : ''}`} onClose={close}>
      {!spec ? (
        <p>The options of {target.toUpperCase()} are not known (the target list could not be loaded).</p>
      ) : (
        <OptionsForm
          target={target}
          schema={spec.options}
          current={current}
          onCancel={close}
          onSubmit={async (values) => {
            if (await controller.setTarget(itemIds, target, values)) close();
          }}
        />
      )}
    </Modal>
  );
}

function DestinationDialog({ itemIds }: { itemIds: string[] }) {
  const { controller, queue, app } = useConvoy();
  const close = () => app.getState().openDialog(null);
  const first = queue.getState().model.byId.get(itemIds[0]);
  const [dest, setDest] = useState<Destination | null>(first?.destination ?? null);
  return (
    <Modal title={`Destination${itemIds.length > 1 ? ` for ${itemIds.length} items` : ''}`} onClose={close}>
      <DestinationPicker label="Save results to" value={dest} onChange={setDest} />
      <FormActions
        primary="Apply"
        onPrimary={async () => {
          if (await controller.setDestination(itemIds, dest ?? { kind: 'folder' })) close();
        }}
        onCancel={close}
      />
    </Modal>
  );
}

/** A URL that was not found: fix the address; the item keeps its target and options. */
function EditUrlDialog({ itemId }: { itemId: string }) {
  const { controller, queue, app } = useConvoy();
  const item = queue.getState().model.byId.get(itemId);
  const [url, setUrl] = useState(item?.label ?? '');
  const [error, setError] = useState<string | null>(null);
  const close = () => app.getState().openDialog(null);
  return (
    <Modal title="Edit URL" onClose={close}>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          if (!/^https?:\/\/\S+$/i.test(url.trim())) return setError('Enter a full http:// or https:// address');
          if (url.trim() === item?.label) return setError('This is the address that was not found; change it first');
          if (await controller.editUrl(itemId, url.trim())) close();
          else setError('This address could not be added (see the message below the list)');
        }}
      >
        <div className={`field${error ? ' invalid' : ''}`}>
          <label htmlFor="edit-url">Address of the file</label>
          <input id="edit-url" type="url" value={url} aria-invalid={error ? true : undefined} onChange={(e) => setUrl(e.target.value)} />
          {item?.error && <small className="hint">Before: {item.error.message}</small>}
          <FieldError>{error}</FieldError>
        </div>
        <FormActions primary="Use this address" onCancel={close} />
      </form>
    </Modal>
  );
}

/** Whichever dialog is open. */
export function Dialogs() {
  const dialog = useApp((s) => s.dialog);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'options':
      return <OptionsDialog itemIds={dialog.itemIds} target={dialog.target} />;
    case 'destination':
      return <DestinationDialog itemIds={dialog.itemIds} />;
    case 'settings':
      return <SettingsDialog />;
    case 'destinations':
      return <ProfilesDialog editId={dialog.editId ?? null} />;
    case 'editUrl':
      return <EditUrlDialog itemId={dialog.itemId} />;
    case 'outputFolder':
      return <OutputFolderDialog />;
    case 'merge':
      return <MergeDialog itemIds={dialog.itemIds} />;
    case 'watch':
      return <WatchDialog />;
  }
}
