import fs from 'node:fs';
import path from 'node:path';

/**
 * Secret values registered here are masked in every log line, wherever they appear, so a secret
 * that slipped into an error message from a library still never reaches a file.
 */
const knownSecrets = new Set<string>();

export function registerSecret(value: string | null | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

const SECRET_FIELD = /(token|password|passwd|secret|key|keyfile|credential|passphrase|sas|sig|signature)/i;

/** Masks registered secrets and `name=value` / `"name": "value"` pairs whose name looks secret. */
export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join('***');
  out = out.replace(/("([\w-]+)"\s*:\s*")([^"]*)(")/g, (m, a: string, name: string, _v: string, b: string) => (SECRET_FIELD.test(name) ? `${a}***${b}` : m));
  out = out.replace(/\b([\w-]+)=([^&\s"']+)/g, (m, name: string) => (SECRET_FIELD.test(name) ? `${name}=***` : m));
  return out;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Appends redacted lines to `<dataDir>/logs/convoy.log` (and stderr when `echo` is set). */
export function createLogger(dataDir: string, echo = false): Logger {
  const dir = path.join(dataDir, 'logs');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'convoy.log');
  const write = (level: string, message: string) => {
    const line = `${new Date().toISOString()} ${level} ${redact(message)}\n`;
    try {
      fs.appendFileSync(file, line, { mode: 0o600 });
    } catch {
      /* logging must never break the app */
    }
    if (echo) process.stderr.write(line);
  };
  return { info: (m) => write('INFO', m), warn: (m) => write('WARN', m), error: (m) => write('ERROR', m) };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
