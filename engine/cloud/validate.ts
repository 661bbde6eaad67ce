/**
 * Shape check of a cloud descriptor (input or output target), run when the job runs: the API
 * accepts a bad descriptor on create and fails the input later. Messages name the field, never
 * its value (values may be secrets).
 */
import { createPrivateKey } from 'node:crypto';
import type { CloudSource } from './types';

export const CLOUD_SOURCES: CloudSource[] = ['amazons3', 'azure', 'ftp', 'googlecloud'];
export const DEFAULT_S3_REGION = 'eu-central-1';
export const DEFAULT_FTP_PORT = 21;
export const DEFAULT_GCS_TOKEN_URI = 'https://oauth2.googleapis.com/token';

type Bag = Record<string, unknown>;

const isObject = (v: unknown): v is Bag => typeof v === 'object' && v !== null && !Array.isArray(v);

function requireString(bag: Bag, group: string, name: string, multiline = false): string | null {
  const v = bag[name];
  if (v === undefined || v === null || v === '') return `${group}.${name} is missing`;
  if (typeof v !== 'string') return `${group}.${name} must be a string`;
  if (v.trim() === '') return `${group}.${name} is empty`;
  if (multiline ? /\u0000/.test(v) : /[\u0000\r\n]/.test(v)) return `${group}.${name} contains control characters`;
  return null;
}

function optionalString(bag: Bag, group: string, name: string): string | null {
  const v = bag[name];
  if (v === undefined || v === null || v === '') return null;
  return typeof v === 'string' ? null : `${group}.${name} must be a string`;
}

function filePath(bag: Bag): string | null {
  const problem = requireString(bag, 'parameters', 'file');
  if (problem) return problem;
  const file = bag.file as string;
  if (file.endsWith('/')) return 'parameters.file must name a file, not a folder (it ends with "/")';
  if (file.split('/').some((part) => part === '..')) return 'parameters.file must not contain ".." segments';
  if (file.length > 1024) return 'parameters.file is longer than 1024 characters';
  return null;
}

/** The keyfile as an object: the guide sends it as JSON, some clients as a JSON string. */
export function parseKeyfile(raw: unknown): Bag | null {
  if (isObject(raw)) return raw;
  if (typeof raw === 'string') {
    try {
      const parsed = JSON.parse(raw) as unknown;
      return isObject(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** "host", "host:port" or "ftp://host[:port]" → host and optional port. */
export function parseFtpHost(raw: string): { host: string; port?: number } | null {
  const m = /^(?:ftp:\/\/)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(raw.trim());
  if (!m) return null;
  return { host: m[1].replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : undefined };
}

function validPort(v: unknown): boolean {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
}

function checkS3(p: Bag, c: Bag): string | null {
  const bucket = requireString(p, 'parameters', 'bucket');
  if (bucket) return bucket;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(p.bucket as string)) return 'parameters.bucket is not a valid S3 bucket name';
  const region = optionalString(p, 'parameters', 'region');
  if (region) return region;
  if (p.region && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(p.region as string)) return 'parameters.region is not a valid AWS region name (e.g. eu-central-1)';
  return (
    filePath(p) ??
    requireString(c, 'credentials', 'accesskeyid') ??
    requireString(c, 'credentials', 'secretaccesskey') ??
    optionalString(c, 'credentials', 'sessiontoken')
  );
}

function checkAzure(p: Bag, c: Bag): string | null {
  const container = requireString(p, 'parameters', 'container');
  if (container) return container;
  if (!/^(?:\$root|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9])$/.test(p.container as string)) {
    return 'parameters.container is not a valid container name (3–63 lower-case letters, digits and single hyphens)';
  }
  const problem = filePath(p) ?? requireString(c, 'credentials', 'accountname') ?? requireString(c, 'credentials', 'accountkey');
  if (problem) return problem;
  if (!/^[a-z0-9]{3,24}$/.test(c.accountname as string))
    return 'credentials.accountname is not a valid storage account name (3–24 lower-case letters and digits)';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(c.accountkey as string)) return 'credentials.accountkey is not valid base64';
  return null;
}

function checkFtp(p: Bag, c: Bag): string | null {
  const host = requireString(p, 'parameters', 'host');
  if (host) return host;
  if (!parseFtpHost(p.host as string)) return 'parameters.host is not a valid host name or IP address';
  if (p.port !== undefined && p.port !== null && p.port !== '' && !validPort(p.port)) return 'parameters.port must be a port number (1–65535)';
  const problem = filePath(p) ?? requireString(c, 'credentials', 'username');
  if (problem) return problem;
  if (c.password === undefined || c.password === null) return 'credentials.password is missing';
  if (typeof c.password !== 'string') return 'credentials.password must be a string';
  return null;
}

function checkGcs(p: Bag, c: Bag): string | null {
  const problem = requireString(p, 'parameters', 'projectid') ?? requireString(p, 'parameters', 'bucket') ?? filePath(p);
  if (problem) return problem;
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(p.bucket as string)) return 'parameters.bucket is not a valid bucket name';
  if (c.keyfile === undefined || c.keyfile === null || c.keyfile === '') return 'credentials.keyfile is missing';
  const key = parseKeyfile(c.keyfile);
  if (!key) return 'credentials.keyfile must be the JSON key file of a service account';
  const field = requireString(key, 'credentials.keyfile', 'client_email') ?? requireString(key, 'credentials.keyfile', 'private_key', true);
  if (field) return field;
  if (key.type !== undefined && key.type !== 'service_account') return 'credentials.keyfile must be a service account key (type "service_account")';
  try {
    createPrivateKey(key.private_key as string);
  } catch {
    return 'credentials.keyfile.private_key is not a valid PEM private key';
  }
  const tokenUri = key.token_uri ?? DEFAULT_GCS_TOKEN_URI;
  if (typeof tokenUri !== 'string' || !/^https?:\/\/[^\s]+$/.test(tokenUri)) return 'credentials.keyfile.token_uri must be an http(s) URL';
  return null;
}

export function validateCloudDescriptor(d: unknown): string | null {
  if (!isObject(d)) return 'the cloud descriptor must be an object';
  if (typeof d.provider !== 'string' || !CLOUD_SOURCES.includes(d.provider as CloudSource)) {
    return `the cloud provider must be one of ${CLOUD_SOURCES.join(', ')}`;
  }
  if (!isObject(d.parameters)) return 'parameters must be an object';
  if (!isObject(d.credentials)) return 'credentials must be an object';
  const check = { amazons3: checkS3, azure: checkAzure, ftp: checkFtp, googlecloud: checkGcs }[d.provider as CloudSource];
  return check(d.parameters, d.credentials);
}
