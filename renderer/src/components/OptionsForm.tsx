import { useId, useMemo, useState } from 'react';
import type { ConversionOptions, OptionSpec } from '../../../preload/contract';
import { buildOptionFields, initialRawValues, validateOptions, type RawValues } from '../lib/optionsForm';
import { keepFocus } from './keepFocus';

/** A form generated from a target's option schema, validated before it is applied. */
export function OptionsForm({
  target,
  schema,
  current,
  onSubmit,
  onCancel,
  submitLabel = 'Apply',
}: {
  target: string;
  schema: Record<string, OptionSpec>;
  current?: ConversionOptions | null;
  onSubmit: (values: ConversionOptions) => void | Promise<void>;
  onCancel?: () => void;
  submitLabel?: string;
}) {
  const fields = useMemo(() => buildOptionFields(schema), [schema]);
  const [raw, setRaw] = useState<RawValues>(() => initialRawValues(fields, current));
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [submitted, setSubmitted] = useState(false);
  const result = useMemo(() => validateOptions(fields, raw), [fields, raw]);
  const prefix = useId();

  const set = (name: string, value: string | boolean) => setRaw((r) => ({ ...r, [name]: value }));
  const showError = (name: string) => (submitted || touched[name]) && result.errors[name];

  if (!fields.length) {
    return (
      <div>
        <p>{target.toUpperCase()} has no options.</p>
        <div className="form-actions">
          <button type="button" className="primary" onClick={() => void onSubmit({})}>
            {submitLabel}
          </button>
          {onCancel && (
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      </div>
    );
  }

  return (
    <form
      className="options-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setSubmitted(true);
        if (result.valid) void onSubmit(result.values);
      }}
    >
      {fields.map((f) => {
        const id = `${prefix}-${f.name}`;
        const err = showError(f.name);
        const hint = [f.description, f.min !== undefined || f.max !== undefined ? `${f.min ?? '…'}–${f.max ?? '…'}` : null, f.defaultRaw !== '' && f.kind !== 'boolean' ? `default ${f.defaultRaw}` : null]
          .filter(Boolean)
          .join(' · ');
        const described = [hint ? `${id}-hint` : null, err ? `${id}-err` : null].filter(Boolean).join(' ') || undefined;
        return (
          <div key={f.name} className={`field${err ? ' invalid' : ''}`}>
            {f.kind === 'boolean' ? (
              <label className="check">
                <input
                  id={id}
                  type="checkbox"
                  checked={raw[f.name] === true}
                  aria-describedby={described}
                  onChange={(e) => set(f.name, e.target.checked)}
                />
                {f.label}
              </label>
            ) : (
              <>
                <label htmlFor={id}>{f.label}</label>
                {f.kind === 'select' ? (
                  <select id={id} value={String(raw[f.name])} aria-describedby={described} onChange={(e) => set(f.name, e.target.value)}>
                    {f.defaultRaw === '' && <option value="">Default</option>}
                    {f.choices!.map((c) => (
                      <option key={c.value} value={c.value}>
                        {c.label}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    id={id}
                    type="text"
                    inputMode={f.kind === 'integer' ? 'numeric' : f.kind === 'number' ? 'decimal' : undefined}
                    value={String(raw[f.name])}
                    placeholder={f.defaultRaw === '' ? 'Default' : undefined}
                    aria-invalid={err ? true : undefined}
                    aria-describedby={described}
                    onChange={(e) => set(f.name, e.target.value)}
                    onBlur={() => setTouched((t) => ({ ...t, [f.name]: true }))}
                  />
                )}
              </>
            )}
            {hint && (
              <small id={`${id}-hint`} className="hint">
                {hint}
              </small>
            )}
            {err && (
              <small id={`${id}-err`} className="error" role="alert">
                {result.errors[f.name]}
              </small>
            )}
          </div>
        );
      })}
      <div className="form-actions">
        <button type="submit" className="primary" onMouseDown={keepFocus}>
          {submitLabel}
        </button>
        <button type="button" onClick={() => setRaw(initialRawValues(fields, null))}>
          Reset to defaults
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
