/**
 * The destination profile forms, as the api2convert guide defines each provider's fields, with
 * their validation and the file path template. Pure (no Node, no DOM): main validates saves with
 * it, the renderer draws the forms and shows the same per-field messages before saving, and the
 * CLI derives its flags from it.
 */
import type { DestinationType } from './contract';

export type FieldKind = 'text' | 'number' | 'secret' | 'keyfile' | 'template';

export interface DestinationField {
  /** The api2convert field name (`parameters.<key>` or `credentials.<key>`). */
  key: string;
  label: string;
  kind: FieldKind;
  /** Stored in the keychain only, never sent back to the renderer. */
  secret: boolean;
  required: boolean;
  default?: string | number;
  placeholder?: string;
  help: string;
  /** Where the value goes in an api2convert descriptor. */
  place: 'parameters' | 'credentials';
  /** CLI flag: `--host`, or for secrets the flag that reads them (`--password-stdin`, `--keyfile`). */
  cliFlag: string;
}

export interface DestinationForm {
  type: DestinationType;
  label: string;
  fields: DestinationField[];
}

export const TEMPLATE_VARIABLES = ['name', 'ext', 'target', 'batch', 'date', 'folder'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateVars = Record<TemplateVariable, string>;

/**
 * Every batch gets a folder of its own: the API refuses to overwrite an existing file on the
 * target, so reusing one path across batches would fail the second time.
 */
export const DEFAULT_FILE_TEMPLATE = 'convoy/{date}/{batch}/{folder}/{name}.{ext}';

const fileField: DestinationField = {
  key: 'file',
  label: 'File path',
  kind: 'template',
  secret: false,
  required: true,
  default: DEFAULT_FILE_TEMPLATE,
  placeholder: DEFAULT_FILE_TEMPLATE,
  help: `Where each result is stored. Placeholders: ${TEMPLATE_VARIABLES.map((v) => `{${v}}`).join(', ')}. Keep {batch} or {date} in it: existing files are never overwritten.`,
  place: 'parameters',
  cliFlag: '--path',
};

export const destinationForms: Record<DestinationType, DestinationForm> = {
  ftp: {
    type: 'ftp',
    label: 'FTP server',
    fields: [
      {
        key: 'host',
        label: 'Host',
        kind: 'text',
        secret: false,
        required: true,
        placeholder: 'ftp.example.com',
        help: 'Host name or IP address of the FTP server, without ftp://',
        place: 'parameters',
        cliFlag: '--host',
      },
      { key: 'port', label: 'Port', kind: 'number', secret: false, required: false, default: 21, help: 'Usually 21', place: 'parameters', cliFlag: '--port' },
      fileField,
      {
        key: 'username',
        label: 'Username',
        kind: 'text',
        secret: false,
        required: true,
        help: 'The FTP account name',
        place: 'credentials',
        cliFlag: '--username',
      },
      {
        key: 'password',
        label: 'Password',
        kind: 'secret',
        secret: true,
        required: true,
        help: 'The FTP account password',
        place: 'credentials',
        cliFlag: '--password-stdin',
      },
    ],
  },
  azure: {
    type: 'azure',
    label: 'Microsoft Azure Blob Storage',
    fields: [
      {
        key: 'container',
        label: 'Container',
        kind: 'text',
        secret: false,
        required: true,
        help: 'Name of the blob container the results go into',
        place: 'parameters',
        cliFlag: '--container',
      },
      fileField,
      {
        key: 'accountname',
        label: 'Account name',
        kind: 'text',
        secret: false,
        required: true,
        help: 'The storage account name (the part before .blob.core.windows.net)',
        place: 'credentials',
        cliFlag: '--account-name',
      },
      {
        key: 'accountkey',
        label: 'Account key',
        kind: 'secret',
        secret: true,
        required: true,
        help: "One of the storage account's access keys (Access keys in the account dashboard)",
        place: 'credentials',
        cliFlag: '--account-key-stdin',
      },
    ],
  },
  googlecloud: {
    type: 'googlecloud',
    label: 'Google Cloud Storage',
    fields: [
      {
        key: 'projectid',
        label: 'Project ID',
        kind: 'text',
        secret: false,
        required: true,
        placeholder: 'my-project-123',
        help: 'ID of the Google Cloud project',
        place: 'parameters',
        cliFlag: '--project-id',
      },
      {
        key: 'bucket',
        label: 'Bucket',
        kind: 'text',
        secret: false,
        required: true,
        help: 'Name of the bucket the results go into',
        place: 'parameters',
        cliFlag: '--bucket',
      },
      fileField,
      {
        key: 'keyfile',
        label: 'Service account key file',
        kind: 'keyfile',
        secret: true,
        required: true,
        help: 'The JSON key of a service account that may create objects in the bucket (paste it or pick the file)',
        place: 'credentials',
        cliFlag: '--keyfile',
      },
    ],
  },
  amazons3: {
    type: 'amazons3',
    label: 'Amazon S3',
    fields: [
      {
        key: 'bucket',
        label: 'Bucket',
        kind: 'text',
        secret: false,
        required: true,
        help: 'Name of the bucket the results go into',
        place: 'parameters',
        cliFlag: '--bucket',
      },
      {
        key: 'region',
        label: 'Region',
        kind: 'text',
        secret: false,
        required: false,
        default: 'eu-central-1',
        help: "The bucket's region; a wrong region makes every upload fail",
        place: 'parameters',
        cliFlag: '--region',
      },
      fileField,
      {
        key: 'accesskeyid',
        label: 'Access key ID',
        kind: 'text',
        secret: false,
        required: true,
        placeholder: 'AKIA…',
        help: 'Access key ID of an IAM user allowed s3:PutObject (and s3:GetObject for inputs)',
        place: 'credentials',
        cliFlag: '--access-key-id',
      },
      {
        key: 'secretaccesskey',
        label: 'Secret access key',
        kind: 'secret',
        secret: true,
        required: true,
        help: 'The secret that belongs to the access key ID',
        place: 'credentials',
        cliFlag: '--secret-access-key-stdin',
      },
      {
        key: 'sessiontoken',
        label: 'Session token',
        kind: 'secret',
        secret: true,
        required: false,
        help: 'Only for temporary credentials (AWS STS)',
        place: 'credentials',
        cliFlag: '--session-token-stdin',
      },
    ],
  },
};

export function secretFieldsOf(type: DestinationType): DestinationField[] {
  return destinationForms[type].fields.filter((f) => f.secret);
}

// ---------------------------------------------------------------------------------------------
// File path templates
// ---------------------------------------------------------------------------------------------

/** Why a file path template cannot be used, or null. */
export function templateProblem(template: string): string | null {
  const t = template.trim();
  if (!t) return 'Enter a file path';
  if (t.length > 1024) return 'The file path is too long (at most 1024 characters)';
  if (/[\u0000-\u001f\u007f]/.test(t)) return 'The file path contains control characters';
  if (t.includes('\\')) return 'Use / to separate folders';
  const unknown = [...t.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((v) => !(TEMPLATE_VARIABLES as readonly string[]).includes(v));
  if (unknown.length) {
    return `Unknown placeholder {${unknown[0]}}; use ${TEMPLATE_VARIABLES.map((v) => `{${v}}`).join(', ')}`;
  }
  if (/[{}]/.test(t.replace(/\{[a-z]+\}/g, ''))) return 'A { or } in the file path is not part of a placeholder';
  if (!t.includes('{name}')) return 'The file path must contain {name}, or every file of a batch would get the same path';
  if (t.endsWith('/')) return 'The file path must end with a file name, e.g. {name}.{ext}';
  if (t.split('/').some((seg) => seg === '..' || seg === '.')) return 'The file path may not contain "." or ".." folders';
  return null;
}

/** One path segment value: no separators, no control characters. */
function cleanSegment(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[/\\]/g, '_')
    .trim();
}

/**
 * Fills a template. Empty segments (an empty {folder}) disappear, "." and ".." are dropped, and a
 * value never adds a folder level except {folder}, whose own "/" separate sub-folders.
 */
export function expandTemplate(template: string, vars: Partial<TemplateVars>): string {
  const leadingSlash = template.trim().startsWith('/');
  const filled = template.trim().replace(/\{([a-z]+)\}/g, (_m, key: string) => {
    const raw = String((vars as Record<string, string | undefined>)[key] ?? '');
    if (key === 'folder') {
      return raw
        .split(/[/\\]+/)
        .map(cleanSegment)
        .filter((s) => s && s !== '.' && s !== '..')
        .join('/');
    }
    return cleanSegment(raw);
  });
  const segments = filled
    .split('/')
    .map((s) => s.trim())
    .filter((s) => s && s !== '.' && s !== '..');
  // "{name}.{ext}" with no ext must not end in a dot.
  if (segments.length) segments[segments.length - 1] = segments[segments.length - 1]!.replace(/\.+$/, '');
  const out = segments.join('/');
  return leadingSlash ? `/${out}` : out;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

export interface ProfileValidation {
  ok: boolean;
  /** field key → what is wrong with it, in a sentence. */
  errors: Record<string, string>;
  /** Non-secret fields, normalised, defaults filled in. */
  fields: Record<string, string | number>;
  /** Secrets given in this save, normalised ('' = remove an optional secret). */
  secrets: Record<string, string>;
}

export interface ValidateOptions {
  /** Secret fields already stored for this profile: a required secret may then be left out. */
  storedSecrets?: readonly string[];
  /** Skip "required secret missing" (e.g. profiles imported without secrets). */
  allowMissingSecrets?: boolean;
}

const HOST_RE = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6_RE = /^\[?[0-9a-fA-F:.]{2,45}\]?$/;

function checkHost(v: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'Enter only the host name, without ftp:// or another scheme';
  if (v.includes('/')) return 'Enter only the host name, without a path (put folders in the file path)';
  if (/:\d+$/.test(v) && !v.includes('::')) return 'Enter the port in the Port field, not after the host';
  if (HOST_RE.test(v) || IPV4_RE.test(v) || (v.includes(':') && IPV6_RE.test(v))) return null;
  return 'Enter a valid host name or IP address, e.g. ftp.example.com';
}

type Check = (value: string) => string | null;

const checks: Record<string, Check> = {
  host: checkHost,
  username: (v) => (/[\r\n]/.test(v) ? 'The username cannot contain line breaks' : v.length > 256 ? 'The username is too long' : null),
  password: (v) => (/[\r\n]/.test(v) ? 'FTP passwords cannot contain line breaks' : v.length > 1024 ? 'The password is too long' : null),
  container: (v) =>
    v === '$root' || v === '$web' || /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(v)
      ? null
      : 'A container name has 3–63 characters: lowercase letters, digits and single hyphens, starting and ending with a letter or digit',
  accountname: (v) => (/^[a-z0-9]{3,24}$/.test(v) ? null : 'A storage account name has 3–24 lowercase letters and digits'),
  accountkey: (v) =>
    /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0 && v.length >= 16
      ? null
      : 'The account key is base64 text (88 characters for a standard key, ending in "=="); copy it again from Access keys',
  projectid: (v) =>
    /^([a-z][a-z0-9.-]{0,62}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(v)
      ? null
      : 'A project ID has 6–30 lowercase letters, digits and hyphens, starting with a letter (not the project name or number)',
  'amazons3.bucket': (v) =>
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) && !v.includes('..') && !IPV4_RE.test(v)
      ? null
      : 'An S3 bucket name has 3–63 lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit',
  'googlecloud.bucket': (v) =>
    /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(v) && !v.includes('..') && !IPV4_RE.test(v) && v.split('.').every((p) => p.length <= 63)
      ? null
      : 'A bucket name has 3–63 lowercase letters, digits, hyphens, underscores and dots, starting and ending with a letter or digit',
  region: (v) => (/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/.test(v) ? null : 'Enter an AWS region code such as eu-central-1 or us-east-1'),
  accesskeyid: (v) => (/^[A-Z0-9]{16,128}$/.test(v) ? null : 'An access key ID has 16–128 capital letters and digits (e.g. AKIA…)'),
  secretaccesskey: (v) => (/^\S{16,256}$/.test(v) ? null : 'The secret access key is 16–256 characters without spaces; copy it again'),
  sessiontoken: (v) => (/^\S{16,8192}$/.test(v) ? null : 'The session token is a long string without spaces; copy it again'),
};

function checkFor(type: DestinationType, key: string): Check | undefined {
  return checks[`${type}.${key}`] ?? checks[key];
}

/** Validates a Google Cloud service-account key file; returns the minified JSON or a message. */
export function parseKeyfile(text: string): { keyfile: string; clientEmail: string; projectId: string } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'The key file is not valid JSON; paste the whole file or pick it again' };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: 'The key file must be a JSON object' };
  const k = parsed as Record<string, unknown>;
  if (k.type !== 'service_account') {
    return {
      error: `This is not a service account key (type is ${JSON.stringify(k.type ?? null)}); create a key for a service account under IAM → Service accounts → Keys`,
    };
  }
  for (const f of ['project_id', 'private_key', 'client_email'] as const) {
    if (typeof k[f] !== 'string' || !(k[f] as string).trim()) return { error: `The key file has no "${f}"; download a new key` };
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(k.private_key as string)) return { error: "The key file's private_key is not a PEM private key" };
  if (!/^[^@\s]+@[^@\s]+$/.test(k.client_email as string)) return { error: "The key file's client_email is not an e-mail address" };
  if (k.token_uri !== undefined) {
    const problem = tokenUriProblem(String(k.token_uri));
    if (problem) return { error: problem };
  }
  return { keyfile: JSON.stringify(k), clientEmail: k.client_email as string, projectId: k.project_id as string };
}

