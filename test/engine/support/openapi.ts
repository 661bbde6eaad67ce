/**
 * Validates engine responses against the official api2convert OpenAPI document
 * (../shared/api2convert/openapi.json next to the repo). Tests call `specMissing()` to skip with a
 * message that names the missing path.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const apiRefDir = path.resolve(repoRoot, '..', 'shared', 'api2convert');
export const openapiPath = path.join(apiRefDir, 'openapi.json');
export const guidePath = path.join(apiRefDir, 'advanced-api-calls.txt');

export function specMissing(): string | undefined {
  return fs.existsSync(openapiPath) ? undefined : `openapi.json is missing: ${openapiPath} — response validation cannot run`;
}

let warned = false;
/**
 * Why responses cannot be checked here (said once on stderr), or undefined when they are: a test of
 * the engine's behaviour still runs without the spec; only the checks against it are left out.
 */
function uncheckable(): string | undefined {
  const missing = specMissing();
  if (missing && !warned) {
    warned = true;
    console.warn(`${missing}; the engine's behaviour is still tested, its responses are not checked against the spec`);
  }
  return missing;
}

interface Operation {
  regex: RegExp;
  template: string;
  method: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

let loaded: { ajv: Ajv; ops: Operation[]; cache: Map<string, ValidateFunction> } | undefined;

function load() {
  if (loaded) return loaded;
  const doc = JSON.parse(fs.readFileSync(openapiPath, 'utf8'));
  // The spec uses `example` and PHP-style `default: []` on objects; not strict JSON Schema.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'openapi.json', components: doc.components });
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries<Record<string, { responses: Operation['responses'] }>>(doc.paths)) {
    const regex = new RegExp(`^/v2${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const [method, op] of Object.entries(item)) {
      if (!op || typeof op !== 'object' || !('responses' in op)) continue;
      ops.push({ regex, template, method: method.toUpperCase(), responses: op.responses });
    }
  }
  loaded = { ajv, ops, cache: new Map() };
  return loaded;
}

/** Rewrites local `#/components/...` refs to the registered document. */
function absolutize(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(absolutize);
  if (schema && typeof schema === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi.json${v}` : absolutize(v);
    }
    return out;
  }
  return schema;
}

export function schemaValidator(ref: string): ValidateFunction {
  // Without the spec, every body passes (uncheckable() has said so).
  if (uncheckable()) return Object.assign(() => true, { errors: null }) as unknown as ValidateFunction;
  const { ajv, cache } = load();
  let fn = cache.get(ref);
  if (!fn) {
    fn = ajv.compile({ $ref: `openapi.json#/components/schemas/${ref}` });
    cache.set(ref, fn);
  }
  return fn;
}

export interface ValidationOutcome {
  /** The operation and status the response was checked against. */
  against: string;
  /** Set when nothing was checked, with the reason (the spec is missing). */
  skipped?: string;
}

/**
 * Throws when a JSON response does not match its documented schema. Undocumented error statuses
 * are checked against the spec's `Error` schema; an undocumented success status is an error.
 * `arrayOfBody`: the request sent an array (POST input with several), so each element is checked.
 */
export function validateResponse(method: string, pathname: string, status: number, body: unknown, opts: { arrayOfBody?: boolean } = {}): ValidationOutcome {
  const skipped = uncheckable();
  if (skipped) return { against: 'nothing', skipped };
  const { ajv, ops, cache } = load();
  const op = ops.find((o) => o.method === method && o.regex.test(pathname));
  if (!op) throw new Error(`No operation in openapi.json for ${method} ${pathname}`);
  const documented = op.responses[String(status)];
  if (!documented) {
    if (status >= 400) {
      check(schemaValidator('Error'), body, `${method} ${op.template} ${status} (Error)`);
      if (typeof (body as { message?: unknown })?.message !== 'string') {
        throw new Error(`${method} ${pathname} ${status}: error body has no message`);
      }
      return { against: `${op.template} ${status} → Error` };
    }
    throw new Error(`${method} ${pathname} answered ${status}, which openapi.json does not document for ${op.template}`);
  }
  const schema = documented.content?.['application/json']?.schema;
  if (!schema) {
    if (body !== undefined && body !== null && body !== '') {
      throw new Error(`${method} ${pathname} ${status}: openapi.json documents no body, got one`);
    }
    return { against: `${op.template} ${status} (no body)` };
  }
  const key = `${method} ${op.template} ${status}`;
  let fn = cache.get(key);
  if (!fn) {
    fn = ajv.compile(absolutize(schema) as object);
    cache.set(key, fn);
  }
  if (opts.arrayOfBody && Array.isArray(body) && (schema as { type?: string; $ref?: string }).type !== 'array') {
    body.forEach((item, i) => check(fn!, item, `${key} [${i}]`));
  } else {
    check(fn, body, key);
  }
  if (status >= 400 && typeof (body as { message?: unknown })?.message !== 'string') {
    throw new Error(`${key}: error body has no message`);
  }
  return { against: key };
}

function check(fn: ValidateFunction, body: unknown, what: string): void {
  if (!fn(body)) {
    throw new Error(`${what}: response does not match openapi.json: ${JSON.stringify(fn.errors?.slice(0, 5))}\nbody: ${JSON.stringify(body).slice(0, 600)}`);
  }
}
