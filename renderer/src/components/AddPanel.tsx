import { useEffect, useRef, useState } from 'react';
import { useApp, useConvoy, useQueueState } from '../context';
import { formatBytes } from '../lib/format';
import { CloudDialog } from './CloudDialog';

/** Whether a drag carries something we accept (files or text/URLs). */
function acceptable(dt: DataTransfer | null): boolean {
  if (!dt) return false;
  const types = Array.from(dt.types ?? []);
  return types.includes('Files') || types.includes('text/uri-list') || types.includes('text/plain');
}

/**
 * Adding work: the drop zone (files, folders, URL lists), paste anywhere, the file pickers and the
 * URL box. What could not be read as a URL is listed with the reason.
 */
export function AddPanel() {
  const { controller, app } = useConvoy();
  const [over, setOver] = useState(false);
  const [urls, setUrls] = useState('');
  const [busy, setBusy] = useState(false);
  const [cloudOpen, setCloudOpen] = useState(false);
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const depth = useRef(0);
  const staging = useApp((s) => s.staging);
  const rejected = useApp((s) => s.rejected);
  const hasItems = useQueueState((s) => s.model.counts.total > 0);

  const run = async (work: Promise<unknown>) => {
    setBusy(true);
    try {
      await work;
    } finally {
      setBusy(false);
    }
  };

  // Paste anywhere outside a text field adds what the clipboard holds.
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target?.closest('input, textarea, [contenteditable=true], [role=dialog]')) return;
      if (!e.clipboardData) return;
      e.preventDefault();
      void run(controller.addDataTransfer(e.clipboardData));
    };
    // Dropping anywhere on the window adds (the zone is slim once work exists); never navigates away.
    const overWindow = (e: DragEvent) => {
      if (!acceptable(e.dataTransfer)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      setOver(true);
    };
    const leaveWindow = (e: DragEvent) => {
      if (!e.relatedTarget) setOver(false);
    };
    const dropOnWindow = (e: DragEvent) => {
      if (!acceptable(e.dataTransfer)) return;
      e.preventDefault();
      setOver(false);
      const target = e.target as HTMLElement | null;
      if (target?.closest('input, textarea, [role=dialog]') || !e.dataTransfer) return;
      void run(controller.addDataTransfer(e.dataTransfer));
    };
    document.addEventListener('paste', onPaste);
    window.addEventListener('dragover', overWindow);
    window.addEventListener('dragleave', leaveWindow);
    window.addEventListener('drop', dropOnWindow);
    return () => {
      document.removeEventListener('paste', onPaste);
      window.removeEventListener('dragover', overWindow);
      window.removeEventListener('dragleave', leaveWindow);
      window.removeEventListener('drop', dropOnWindow);
    };
  }, [controller]);

  const onDrop = (e: React.DragEvent) => {
    e.preventDefault();
    e.stopPropagation();
    depth.current = 0;
    setOver(false);
    void run(controller.addDataTransfer(e.dataTransfer));
  };

  const addFiles = async (folders: boolean) => {
    if (await controller.pickNative(folders)) return;
    (folders ? folderInput : filesInput).current?.click();
  };

  const onUrlsSubmit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!urls.trim()) {
      app.getState().notify('info', 'Type or paste one or more URLs first');
      return;
    }
    setBusy(true);
    try {
      const added = await controller.addText(urls, 'text');
      if (added) setUrls('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className={`add-panel${hasItems ? ' slim' : ''}`} aria-label="Add work">
      <div
        role="region"
        aria-label="Drop files or URLs"
        tabIndex={0}
        className={`drop-zone${over ? ' over' : ''}`}
        onDragEnter={(e) => {
          if (!acceptable(e.dataTransfer)) return;
          e.preventDefault();
          depth.current++;
          setOver(true);
        }}
        onDragOver={(e) => {
          if (!acceptable(e.dataTransfer)) return;
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }}
        onDragLeave={() => {
          depth.current = Math.max(0, depth.current - 1);
          if (!depth.current) setOver(false);
        }}
        onDrop={onDrop}
        onKeyDown={(e) => {
          if ((e.key === 'Enter' || e.key === ' ') && e.target === e.currentTarget) {
            e.preventDefault();
            void addFiles(false);
          }
        }}
      >
        {hasItems ? (
          <span className="drop-text slim-text" title="Drop files, folders or URL lists anywhere on the window, or paste with Ctrl+V">
            Drop or paste anywhere
          </span>
        ) : (
          <div className="drop-text">
            <strong>Drop files, folders or URL lists here</strong>
            <span>or paste with Ctrl+V · folders keep their structure · .txt/.csv lists of URLs are read</span>
          </div>
        )}
        <div className="drop-buttons">
          <button type="button" onClick={() => void addFiles(false)} disabled={busy}>
            Add files
          </button>
          <button type="button" onClick={() => void addFiles(true)} disabled={busy}>
            Add folder
          </button>
          <button type="button" onClick={() => setCloudOpen(true)} disabled={busy}>
            Add from cloud…
          </button>
        </div>
        <input
          ref={filesInput}
          type="file"
          multiple
          hidden
          tabIndex={-1}
          aria-hidden="true"
          data-testid="file-input"
          onChange={(e) => {
            const files = e.target.files ? Array.from(e.target.files) : [];
            e.target.value = '';
            if (files.length) void run(controller.addFileList(files));
          }}
        />
        <input
          ref={folderInput}
          type="file"
          multiple
          hidden
          tabIndex={-1}
          aria-hidden="true"
          data-testid="folder-input"
          {...({ webkitdirectory: '' } as Record<string, string>)}
          onChange={(e) => {
            const files = e.target.files ? Array.from(e.target.files) : [];
            e.target.value = '';
            if (files.length) void run(controller.addFileList(files));
          }}
        />
      </div>

      {cloudOpen && <CloudDialog onClose={() => setCloudOpen(false)} />}

      <form className="url-form" onSubmit={onUrlsSubmit}>
        <label htmlFor="url-box">URLs</label>
        <div className="url-box-wrap">
          <textarea
            id="url-box"
            rows={hasItems ? 1 : 3}
            placeholder="Paste one or more URLs (any text with links works)"
            value={urls}
            onChange={(e) => setUrls(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void onUrlsSubmit(e);
            }}
          />
        </div>
        <button type="submit" disabled={busy}>
          Add URLs
        </button>
      </form>

      {over && hasItems && (
        <div className="drop-overlay" aria-hidden="true">
          Drop to add to the queue
        </div>
      )}
      {/* Room for more ways to add (e.g. "Add from cloud…"). */}
      <div className="add-more" />

      {staging && (
        <div className="staging" role="status">
          Sending {staging.files} file{staging.files === 1 ? '' : 's'} to Convoy: {staging.done} of {staging.files}
          {staging.bytesTotal > 0 && ` · ${formatBytes(staging.bytes)} of ${formatBytes(staging.bytesTotal)}`}
          {staging.failed > 0 && ` · ${staging.failed} failed`}
          <div
            className="bar up"
            role="progressbar"
            aria-label="Sending files"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={staging.bytesTotal ? Math.round((staging.bytes / staging.bytesTotal) * 100) : 0}
          >
            <div className="bar-fill" style={{ width: `${staging.bytesTotal ? (staging.bytes / staging.bytesTotal) * 100 : 0}%` }} />
          </div>
        </div>
      )}

      {rejected.length > 0 && (
        <details className="rejected" open={!hasItems}>
          <summary>
            {rejected.length} line{rejected.length === 1 ? '' : 's'} not added
          </summary>
          <div className="rejected-body">
            <ul aria-label="Lines not added">
              {rejected.slice(0, 200).map((r, i) => (
                <li key={i}>
                  <code>{r.input}</code>
                  <span className="reason">
                    {r.line ? `line ${r.line}: ` : ''}
                    {r.reason}
                  </span>
                </li>
              ))}
            </ul>
            <button type="button" className="link-button" onClick={() => app.getState().clearRejected()}>
              Clear this list
            </button>
          </div>
        </details>
      )}
    </section>
  );
}