/** The token endpoint receives a signed assertion: https only, except on this machine. */
function tokenUriProblem(uri: string): string | null {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return "The key file's token_uri is not a URL";
  }
  if (u.protocol === 'https:') return null;
  if (u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return null;
  return "The key file's token_uri must be an https:// address";
}

/**
 * Validates a profile's fields and secrets for its type. Unknown fields and secrets sent as plain
 * fields are errors (a secret must never land in the non-secret store).
 */
export function validateProfile(
  type: DestinationType,
  fields: Record<string, string | number | undefined | null>,
  secrets: Record<string, string | undefined | null> = {},
  opts: ValidateOptions = {},
): ProfileValidation {
  const form = destinationForms[type];
  const errors: Record<string, string> = {};
  const outFields: Record<string, string | number> = {};
  const outSecrets: Record<string, string> = {};
  const known = new Map(form.fields.map((f) => [f.key, f]));

  for (const key of Object.keys(fields)) {
    const f = known.get(key);
    if (!f) errors[key] = `${form.label} profiles have no field "${key}"`;
    else if (f.secret) errors[key] = `${f.label} is a secret: send it with the secrets, never as a plain field`;
  }
  for (const key of Object.keys(secrets)) {
    const f = known.get(key);
    if (!f?.secret) errors[key] = `${form.label} profiles have no secret "${key}"`;
  }

  for (const f of form.fields) {
    if (f.secret) {
      const given = secrets[f.key];
      if (given === undefined || given === null) {
        if (f.required && !opts.allowMissingSecrets && !opts.storedSecrets?.includes(f.key)) errors[f.key] = `Enter the ${f.label.toLowerCase()}`;
        continue;
      }
      if (given.length > 65_536) {
        errors[f.key] = `The ${f.label.toLowerCase()} is too long`;
        continue;
      }
      const value = f.kind === 'keyfile' ? given.trim() : given;
      if (value === '' || value.trim() === '') {
        if (f.required) errors[f.key] = `Enter the ${f.label.toLowerCase()}`;
        else outSecrets[f.key] = '';
        continue;
      }
      if (f.kind === 'keyfile') {
        const k = parseKeyfile(value);
        if ('error' in k) errors[f.key] = k.error;
        else outSecrets[f.key] = k.keyfile;
        continue;
      }
      const problem = checkFor(type, f.key)?.(value) ?? null;
      if (problem) errors[f.key] = problem;
      else outSecrets[f.key] = value;
      continue;
    }

    const raw = fields[f.key];
    const text = raw === undefined || raw === null ? '' : String(raw).trim();
    if (!text) {
      if (f.default !== undefined) outFields[f.key] = f.default;
      else if (f.required) errors[f.key] = `Enter the ${f.label.toLowerCase()}`;
      continue;
    }
    if (f.kind === 'number') {
      const n = Number(text);
      if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1 || n > 65535) errors[f.key] = `${f.label} must be a whole number from 1 to 65535`;
      else outFields[f.key] = n;
      continue;
    }
    if (f.kind === 'template') {
      const problem = templateProblem(text);
      if (problem) errors[f.key] = problem;
      else outFields[f.key] = text;
      continue;
    }
    const problem = checkFor(type, f.key)?.(text) ?? null;
    if (problem) errors[f.key] = problem;
    else outFields[f.key] = text;
  }

  return { ok: Object.keys(errors).length === 0, errors, fields: outFields, secrets: outSecrets };
}

/** "host: Enter the host; port: …" — one sentence for places that show a single message. */
export function describeErrors(type: DestinationType, errors: Record<string, string>): string {
  const form = destinationForms[type];
  return Object.entries(errors)
    .map(([key, msg]) => `${form.fields.find((f) => f.key === key)?.label ?? key}: ${msg}`)
    .join('; ');
}
