/**
 * A target's options schema (from `GET /v2/conversions`) turned into a form model, and the form's
 * raw input values validated and converted back into conversion options.
 */
import type { ConversionOptions, OptionSpec } from '../../../preload/contract';

export type FieldKind = 'select' | 'integer' | 'number' | 'boolean' | 'text';

export interface OptionField {
  name: string;
  label: string;
  kind: FieldKind;
  description?: string;
  choices?: Array<{ value: string; label: string }>;
  min?: number;
  max?: number;
  step?: number;
  /** Default as the input shows it ('' when the API gives none). */
  defaultRaw: string | boolean;
  spec: OptionSpec;
}

/** What the inputs hold: strings for text/number/select, booleans for checkboxes. */
export type RawValues = Record<string, string | boolean>;

export function humanize(name: string): string {
  const words = name
    .replace(/([a-z])([A-Z])/g, (_m, a: string, b: string) => `${a} ${b.toLowerCase()}`)
    .replace(/[_-]+/g, ' ')
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function buildOptionFields(options: Record<string, OptionSpec> | null | undefined): OptionField[] {
  return Object.entries(options ?? {}).map(([name, spec]) => {
    const base = { name, label: humanize(name), description: spec.description, spec };
    if (spec.type === 'boolean') return { ...base, kind: 'boolean', defaultRaw: spec.default === true };
    const defaultRaw = spec.default === undefined ? '' : String(spec.default);
    if (spec.enum && spec.enum.length) {
      return {
        ...base,
        kind: 'select',
        choices: spec.enum.map((v) => ({ value: String(v), label: String(v) })),
        defaultRaw,
      };
    }
    if (spec.type === 'integer' || spec.type === 'number') {
      return {
        ...base,
        kind: spec.type,
        min: spec.minimum,
        max: spec.maximum,
        step: spec.type === 'integer' ? 1 : undefined,
        defaultRaw,
      };
    }
    return { ...base, kind: 'text', defaultRaw };
  });
}

/** The inputs' starting values: the current options where set, else the defaults. */
export function initialRawValues(fields: OptionField[], current?: ConversionOptions | null): RawValues {
  const raw: RawValues = {};
  for (const f of fields) {
    const v = current?.[f.name];
    if (f.kind === 'boolean') raw[f.name] = v === undefined ? (f.defaultRaw as boolean) : v === true || v === 'true';
    else raw[f.name] = v === undefined ? (f.defaultRaw as string) : String(v);
  }
  return raw;
}

export interface OptionsValidation {
  /** Options to send: only fields that differ from the API's default. */
  values: ConversionOptions;
  /** Field name → message, empty when valid. */
  errors: Record<string, string>;
  valid: boolean;
}

function rangeError(n: number, f: OptionField): string | null {
  if (f.min !== undefined && n < f.min) return f.max !== undefined ? `Between ${f.min} and ${f.max}` : `At least ${f.min}`;
  if (f.max !== undefined && n > f.max) return f.min !== undefined ? `Between ${f.min} and ${f.max}` : `At most ${f.max}`;
  return null;
}

export function validateOptions(fields: OptionField[], raw: RawValues): OptionsValidation {
  const values: ConversionOptions = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const input = raw[f.name];
    if (f.kind === 'boolean') {
      const b = input === true;
      if (b !== (f.spec.default === true) || (f.spec.default === undefined && b)) values[f.name] = b;
      continue;
    }
    const text = typeof input === 'string' ? input.trim() : '';
    if (text === '' || text === f.defaultRaw) continue; // empty or default: let the API apply its default
    if (f.kind === 'select') {
      const match = f.spec.enum?.find((v) => String(v) === text);
      if (match === undefined) errors[f.name] = `Choose one of: ${f.choices!.map((c) => c.label).join(', ')}`;
      else values[f.name] = match;
      continue;
    }
    if (f.kind === 'integer' || f.kind === 'number') {
      const ok = f.kind === 'integer' ? /^[-+]?\d+$/.test(text) : /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text);
      const n = Number(text);
      if (!ok || !Number.isFinite(n)) {
        errors[f.name] = f.kind === 'integer' ? 'Enter a whole number' : 'Enter a number';
        continue;
      }
      const range = rangeError(n, f);
      if (range) errors[f.name] = range;
      else values[f.name] = n;
      continue;
    }
    if (text.length > 1000) errors[f.name] = 'At most 1000 characters';
    else values[f.name] = text;
  }
  return { values, errors, valid: Object.keys(errors).length === 0 };
}

/** A short summary of set options for a row ("quality 80, strip"), '' when none. */
export function summarizeOptions(options: ConversionOptions | null | undefined): string {
  return Object.entries(options ?? {})
    .map(([k, v]) => (v === true ? humanize(k).toLowerCase() : v === false ? `no ${humanize(k).toLowerCase()}` : `${humanize(k).toLowerCase()} ${v}`))
    .join(', ');
}
