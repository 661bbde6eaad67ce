/**
 * URL lists from anything people paste or drop: `text/uri-list`, plain text with URLs mixed into
 * prose, `.txt`/`.csv` files. Every line that yields no usable URL is reported with the reason;
 * nothing is dropped silently. Duplicates (within the input and against what is already queued)
 * are merged and counted.
 */

export type UrlListFormat = 'text' | 'uri-list' | 'csv';

export interface RejectedLine {
  /** The offending text (trimmed, shortened for display). */
  input: string;
  reason: string;
  /** 1-based line number in the pasted or dropped text. */
  line?: number;
}

export interface ParsedUrlList {
  /** Valid http(s) URLs, normalised, in order of first appearance, without duplicates. */
  urls: string[];
  rejected: RejectedLine[];
  /** How many URLs were merged because they appeared earlier or are already queued. */
  duplicates: number;
}

export const MAX_URL_LENGTH = 8192;

// Anything that starts like "scheme://" or a bare "www." host, up to whitespace or a delimiter
// that cannot end a URL in running text.
const URL_TOKEN = /\b(?:[a-z][a-z0-9+.-]{1,15}:\/\/|www\.)[^\s<>"'`{}|\\^]+/gi;
// A lone token that looks like someone meant a URL ("example.com/a.jpg", "http:/x").
const URLISH = /^(?:[a-z][a-z0-9+.-]*:\/*)?[\w-]+(\.[\w-]+)+(?::\d+)?(\/\S*)?$/i;
const SCHEME_ONLY = /^[a-z][a-z0-9+.-]*:/i;

/** Key used to merge duplicates: the normalised URL without its fragment. */
export function urlKey(url: string): string {
  try {
    const u = new URL(url);
    u.hash = '';
    return u.href;
  } catch {
    return url;
  }
}

function shorten(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Strips punctuation that ends a sentence rather than the URL, keeping balanced brackets. */
function trimTrailing(token: string): string {
  let t = token;
  for (;;) {
    const last = t.at(-1);
    if (!last) return t;
    if ('.,;:!?\'"'.includes(last)) {
      t = t.slice(0, -1);
      continue;
    }
    const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
    if (pairs[last]) {
      const open = t.split(pairs[last]).length - 1;
      const close = t.split(last).length - 1;
      if (close > open) {
        t = t.slice(0, -1);
        continue;
      }
    }
    return t;
  }
}

export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

/** Validates one URL candidate: http(s) only, a host, no embedded credentials, not too long. */
export function checkUrl(candidate: string): UrlCheck {
  const raw = candidate.trim();
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `Longer than ${MAX_URL_LENGTH} characters` };
  const withScheme = /^www\./i.test(raw) ? `https://${raw}` : raw;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return { ok: false, reason: 'Not a valid URL' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return { ok: false, reason: `Only http:// and https:// URLs can be converted (this is ${u.protocol.slice(0, -1)}:)` };
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(withScheme)) return { ok: false, reason: 'Not a valid URL: missing // after the scheme' };
  if (!u.hostname) return { ok: false, reason: 'Not a valid URL: no host name' };
  if (u.username || u.password) {
    return { ok: false, reason: 'URLs with a user name or password are not accepted (they would be stored in plain text)' };
  }
  if (u.href.length > MAX_URL_LENGTH) return { ok: false, reason: `Longer than ${MAX_URL_LENGTH} characters` };
  return { ok: true, url: u.href };
}

/** Splits one CSV record into cells (quotes respected); the delimiter is guessed per line. */
export function splitCsvLine(line: string): string[] {
  const delimiter = [',', ';', '\t'].reduce((best, d) => (line.split(d).length > line.split(best).length ? d : best), ',');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === delimiter) {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/** Finds URL candidates in one piece of text and why the rest is not one. */
function candidatesIn(text: string): { tokens: string[]; noUrlReason: string | null } {
  const tokens = [...text.matchAll(URL_TOKEN)]
    // "a.jpg,https://b" is two URLs glued by a delimiter, not one URL with a comma in it.
    .flatMap((m) => m[0].split(/[,;](?=(?:[a-z][a-z0-9+.-]{1,15}:\/\/|www\.))/i))
    .map(trimTrailing)
    .filter(Boolean);
  if (tokens.length) return { tokens, noUrlReason: null };
  const trimmed = text.trim();
  if (!/\s/.test(trimmed) && URLISH.test(trimmed)) {
    if (SCHEME_ONLY.test(trimmed)) return { tokens: [trimmed], noUrlReason: null };
    return { tokens: [], noUrlReason: 'Missing http:// or https://' };
  }
  if (SCHEME_ONLY.test(trimmed) && !/\s/.test(trimmed)) return { tokens: [trimmed], noUrlReason: null };
  return { tokens: [], noUrlReason: 'No URL in this line' };
}

export interface ParseOptions {
  format?: UrlListFormat;
  /** URLs already in the queue: matching ones count as duplicates. */
  existing?: Iterable<string>;
  /** Report at most this many rejected lines (the rest are counted in one summary entry). */
  maxRejected?: number;
}

export function parseUrlList(text: string, opts: ParseOptions = {}): ParsedUrlList {
  const format = opts.format ?? 'text';
  const maxRejected = opts.maxRejected ?? 500;
  const seen = new Set<string>();
  for (const e of opts.existing ?? []) seen.add(urlKey(e));
  const urls: string[] = [];
  const rejected: RejectedLine[] = [];
  let overflow = 0;
  let duplicates = 0;
  const reject = (input: string, reason: string, line: number) => {
    if (rejected.length < maxRejected) rejected.push({ input: shorten(input), reason, line });
    else overflow++;
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((rawLine, index) => {
    const lineNo = index + 1;
    const line = rawLine.trim();
    if (!line) return;
    if (format === 'uri-list' && line.startsWith('#')) return; // RFC 2483 comment
    const pieces = format === 'csv' ? splitCsvLine(line).filter(Boolean) : [line];
    const found: string[] = [];
    const bad: Array<{ input: string; reason: string }> = [];
    for (const piece of pieces) {
      const { tokens, noUrlReason } = candidatesIn(piece);
      if (!tokens.length) {
        if (format !== 'csv') bad.push({ input: piece, reason: noUrlReason! });
        else if (noUrlReason === 'Missing http:// or https://') bad.push({ input: piece, reason: noUrlReason });
        continue;
      }
      for (const token of tokens) {
        const check = checkUrl(token);
        if (check.ok) found.push(check.url);
        else bad.push({ input: token, reason: check.reason });
      }
    }
    if (!found.length && !bad.length) bad.push({ input: line, reason: 'No URL in this line' });
    for (const b of bad) reject(b.input, b.reason, lineNo);
    for (const url of found) {
      const key = urlKey(url);
      if (seen.has(key)) {
        duplicates++;
        continue;
      }
      seen.add(key);
      urls.push(url);
    }
  });
  if (overflow) rejected.push({ input: `…and ${overflow} more lines`, reason: 'Not shown' });
  return { urls, rejected, duplicates };
}

/** The file name a URL most likely downloads as (last path segment), or null. */
export function fileNameFromUrl(url: string): string | null {
  try {
    const segment = new URL(url).pathname.split('/').filter(Boolean).at(-1);
    return segment ? decodeURIComponent(segment) : null;
  } catch {
    return null;
  }
}

/**
 * Whether the text of a dropped `.txt`/`.csv` file is a list of URLs (then it is read as one)
 * rather than a document to convert: at least one URL, and URLs on most non-empty lines.
 */
export function looksLikeUrlList(text: string): boolean {
  const lines = text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (!lines.length) return false;
  const withUrl = lines.filter((l) => /\bhttps?:\/\/\S/i.test(l)).length;
  // A header row in a CSV is fine: allow one line without a URL per ten.
  return withUrl > 0 && withUrl >= Math.max(1, Math.floor(lines.length * 0.9));
}
