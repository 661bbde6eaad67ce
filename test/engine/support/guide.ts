/**
 * The example requests of the api2convert guide (advanced-api-calls.txt), parsed from the file
 * itself so the replay uses them as written: method, path, headers and JSON body.
 */
import fs from 'node:fs';
import { guidePath } from './openapi';

export interface GuideRequest {
  /** The guide section the example belongs to. */
  section: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export function guideMissing(): string | undefined {
  return fs.existsSync(guidePath) ? undefined : `the api2convert guide is missing: ${guidePath}`;
}

export function parseGuide(): GuideRequest[] {
  const lines = fs.readFileSync(guidePath, 'utf8').split('\n');
  const out: GuideRequest[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const request = /^>?(GET|POST|PATCH|PUT|DELETE) (\S+) HTTP\/1\.1\s*$/.exec(lines[i]);
    if (!request) {
      const prev = lines[i - 1] ?? '';
      if (lines[i].trim() && prev.trim() === '' && !/^\s|^Example Code/.test(lines[i]) && lines[i].length < 80) section = lines[i].trim();
      continue;
    }
    const headers: Record<string, string> = {};
    let j = i + 1;
    for (; j < lines.length && lines[j].trim() !== ''; j++) {
      const m = /^([^:]+):\s*(.*)$/.exec(lines[j]);
      if (!m) break;
      headers[m[1]] = m[2];
    }
    // The guide writes the body right after the headers (sometimes without a blank line).
    while (j < lines.length && lines[j].trim() === '') j++;
    const bodyLines: string[] = [];
    let body: unknown;
    let parsed = false;
    for (; j < lines.length && !parsed; j++) {
      bodyLines.push(lines[j]);
      if (!/^[}\]]/.test(lines[j])) continue;
      // "... and more fields below ..." stands for the rest of a keyfile: drop it and the comma before.
      const text = bodyLines
        .filter((l) => !/^\s*\.\.\..*\.\.\.\s*$/.test(l))
        .join('\n')
        .replace(/,(\s*[}\]])/g, '$1');
      try {
        body = JSON.parse(text);
        parsed = true;
      } catch {
        /* not the end of the body yet */
      }
    }
    if (!parsed) throw new Error(`guide example at line ${i + 1}: no JSON body found`);
    out.push({ section, method: request[1], path: request[2], headers, body });
    i = j;
  }
  return out;
}

/** Replaces strings in a parsed body (deeply) by a mapping function. */
export function mapStrings(value: unknown, fn: (s: string, key: string) => unknown, key = ''): unknown {
  if (typeof value === 'string') return fn(value, key);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn, k)]));
  }
  return value;
}
