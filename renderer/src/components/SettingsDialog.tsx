import { useState } from 'react';
import type { ConflictPolicy, ProviderKind } from '../../../preload/contract';
import { useApp, useConvoy } from '../context';
import { draftFromSettings, settingsPatch, validateApiKey, validateSettings, type SettingsDraft } from '../lib/settingsForm';
import { formatBytes } from '../lib/format';
import { Modal } from './Modal';
import { FieldError, FormActions } from './FormParts';

type Result = { ok: boolean; text: string } | null;

function errText(e: unknown): string {
  return (e as { message?: string })?.message || 'Something went wrong';
}

function Inline({ result }: { result: Result }) {
  if (!result) return null;
  return (
    <p className={result.ok ? 'result ok' : 'result error'} role={result.ok ? 'status' : 'alert'}>
      {result.ok ? '✓ ' : '✗ '}
      {result.text}
    </p>
  );
}

/** A write-only secret: saved to the keychain through main, never shown again, removable. */
function SecretField(props: {
  id: string;
  label: string;
  what: string;
  stored: boolean;
  placeholder: string;
  hint?: string;
  save: (value: string | null) => Promise<unknown>;
}) {
  const [value, setValue] = useState('');
  const [result, setResult] = useState<Result>(null);
  const run = async (next: string | null) => {
    try {
      await props.save(next);
      setValue('');
      setResult({ ok: true, text: next ? `${props.what} saved` : `${props.what} removed` });
    } catch (err) {
      setResult({ ok: false, text: errText(err) });
    }
  };
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <div className="inline">
        <input
          id={props.id}
          type="password"
          autoComplete="off"
          placeholder={props.stored ? 'Stored' : props.placeholder}
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="button" disabled={!value.trim()} onClick={() => run(value.trim())}>
          Save {props.what.split(' ').pop()!.toLowerCase()}
        </button>
        {props.stored && (
          <button type="button" onClick={() => run(null)}>
            Remove {props.what.split(' ').pop()!.toLowerCase()}
          </button>
        )}
      </div>
      {props.hint && <small className="hint">{props.hint}</small>}
      <Inline result={result} />
    </div>
  );
}

