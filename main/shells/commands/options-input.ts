/**
 * Conversion options from the command line: `--option key=value` (numbers and booleans typed),
 * `--option key:=value` (the value kept as a literal string, e.g. a password "0123"), and
 * `--options-file <file.json>` (a JSON object; --option flags override its keys).
 */
import fs from 'node:fs';
import type { ConversionOptions } from '../../../preload/contract';
import { UsageError } from '../cli-types';

export type OptionValue = string | number | boolean;

/** `key=value` → typed value; `key:=value` → the string as written. */
export function parseOption(text: string): [string, OptionValue] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--option must be key=value or key:=value (got "${text}")`);
  const literal = text[eq - 1] === ':';
  const key = text.slice(0, literal ? eq - 1 : eq).trim();
  const raw = literal ? text.slice(eq + 1) : text.slice(eq + 1).trim();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(key)) throw new UsageError(`--option: invalid option name "${key}"`);
  if (literal) return [key, raw];
  if (raw === 'true' || raw === 'false') return [key, raw === 'true'];
  if (/^-?\d+(\.\d+)?$/.test(raw)) return [key, Number(raw)];
  return [key, raw];
}

/** The options file (if any), then each --option over it. */
export function collectOptions(flags: string[] | undefined, file: string | undefined): ConversionOptions {
  const options: ConversionOptions = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--options-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--options-file: ${file} is not valid JSON (${(err as Error).message})`);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`--options-file: ${file} must hold a JSON object of options`);
    for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(k)) throw new UsageError(`--options-file: invalid option name "${k}"`);
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new UsageError(`--options-file: option "${k}" must be a string, number or boolean`);
      }
      options[k] = v;
    }
  }
  for (const o of flags ?? []) {
    const [k, v] = parseOption(o);
    options[k] = v;
  }
  return options;
}
