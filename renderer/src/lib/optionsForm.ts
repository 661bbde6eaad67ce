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
  /** Shown first; the rest sit under "More options". */
  common: boolean;
}

/**
 * Plain words for option names whose API name or description is jargon. The API's own name is
 * still shown as a hint, so the docs can be matched.
 */
const PLAIN: Record<string, { label: string; hint?: string }> = {
  flip: { label: 'Turn upside down', hint: 'Mirrors top to bottom' },
  flop: { label: 'Mirror left to right' },
  compression_level: { label: 'Smaller file vs. faster saving', hint: '0 saves fastest, 9 makes the smallest file; the picture is the same either way' },
  progressive: { label: 'Load gradually on web pages', hint: 'The picture appears blurry first, then sharpens' },
  palette: { label: 'Reduce to a limited set of colours', hint: 'Smaller file; may lose some colour detail' },
  colors: { label: 'Number of colours' },
  allow_enlarge: { label: 'Allow making the picture bigger', hint: 'When off, a smaller source keeps its size' },
  strip_metadata: { label: 'Remove hidden details', hint: 'Camera data, location and colour profile' },
  dpi: { label: 'Print resolution (DPI)' },
  fit: { label: 'How to fit the width and height' },
  dither: { label: 'Smooth colour steps', hint: '0 none, 1 full' },
  lossless: { label: 'Keep every detail (larger file)', hint: 'Quality is then ignored' },
  grayscale: { label: 'Black and white' },
  rotate: { label: 'Rotate (degrees clockwise)' },
  background: { label: 'Background colour', hint: 'Hex, e.g. #ffffff' },
};

/** Options most people change; shown before "More options". */
const COMMON = new Set(['quality', 'width', 'height', 'lossless', 'audio_bitrate', 'video_bitrate', 'frame_rate', 'ocr', 'page_range', 'color', 'strip']);

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
    const plain = PLAIN[name];
    const base = { name, label: plain?.label ?? humanize(name), description: plain?.hint ?? spec.description, spec, common: COMMON.has(name) };
    if (spec.type === 'boolean') return { ...base, kind: 'boolean', defaultRaw: spec.default === true };
    const defaultRaw = spec.default === undefined ? '' : String(spec.default);
    if (spec.enum?.length) {
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

/** A number's allowed range in words: "0–9", "at least 0", "at most 9" (null: no bound). */
export function rangeText(min: number | undefined, max: number | undefined): string | null {
  if (min !== undefined && max !== undefined) return `${min}–${max}`;
  if (min !== undefined) return `at least ${min}`;
  return max !== undefined ? `at most ${max}` : null;
}

/** Why one option value does not fit a spec, or null when it does. */
export function optionProblem(name: string, value: unknown, spec: OptionSpec | undefined, target: string): string | null {
  const T = target.toUpperCase();
  if (!spec) return `${T} has no option “${humanize(name).toLowerCase()}”`;
  if (spec.enum?.length) return spec.enum.some((v) => String(v) === String(value)) ? null : `${humanize(name)} must be one of ${spec.enum.join(', ')}`;
  if (spec.type === 'boolean') return typeof value === 'boolean' || value === 'true' || value === 'false' ? null : `${humanize(name)} must be on or off`;
  if (spec.type === 'integer' || spec.type === 'number') {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n)))
      return `${humanize(name)} must be a ${spec.type === 'integer' ? 'whole ' : ''}number`;
    if ((spec.minimum !== undefined && n < spec.minimum) || (spec.maximum !== undefined && n > spec.maximum)) {
      return `${humanize(name)} must be ${rangeText(spec.minimum, spec.maximum)} for ${T}`;
    }
  }
  return null;
}

/**
 * Options carried over to a new target: only those the target defines with a valid value.
 * Answers what was dropped, so the row can say so.
 */
export function fitOptions(
  options: ConversionOptions | null | undefined,
  schema: Record<string, OptionSpec> | null | undefined,
  target: string,
): { kept: ConversionOptions; dropped: string[] } {
  const kept: ConversionOptions = {};
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(options ?? {})) {
    if (schema && !optionProblem(k, v, schema[k], target)) kept[k] = v;
    else dropped.push(k);
  }
  return { kept, dropped };
}