export function SettingsForm({ onDone }: { onDone?: () => void }) {
  const { controller, connection } = useConvoy();
  const settings = useApp((s) => s.settings);
  const callback = useApp((s) => s.callbackStatus);
  const unavailable = useApp((s) => s.unavailable);
  const activeProvider = useApp((s) => s.info?.provider ?? null);
  const dataDir = useApp((s) => s.info?.dataDir ?? null);
  const dataDirBytes = useApp((s) => s.info?.dataDirBytes);
  const [draft, setDraft] = useState<SettingsDraft | null>(() => (settings ? draftFromSettings(settings) : null));
  const [apiKey, setApiKey] = useState('');
  const [keyResult, setKeyResult] = useState<Result>(null);
  const [probeResult, setProbeResult] = useState<Result>(null);
  const [saveResult, setSaveResult] = useState<Result>(null);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const rememberChoices = useApp((s) => s.rememberChoices);
  const outputFolder = useApp((s) => s.outputFolder);
  // Plumbing (callbacks, port, tunnel, signing) waits under Advanced unless something there is set.
  const [advanced, setAdvanced] = useState(
    () => !!settings && (!!settings.callbackPublicUrl || settings.callbackPort !== 0 || settings.hasTunnelToken || settings.hasCallbackSigningSecret),
  );

  if (!settings || !draft) {
    return <p>Settings are not available yet{unavailable.has('settings.get') ? ' in this build' : ''}.</p>;
  }
  const errors = validateSettings(draft, settings);
  const show = (name: string) => submitted && errors[name];
  const set = <K extends keyof SettingsDraft>(k: K, v: SettingsDraft[K]) => setDraft({ ...draft, [k]: v });

  const checkKey = async () => {
    const problem = validateApiKey(apiKey);
    if (problem) return setKeyResult({ ok: false, text: problem });
    setBusy('key');
    setKeyResult(null);
    try {
      const s = await controller.setApiKey(apiKey.trim());
      setApiKey('');
      setKeyResult({ ok: true, text: `Key accepted and saved (${s.apiKeyMasked ?? 'stored'})` });
    } catch (e) {
      setKeyResult({ ok: false, text: errText(e) });
    } finally {
      setBusy(null);
    }
  };

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (Object.keys(errors).length) return;
    const patch = settingsPatch(draft, settings);
    if (!Object.keys(patch).length) return onDone?.();
    setBusy('save');
    try {
      await controller.updateSettings(patch);
      setSaveResult({ ok: true, text: 'Saved' });
      onDone?.();
    } catch (err) {
      setSaveResult({ ok: false, text: errText(err) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <form className="settings-form" onSubmit={save} noValidate>
      <fieldset>
        <legend>Provider</legend>
        {(['local', 'api2convert'] as ProviderKind[]).map((p) => (
          <label key={p} className="check">
            <input type="radio" name="provider" value={p} checked={draft.provider === p} onChange={() => set('provider', p)} />
            {p === 'local' ? 'Local engine (on this computer)' : 'api2convert (cloud, needs an API key)'}
          </label>
        ))}
        {show('provider') && <FieldError>{errors.provider}</FieldError>}
        {activeProvider && draft.provider !== activeProvider && (
          // Jobs in flight belong to the API that created them, so the switch waits for a restart.
          <small className="hint" role="status">
            Convoy uses {activeProvider === 'local' ? 'the local engine' : 'api2convert'} until it restarts; the new provider applies from the next start.
          </small>
        )}
        <div className="field">
          <label htmlFor="api-key">API key</label>
          <div className="inline">
            <input
              id="api-key"
              type="password"
              autoComplete="off"
              placeholder={settings.apiKeyMasked ? `Stored: ${settings.apiKeyMasked}` : 'Paste your api2convert key'}
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
            <button type="button" onClick={() => void checkKey()} disabled={busy === 'key'}>
              {busy === 'key' ? 'Checking…' : 'Check and save key'}
            </button>
            {settings.apiKeyMasked && (
              <button
                type="button"
                onClick={async () => {
                  try {
                    await controller.clearApiKey();
                    setKeyResult({ ok: true, text: 'Key removed' });
                  } catch (err) {
                    setKeyResult({ ok: false, text: errText(err) });
                  }
                }}
              >
                Remove key
              </button>
            )}
          </div>
          <small className="hint">The key is checked with api2convert before it is stored in the system keychain.</small>
          <Inline result={keyResult} />
        </div>
      </fieldset>

      <fieldset>
        <legend>Queue</legend>
        <div className={`field${show('concurrency') ? ' invalid' : ''}`}>
          <label htmlFor="concurrency">Files at a time</label>
          <input
            id="concurrency"
            type="number"
            min={1}
            max={64}
            value={draft.concurrency}
            aria-invalid={show('concurrency') ? true : undefined}
            onChange={(e) => set('concurrency', e.target.value)}
          />
          {show('concurrency') && <FieldError>{errors.concurrency}</FieldError>}
        </div>
        <div className={`field${show('outputDir') ? ' invalid' : ''}`}>
          <label htmlFor="output-dir">Default output folder</label>
          <div className="inline">
            <input
              id="output-dir"
              type="text"
              placeholder={`Empty: ${outputFolder?.defaultPath ?? 'the default folder'}`}
              value={draft.outputDir}
              onChange={(e) => set('outputDir', e.target.value)}
            />
            {connection.mode === 'electron' && (
              <button
                type="button"
                onClick={async () => {
                  const r = await controller.pickFolder();
                  if (r?.path) set('outputDir', r.path);
                }}
              >
                Browse…
              </button>
            )}
          </div>
          <small className="hint">
            Every result without a folder of its own goes here. Empty: {outputFolder?.defaultPath ?? 'the default folder (Downloads/Convoy)'}.
          </small>
        </div>
        <div className="field">
          <label htmlFor="conflict">When a file with that name exists</label>
          <select id="conflict" value={draft.conflictPolicy} onChange={(e) => set('conflictPolicy', e.target.value as ConflictPolicy)}>
            <option value="rename">Keep both (add a number)</option>
            <option value="overwrite">Overwrite</option>
            <option value="skip">Skip the file</option>
          </select>
        </div>
        <label className="check">
          <input
            type="checkbox"
            checked={draft.notifyOnBatchEnd}
            onChange={(e) => {
              set('notifyOnBatchEnd', e.target.checked);
              if (e.target.checked && typeof Notification !== 'undefined' && Notification.permission === 'default') {
                void Notification.requestPermission().catch(() => undefined);
              }
            }}
          />
          Notify me when conversions finish
        </label>
        <label className="check">
          <input type="checkbox" checked={rememberChoices} onChange={(e) => controller.setRememberChoices(e.target.checked)} />
          Remember my last target and options for each file type
        </label>
        {dataDir && (
          <p className="hint" data-testid="data-folder">
            Data folder: {dataDir}
            {dataDirBytes !== undefined ? ` (${formatBytes(dataDirBytes)})` : ''}
          </p>
        )}
      </fieldset>
      <button type="button" className="disclosure" aria-expanded={advanced} aria-controls="settings-advanced" onClick={() => setAdvanced(!advanced)}>
        {advanced ? '▾' : '▸'} Advanced
      </button>
      {advanced && (
        <fieldset id="settings-advanced">
          <legend>Job updates (callbacks)</legend>
          <p className="hint">
            Now: {callback?.mode === 'callback' ? 'instant status updates (the API calls back)' : 'status updates every few seconds (Convoy asks the API)'}.
            Instant updates need an address on the internet that reaches this computer.
          </p>
          <div className={`field${show('callbackPublicUrl') ? ' invalid' : ''}`}>
            <label htmlFor="callback-url">Callback public URL</label>
            <input
              id="callback-url"
              type="url"
              placeholder="https://my-tunnel.example.com"
              value={draft.callbackPublicUrl}
              aria-invalid={show('callbackPublicUrl') ? true : undefined}
              onChange={(e) => set('callbackPublicUrl', e.target.value)}
            />
            <small className="hint">Where the API can reach this computer. Without one (or a tunnel), Convoy polls.</small>
            {show('callbackPublicUrl') && <FieldError>{errors.callbackPublicUrl}</FieldError>}
          </div>
          <div className={`field${show('callbackPort') ? ' invalid' : ''}`}>
            <label htmlFor="callback-port">Callback port on this computer</label>
            <input
              id="callback-port"
              type="number"
              min={0}
              max={65535}
              value={draft.callbackPort}
              aria-invalid={show('callbackPort') ? true : undefined}
              onChange={(e) => set('callbackPort', e.target.value)}
            />
            <small className="hint">0 picks a free port; set one when a tunnel or router forwards to a fixed port.</small>
            {show('callbackPort') && <FieldError>{errors.callbackPort}</FieldError>}
          </div>
          <SecretField
            id="tunnel-token"
            label="Tunnel token (ngrok)"
            what="Tunnel token"
            stored={settings.hasTunnelToken}
            placeholder="Paste an ngrok authtoken"
            save={(v) => controller.setTunnelToken(v)}
          />
          <SecretField
            id="signing-secret"
            label="Callback signing secret"
            what="Signing secret"
            stored={settings.hasCallbackSigningSecret}
            placeholder="The secret your callbacks are signed with"
            hint="When set, only callbacks with a matching X-Oc-Signature are accepted."
            save={(v) => controller.setSigningSecret(v)}
          />
          <label className="check">
            <input type="checkbox" checked={draft.liveStatus} onChange={(e) => set('liveStatus', e.target.checked)} />
            Ask for every status change (not just the end)
          </label>
          <div className="inline">
            <button
              type="button"
              onClick={async () => {
                try {
                  const s = await controller.probeCallbacks();
                  setProbeResult({ ok: s.mode === 'callback', text: `${s.mode === 'callback' ? 'Callbacks work' : 'Polling'}: ${s.reason}` });
                } catch (err) {
                  setProbeResult({ ok: false, text: errText(err) });
                }
              }}
            >
              Test callbacks
            </button>
            {callback && (
              <span className="muted">
                Now: {callback.mode === 'callback' ? 'callbacks' : 'polling'} — {callback.reason}
              </span>
            )}
          </div>
          <Inline result={probeResult} />
        </fieldset>
      )}
      {advanced && activeProvider === 'local' && (
        <fieldset>
          <legend>Converters (local engine)</legend>
          <p className="hint">
            Convoy finds ffmpeg (audio, video) and LibreOffice (documents) by itself when they are installed in the usual places. Point it at them here
            otherwise.
          </p>
          {(['ffmpegPath', 'sofficePath'] as const).map((key) => (
            <div key={key} className={`field${show(key) ? ' invalid' : ''}`}>
              <label htmlFor={`tool-${key}`}>{key === 'ffmpegPath' ? 'ffmpeg' : 'LibreOffice (soffice)'}</label>
              <input
                id={`tool-${key}`}
                type="text"
                placeholder="Found automatically"
                value={draft[key]}
                aria-invalid={show(key) ? true : undefined}
                onChange={(e) => set(key, e.target.value)}
              />
              <small className="hint">The program, or the folder it is in.</small>
              {show(key) && <FieldError>{errors[key]}</FieldError>}
            </div>
          ))}
        </fieldset>
      )}
      <Inline result={saveResult} />
      <FormActions primary="Save settings" holdFocus primaryDisabled={busy === 'save'} onCancel={onDone} sticky />
    </form>
  );
}

export function SettingsDialog() {
  const { app } = useConvoy();
  const close = () => app.getState().openDialog(null);
  return (
    <Modal title="Settings" onClose={close} wide>
      <SettingsForm onDone={close} />
    </Modal>
  );
}
