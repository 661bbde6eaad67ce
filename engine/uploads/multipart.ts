/**
 * A streaming multipart/form-data parser (RFC 7578 over RFC 2046 framing) for the upload route:
 * it hands on the data of the parts its caller takes, as slices of the chunks that arrived (never
 * the whole body), and skips the others without keeping them. The boundary is found with
 * Buffer.indexOf (native); a boundary split across chunks is held back (at most its length) until
 * the next chunk says whether it is one.
 */

/** A body that is not valid multipart; its message follows "Malformed multipart body: ". */
export class MultipartError extends Error {}

export interface PartInfo {
  /** The form field name (`name="…"`). */
  name: string | undefined;
  /** `filename*=` (RFC 5987, decoded) or else `filename="…"` (UTF-8), as sent; undefined for a field. */
  filename: string | undefined;
  /** `type/subtype` of the part's Content-Type, lower case; `text/plain` when missing (RFC 7578 §4.4). */
  contentType: string;
  /** A file part: it has a filename or is application/octet-stream. */
  isFile: boolean;
}

export interface PartSink {
  /** A part starts; return true to get its data. */
  part(info: PartInfo): boolean;
  data(chunk: Buffer): void;
  /** The taken part ended (its closing boundary arrived). */
  partEnd(): void;
}

export interface MultipartLimits {
  /** Parts past this many are skipped unread (their headers too). */
  parts: number;
  /** Bytes of one part's header block. */
  headerBytes: number;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The boundary of a `multipart/form-data; boundary=…` Content-Type; throws MultipartError otherwise. */
export function boundaryOf(contentType: string): string {
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (type !== 'multipart/form-data') throw new MultipartError(`Unsupported content type: ${contentType.slice(0, 100)}`);
  const params = semi < 0 ? {} : parseParams(contentType, semi, false);
  if (!params) throw new MultipartError('Malformed content type');
  const boundary = params.boundary;
  // RFC 2046: 1 to 70 characters.
  if (!boundary || boundary.length > 70) throw new MultipartError('Multipart: Boundary not found');
  return boundary;
}

enum State {
  Preamble,
  /** After a boundary: `--` ends the body, CRLF starts a part's headers. */
  AfterBoundary,
  Headers,
  Body,
  Epilogue,
}

export class MultipartParser {
  private readonly delimiter: Buffer;
  private state = State.Preamble;
  /** Bytes held back from the last chunk: the start of a possible delimiter, or of a boundary's end. */
  private carry: Buffer | undefined = CRLF; // so that a body starting with `--boundary` matches
  private header: Buffer | undefined;
  private parts = 0;
  private taking = false;

