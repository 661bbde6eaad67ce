/**
 * Validates a conversion's options against its target's OptionSpecs and fills in defaults.
 * Lenient only where JSON clients commonly differ: numeric strings for numbers ("80") and
 * "true"/"false" for booleans; null means "not given".
 */
import { ConversionError, type OptionSpec } from './types';

export type OptionValues = Record<string, string | number | boolean>;

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function coerce(target: string, name: string, spec: OptionSpec, raw: unknown): string | number | boolean {
  const where = `Option "${name}" of target ${target}`;
  let value: string | number | boolean;
  switch (spec.type) {
    case 'boolean':
      if (typeof raw === 'boolean') value = raw;
      else if (raw === 'true' || raw === 'false') value = raw === 'true';
      else throw new ConversionError(`${where} must be true or false, got ${describeValue(raw)}`);
      break;
    case 'integer':
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw new ConversionError(`${where} must be ${spec.type === 'integer' ? 'an integer' : 'a number'}, got ${describeValue(raw)}`);
      if (spec.type === 'integer' && !Number.isInteger(n)) throw new ConversionError(`${where} must be an integer, got ${describeValue(raw)}`);
      if (spec.minimum !== undefined && n < spec.minimum) {
        throw new ConversionError(`${where} must be ${rangeText(spec)}, got ${n}`);
      }
      if (spec.maximum !== undefined && n > spec.maximum) {
        throw new ConversionError(`${where} must be ${rangeText(spec)}, got ${n}`);
      }
      value = n;
      break;
    }
    case 'string':
      if (typeof raw !== 'string') throw new ConversionError(`${where} must be a string, got ${describeValue(raw)}`);
      if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`).test(raw)) {
        throw new ConversionError(`${where} has an invalid format: ${describeValue(raw)} (${spec.description})`);
      }
      value = raw;
      break;
  }
  if (spec.enum && !spec.enum.includes(value as string | number)) {
    throw new ConversionError(`${where} must be one of ${spec.enum.join(', ')}; got ${describeValue(raw)}`);
  }
  return value;
}

function rangeText(spec: OptionSpec): string {
  if (spec.minimum !== undefined && spec.maximum !== undefined) return `between ${spec.minimum} and ${spec.maximum}`;
  if (spec.minimum !== undefined) return `at least ${spec.minimum}`;
  return `at most ${spec.maximum}`;
}

export function validateOptions(target: string, specs: Record<string, OptionSpec>, options: unknown): OptionValues {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new ConversionError(`The options of target ${target} must be an object, got ${describeValue(options)}`);
  }
  const given = options as Record<string, unknown>;
  const out: OptionValues = {};
  for (const name of Object.keys(given)) {
    if (given[name] !== undefined && !Object.hasOwn(specs, name)) {
      const known = Object.keys(specs);
      throw new ConversionError(
        `Unknown option "${name}" for target ${target}` + (known.length ? ` (known options: ${known.join(', ')})` : ' (it has no options)'),
      );
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const raw = given[name];
    if (raw === undefined || raw === null) {
      if (spec.default !== undefined) out[name] = spec.default;
      continue;
    }
    out[name] = coerce(target, name, spec, raw);
  }
  return out;
}
