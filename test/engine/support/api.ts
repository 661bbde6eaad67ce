/**
 * A small client for the engine in tests. Every JSON response of a `/v2` API route is validated
 * against openapi.json (see ./openapi); upload responses against the InputFile schema.
 */
import { schemaValidator, validateResponse } from './openapi';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body (string) instead of JSON. */
  raw?: string;
  headers?: Record<string, string>;
  /** Account key to send; `null` sends none. Defaults to the client's key. */
  key?: string | null;
  /** Skip schema validation (only for requests that are deliberately outside the API). */
  noValidate?: boolean;
}

export class Api {
  /** Every response validated, for the suite's summary. */
  validated = 0;

  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
  ) {}

  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? this.apiKey : opts.key;
    if (key !== null) headers['X-Api2convert-Api-Key'] = key;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json';
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error(`${method} ${path} → ${res.status}: body is not JSON: ${text.slice(0, 200)}`);
      }
    }
    if (!opts.noValidate && path.startsWith('/v2/') && !path.startsWith('/v2/dl/')) {
      const outcome = validateResponse(method, new URL(this.baseUrl + path).pathname, res.status, parsed, {
        arrayOfBody: Array.isArray(opts.body),
      });
      if (!outcome.skipped) this.validated++;
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get = <T = any>(path: string, opts?: RequestOptions) => this.request<T>('GET', path, opts);
  post = <T = any>(path: string, body?: unknown, opts?: RequestOptions) => this.request<T>('POST', path, { ...opts, body });
  patch = <T = any>(path: string, body?: unknown, opts?: RequestOptions) => this.request<T>('PATCH', path, { ...opts, body });
  del = <T = any>(path: string, opts?: RequestOptions) => this.request<T>('DELETE', path, opts);

  /** Multipart upload of one file to `{job.server}/upload-file/{job.id}` with the job token. */
  async upload(
    job: { id: string; token: string; server: string },
    data: Buffer,
    filename: string,
    opts: { headers?: Record<string, string>; token?: string | null } = {},
  ): Promise<ApiResponse> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(data)]), filename);
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? job.token : opts.token;
    if (token !== null) headers['X-Api2convert-Token'] = token;
    const res = await fetch(`${job.server}/upload-file/${job.id}`, { method: 'POST', body: form, headers });
    const text = await res.text();
    const body = text ? JSON.parse(text) : undefined;
    checkUploadResponse(res.status, body);
    this.validated++;
    return { status: res.status, headers: res.headers, body, text };
  }

  /** Polls `GET /v2/jobs/{id}` until the job is completed, failed or canceled. */
  async waitFor(id: string, opts: { timeoutMs?: number; until?: (job: any) => boolean } = {}): Promise<any> {
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    const until = opts.until ?? ((j: any) => ['completed', 'failed', 'canceled'].includes(j.status.code));
    let last: any;
    while (Date.now() < deadline) {
      const res = await this.get(`/v2/jobs/${id}`);
      if (res.status !== 200) throw new Error(`GET job ${id} → ${res.status}: ${res.text}`);
      last = res.body;
      if (until(last)) return last;
      await new Promise((r) => setTimeout(r, 40));
    }
    throw new Error(`job ${id} did not reach the expected state in time; last: ${JSON.stringify(last?.status)} errors ${JSON.stringify(last?.errors)}`);
  }

  async download(uri: string, headers: Record<string, string> = {}): Promise<{ status: number; data: Buffer; headers: Headers; json?: any }> {
    const res = await fetch(uri, { headers });
    const data = Buffer.from(await res.arrayBuffer());
    let json: any;
    if (res.status >= 400) {
      json = JSON.parse(data.toString('utf8'));
      checkError(res.status, json);
      this.validated++;
    }
    return { status: res.status, data, headers: res.headers, json };
  }
}

/** Upload answers are input objects (201) or `{message}` errors. */
export function checkUploadResponse(status: number, body: unknown): void {
  if (status === 201) {
    const fn = schemaValidator('InputFile');
    if (!fn(body)) throw new Error(`upload 201 does not match InputFile: ${JSON.stringify(fn.errors)}`);
  } else if (status >= 400) {
    checkError(status, body);
  }
}

export function checkError(status: number, body: unknown): void {
  const fn = schemaValidator('Error');
  if (!fn(body) || typeof (body as { message?: unknown })?.message !== 'string') {
    throw new Error(`${status} body is not an Error {message}: ${JSON.stringify(body)}`);
  }
}

/** Progress answer of a resumable upload (the engine's own shape; api2convert documents none). */
export function checkUploadProgress(body: any): void {
  const ok = body && typeof body.uuid === 'string' && Number.isInteger(body.received) && Number.isInteger(body.total) && body.complete === false;
  if (!ok) throw new Error(`upload progress answer has an unexpected shape: ${JSON.stringify(body)}`);
}

/**
 * `fetch` for requests outside `Api` (raw headers, odd bodies): the JSON answer is validated like
 * every other — against openapi.json for /v2 routes, as an upload answer for upload-file, and as
 * an Error for any other failure.
 */
export async function fetchChecked(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; json: () => Promise<any> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  const body = text ? JSON.parse(text) : undefined;
  const { pathname } = new URL(url);
  const method = (init?.method ?? 'GET').toUpperCase();
  if (/\/upload-file\//.test(pathname)) {
    if (res.status === 200) checkUploadProgress(body);
    else checkUploadResponse(res.status, body);
  } else if (pathname.startsWith('/v2/') && !pathname.startsWith('/v2/dl/')) {
    try {
      validateResponse(method, pathname, res.status, body);
    } catch (err) {
      if (!/No operation in openapi.json/.test((err as Error).message)) throw err;
      if (res.status < 400) throw err;
      checkError(res.status, body);
    }
  } else if (res.status >= 400) {
    checkError(res.status, body);
  }
  return { status: res.status, headers: res.headers, json: async () => body };
}
