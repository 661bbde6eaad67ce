/**
 * Cloud accounts given on the command line (`--input-cloud`/`--output-target` with
 * `--input-param`/`--output-param`): their credentials are read from a JSON file or an environment
 * variable each time a job needs them, validated with the same field rules as saved profiles, and
 * registered with the log's redaction. Nothing secret is ever stored: the queue keeps only the
 * reference (file path or variable name).
 */
import fs from 'node:fs';
import { ContractError, type CloudAccountRef } from '../../preload/contract';
import { DEFAULT_FILE_TEMPLATE, describeErrors, destinationForms, validateProfile } from '../../preload/destination-forms';
import { registerSecret } from '../log';
import type { ResolvedProfile } from './descriptors';

/** Largest credentials file read (a service-account key is ~2.5 KB). */
const MAX_CREDENTIALS_BYTES = 256 * 1024;

/** Where the reference says the credentials are, for messages. */
export function credentialsSource(ref: CloudAccountRef): string {
  return ref.credentialsFrom.kind === 'file' ? `the credentials file ${ref.credentialsFrom.path}` : `the environment variable ${ref.credentialsFrom.name}`;
}

/** The credentials JSON object the reference points to, or a ContractError saying what is wrong. */
export function readCredentials(ref: CloudAccountRef, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const where = credentialsSource(ref);
  let text: string;
  if (ref.credentialsFrom.kind === 'file') {
    try {
      const stat = fs.statSync(ref.credentialsFrom.path);
      if (!stat.isFile()) throw new ContractError('invalid_argument', `${where} is not a file`);
      if (stat.size > MAX_CREDENTIALS_BYTES) throw new ContractError('invalid_argument', `${where} is too large to be a credentials file`);
      text = fs.readFileSync(ref.credentialsFrom.path, 'utf8');
    } catch (err) {
      if (err instanceof ContractError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new ContractError('invalid_argument', code === 'ENOENT' ? `Cannot read ${where}: it does not exist` : `Cannot read ${where} (${code ?? 'error'})`);
    }
  } else {
    text = env[ref.credentialsFrom.name] ?? '';
    if (!text.trim()) throw new ContractError('invalid_argument', `${where} is not set; set it to the credentials JSON (or use a credentials file)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Never quote the text: it is a secret.
    throw new ContractError('invalid_argument', `${where} is not valid JSON (expected an object such as {"accesskeyid": "…", "secretaccesskey": "…"})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ContractError('invalid_argument', `${where} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

/**
 * The account as a resolved profile (non-secret fields + secrets), checked with the profile
 * rules. `forOutput`: parameters.file is the result path template (default: a folder per batch).
 */
export function resolveAccount(ref: CloudAccountRef, env: NodeJS.ProcessEnv, opts: { forOutput: boolean }): ResolvedProfile {
  const form = destinationForms[ref.type];
  let creds = readCredentials(ref, env);
  // A Google service-account key file may be given as it is, not wrapped in {"keyfile": …}.
  if (ref.type === 'googlecloud' && creds.type === 'service_account') creds = { keyfile: creds };
  const fields: Record<string, string | number> = {};
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(ref.parameters)) {
    if (key === 'file' && !opts.forOutput) continue;
    fields[key] = value;
  }
  if (!opts.forOutput || fields.file === undefined) fields.file = DEFAULT_FILE_TEMPLATE;
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(creds)) {
    const f = form.fields.find((x) => x.key === key);
    if (f?.place !== 'credentials') {
      problems.push(
        `${credentialsSource(ref)} has "${key}", which ${form.label} credentials do not have (expected ${form.fields
          .filter((x) => x.place === 'credentials')
          .map((x) => x.key)
          .join(', ')})`,
      );
      continue;
    }
    const value = typeof raw === 'string' ? raw : raw !== null && typeof raw === 'object' ? JSON.stringify(raw) : String(raw ?? '');
    if (f.secret) {
      secrets[key] = value;
      registerSecret(value);
    } else fields[key] = value;
  }
  if (problems.length) throw new ContractError('invalid_argument', problems.join('; '));
  const v = validateProfile(ref.type, fields, secrets);
  if (!v.ok) throw new ContractError('invalid_argument', `${form.label}: ${describeErrors(ref.type, v.errors)}`);
  if (!opts.forOutput) delete v.fields.file;
  return { type: ref.type, fields: v.fields, secrets: v.secrets };
}

/** bucket/key (S3, Google Cloud), container/key (Azure), host/path (FTP): what a row shows. */
export function cloudLabel(type: CloudAccountRef['type'], fields: Record<string, unknown>, file: string): string {
  const where = type === 'azure' ? fields.container : type === 'ftp' ? fields.host : fields.bucket;
  const key = file.replace(/^\/+/, '');
  return where ? `${String(where)}/${key}` : key;
}