  constructor(
    boundary: string,
    private readonly sink: PartSink,
    private readonly limits: MultipartLimits,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  /** The final boundary has arrived. */
  get complete(): boolean {
    return this.state === State.Epilogue;
  }

  /** Feeds the next chunk of the body; throws MultipartError on a malformed body. */
  push(chunk: Buffer): void {
    if (this.state === State.Epilogue) return;
    let data = chunk;
    if (this.carry) {
      data = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let pos = 0;
    while (pos < data.length) {
      switch (this.state as State) {
        case State.Preamble:
        case State.Body:
          pos = this.scanBody(data, pos);
          break;
        case State.AfterBoundary:
          pos = this.afterBoundary(data, pos);
          break;
        case State.Headers:
          pos = this.headers(data, pos);
          break;
        case State.Epilogue:
          return;
      }
    }
  }

  /** The body ended: throws unless the final boundary came. */
  end(): void {
    if (this.state !== State.Epilogue) throw new MultipartError('Unexpected end of form');
  }

  /** Data up to the next delimiter goes to the part (when taken); returns where scanning stopped. */
  private scanBody(data: Buffer, pos: number): number {
    const d = this.delimiter;
    const at = data.indexOf(d, pos);
    if (at >= 0) {
      if (at > pos) this.emit(data.subarray(pos, at));
      if (this.state === State.Body && this.taking) {
        this.taking = false;
        this.sink.partEnd();
      }
      this.state = State.AfterBoundary;
      return at + d.length;
    }
    // No delimiter: the tail may be the start of one; hold back the longest such tail.
    let hold = data.length;
    for (let cr = data.indexOf(13, Math.max(pos, data.length - d.length + 1)); cr >= 0; cr = data.indexOf(13, cr + 1)) {
      if (data.compare(d, 0, data.length - cr, cr) === 0) {
        hold = cr;
        break;
      }
    }
    if (hold > pos) this.emit(data.subarray(pos, hold));
    if (hold < data.length) this.carry = data.subarray(hold);
    return data.length;
  }

  private emit(bytes: Buffer): void {
    if (this.state === State.Body && this.taking) this.sink.data(bytes);
  }

  private afterBoundary(data: Buffer, pos: number): number {
    if (data.length - pos < 2) {
      this.carry = data.subarray(pos);
      return data.length;
    }
    const a = data[pos];
    const b = data[pos + 1];
    if (a === 45 && b === 45) {
      this.state = State.Epilogue; // `--boundary--`: whatever follows is ignored
      return data.length;
    }
    if (a !== 13 || b !== 10) throw new MultipartError('Malformed part boundary');
    this.parts++;
    if (this.parts > this.limits.parts) {
      // Over the limit: skip this part, headers and all, to the next boundary.
      this.state = State.Body;
      this.taking = false;
      return pos + 2;
    }
    this.state = State.Headers;
    this.header = CRLF; // the boundary line's CRLF: an empty header block is then found as CRLF CRLF
    return pos + 2;
  }

  private headers(data: Buffer, pos: number): number {
    const had = this.header!.length;
    const room = this.limits.headerBytes + HEADER_END.length - had;
    // Copy only up to the first blank line in this chunk (or the room left), not a whole chunk.
    const blank = data.indexOf(HEADER_END, pos);
    const take = Math.min(Math.max(0, room), blank >= 0 ? blank + HEADER_END.length - pos : data.length - pos);
    const block = Buffer.concat([this.header!, data.subarray(pos, pos + take)]);
    const end = block.indexOf(HEADER_END);
    if (end < 0) {
      if (block.length - CRLF.length >= this.limits.headerBytes) throw new MultipartError('Malformed part header');
      this.header = block;
      return data.length;
    }
    this.header = undefined;
    // An empty block (the part starts with a blank line) has no Content-Disposition: malformed.
    if (end === 0) throw new MultipartError('Malformed part header');
    const info = partInfo(parseHeaderBlock(block.toString('latin1', CRLF.length, end)));
    this.state = State.Body;
    this.taking = info !== undefined && this.sink.part(info);
    return pos + (end + HEADER_END.length - had);
  }
}

/** Header lines (`name: value`, folded lines joined), names in lower case, first value kept. */
function parseHeaderBlock(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  let name = '';
  let value = '';
  const flush = () => {
    if (name && !headers.has(name)) headers.set(name, value);
  };
  for (const line of text.split('\r\n')) {
    if (/[^\t\x20-\x7e\x80-\xff]/.test(line)) throw new MultipartError('Malformed part header');
    if (line[0] === ' ' || line[0] === '\t') {
      if (!name) throw new MultipartError('Malformed part header');
      value += line; // obsolete line folding
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) throw new MultipartError('Malformed part header');
    name = line.slice(0, colon).toLowerCase();
    value = line.slice(colon + 1).replace(/^[ \t]+/, '');
  }
  flush();
  return headers;
}

/** What a part is, from its headers; undefined for a part that is not form-data (skipped). */
function partInfo(headers: Map<string, string>): PartInfo | undefined {
  const disposition = headers.get('content-disposition');
  if (!disposition) return undefined;
  const semi = disposition.indexOf(';');
  const type = (semi < 0 ? disposition : disposition.slice(0, semi)).trim().toLowerCase();
  if (type !== 'form-data') return undefined;
  const params = semi < 0 ? {} : parseParams(disposition, semi, true);
  if (!params) return undefined;
  // An empty name is no name (a browser's file input with nothing chosen sends filename="").
  const filename = params['filename*'] || params.filename || undefined;
  let contentType = 'text/plain';
  const ct = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*(?:;|$)/.exec(headers.get('content-type') ?? '');
  if (ct) contentType = ct[1].toLowerCase();
  return { name: params.name, filename, contentType, isFile: filename !== undefined || contentType === 'application/octet-stream' };
}

/**
 * `; name=value` parameters from `from` on (value a token or a quoted string; `name*=charset''%XX`
 * per RFC 5987 when `extended`). Names in lower case, the first of each kept. Undefined when
 * malformed. `utf8`: plain values carry UTF-8 bytes (RFC 7578 §4.2), read from the latin1 header.
 */
function parseParams(text: string, from: number, extended: boolean): Record<string, string> | undefined {
  const params: Record<string, string> = Object.create(null);
  const re = /[ \t]*;[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)=(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+.^_`|~0-9A-Za-z-]+))[ \t]*/y;
  re.lastIndex = from;
  while (re.lastIndex < text.length) {
    const m = re.exec(text);
    if (!m) return undefined;
    const name = m[1].toLowerCase();
    let value: string | undefined;
    if (extended && name.endsWith('*')) {
      value = m[3] === undefined ? undefined : decodeExtended(m[3]);
    } else if (m[2] !== undefined) {
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(m[2])) return undefined;
      value = utf8(m[2].replace(/\\([\\"])/g, '$1'));
    } else {
      value = utf8(m[3]);
    }
    if (value === undefined) return undefined;
    if (params[name] === undefined) params[name] = value;
  }
  return params;
}

/** RFC 5987 `charset'language'pct-encoded` (UTF-8 or ISO-8859-1). */
function decodeExtended(raw: string): string | undefined {
  const m = /^([!#$%&+^_`{}~0-9A-Za-z-]+)'[^']*'((?:[!#$&+.^_`|~0-9A-Za-z-]|%[0-9A-Fa-f]{2})+)$/.exec(raw);
  if (!m) return undefined;
  const bytes = Buffer.from(
    m[2].replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  );
  const charset = m[1].toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8') return bytes.toString('utf8');
  if (charset === 'iso-8859-1' || charset === 'latin1' || charset === 'us-ascii') return bytes.toString('latin1');
  return undefined;
}

function utf8(latin1: string): string {
  return /[\x80-\xff]/.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
}
