import { useId, useMemo, useRef, useState } from 'react';
import type { ConversionOptions, OptionSpec } from '../../../preload/contract';
import { buildOptionFields, humanize, initialRawValues, rangeText, validateOptions, type RawValues } from '../lib/optionsForm';
import { FieldError, FormActions } from './FormParts';

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

  const [moreOpen, setMoreOpen] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const set = (name: string, value: string | boolean) => setRaw((r) => ({ ...r, [name]: value }));
  // Common options first; when none is marked common, the first few are.
  const anyCommon = fields.some((f) => f.common);
  const common = anyCommon ? fields.filter((f) => f.common) : fields.slice(0, 4);
  const rest = anyCommon ? fields.filter((f) => !f.common) : fields.slice(4);
  const focusField = (name: string) => {
    if (rest.some((f) => f.name === name)) setMoreOpen(true);
    setTimeout(() => document.getElementById(`${prefix}-${name}`)?.focus(), 0);
  };
  const showError = (name: string) => (submitted || touched[name]) && result.errors[name];

  function renderField(f: (typeof fields)[number]) {
    const id = `${prefix}-${f.name}`;
    const err = showError(f.name);
    const hint = [
      f.description,
      rangeText(f.min, f.max),
      f.defaultRaw !== '' && f.kind !== 'boolean' ? `default ${f.defaultRaw}` : null,
      f.kind === 'boolean' && f.spec.default !== undefined ? `API default: ${f.spec.default ? 'on' : 'off'}` : null,
      f.label !== humanize(f.name) ? `API name: ${f.name}` : null,
    ]
      .filter(Boolean)
      .join(' · ');
    const described = [hint ? `${id}-hint` : null, err ? `${id}-err` : null].filter(Boolean).join(' ') || undefined;
    return (
      <div key={f.name} className={`field${err ? ' invalid' : ''}`}>
        {f.kind === 'boolean' ? (
          <label className="check">
            <input id={id} type="checkbox" checked={raw[f.name] === true} aria-describedby={described} onChange={(e) => set(f.name, e.target.checked)} />
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
        {err && <FieldError id={`${id}-err`}>{result.errors[f.name]}</FieldError>}
      </div>
    );
  }

  if (!fields.length) {
    return (
      <div>
        <p>{target.toUpperCase()} has no options.</p>
        <FormActions primary={submitLabel} onPrimary={() => void onSubmit({})} onCancel={onCancel} />
      </div>
    );
  }

  return (
    <form
      className="options-form"
      noValidate
      ref={formRef}
      onSubmit={(e) => {
        e.preventDefault();
        setSubmitted(true);
        if (result.valid) void onSubmit(result.values);
        else focusField(fields.find((f) => result.errors[f.name])!.name);
      }}
    >
      {submitted && !result.valid && (
        <div className="error-summary">
          <strong>Fix {Object.keys(result.errors).length === 1 ? 'this field' : `these ${Object.keys(result.errors).length} fields`} to apply:</strong>
          <ul>
            {fields
              .filter((f) => result.errors[f.name])
              .map((f) => (
                <li key={f.name}>
                  <button type="button" className="link-button" onClick={() => focusField(f.name)}>
                    {f.label}
                  </button>
                </li>
              ))}
          </ul>
        </div>
      )}
      {common.map((f) => renderField(f))}
      {rest.length > 0 && (
        <details className="more-options" open={moreOpen} onToggle={(e) => setMoreOpen((e.currentTarget as HTMLDetailsElement).open)}>
          <summary>More options ({rest.length})</summary>
          {rest.map((f) => renderField(f))}
        </details>
      )}
      <FormActions primary={submitLabel} holdFocus onCancel={onCancel} sticky>
        <button type="button" onClick={() => setRaw(initialRawValues(fields, null))}>
          Reset to defaults
        </button>
      </FormActions>
    </form>
  );
}
