/**
 * The api2convert v2 documents, validated at the edge with zod. Tolerant on purpose: unknown fields
 * pass through, status codes are free strings (unknown ones mean "not finished"), numbers sent as
 * strings are accepted and nulls read as "absent". Only what the client relies on is required.
 */
import { z } from 'zod';

/** An integer that may arrive as a number or a numeric string; anything else reads as absent. */
const looseInt = z.preprocess((v) => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}, z.number().optional());

/** A string field that may be null or missing (read as undefined). */
const optStr = z.preprocess((v) => (v === null ? undefined : v), z.string().optional());
const optBool = z.preprocess((v) => (v === null ? undefined : v), z.boolean().optional());
const record = z.preprocess((v) => (v === null || Array.isArray(v) ? undefined : v), z.record(z.unknown()).optional());
/** An array that may be null or missing (read as empty). */
const list = <T extends z.ZodTypeAny>(item: T) => z.preprocess((v) => (v === null || v === undefined ? [] : v), z.array(item));

export const JobStatusSchema = z.object({ code: z.string(), info: optStr }).passthrough();

export const UserErrorSchema = z.object({ source: optStr, id_source: optStr, code: looseInt, message: optStr, details: z.unknown().optional() }).passthrough();

export const InputFileSchema = z
  .object({
    id: z.string(),
    type: optStr,
    status: optStr,
    source: optStr,
    engine: optStr,
    filename: optStr,
    size: looseInt,
    hash: optStr,
    checksum: optStr,
    content_type: optStr,
    created_at: optStr,
    modified_at: optStr,
    options: record,
    parameters: record,
    credentials: record,
    metadata: record,
  })
  .passthrough();

export const OutputFileSchema = z
  .object({
    id: z.string(),
    source: z.preprocess(
      (v) => (v === null ? undefined : v),
      z
        .object({ conversion: optStr, input: z.array(z.string()).optional() })
        .passthrough()
        .optional(),
    ),
    filename: optStr,
    uri: optStr,
    size: looseInt,
    status: optStr,
    content_type: optStr,
    downloads_counter: looseInt,
    checksum: optStr,
    created_at: optStr,
    metadata: record,
  })
  .passthrough();

export const OutputTargetSchema = z.object({ type: optStr, status: optStr, parameters: record, credentials: record }).passthrough();

export const ConversionSchema = z
  .object({
    id: optStr,
    target: z.string(),
    category: optStr,
    options: z.unknown().optional(),
    metadata: z.unknown().optional(),
    output_target: list(OutputTargetSchema).optional(),
  })
  .passthrough();

export const JobSchema = z
  .object({
    id: z.string().min(1),
    token: optStr,
    type: optStr,
    status: z.preprocess((v) => (v === null || v === undefined ? { code: 'unknown' } : v), JobStatusSchema),
    errors: list(UserErrorSchema),
    warnings: list(UserErrorSchema),
    process: optBool,
    fail_on_input_error: optBool,
    fail_on_conversion_error: optBool,
    conversion: list(ConversionSchema),
    input: list(InputFileSchema),
    output: list(OutputFileSchema),
    callback: optStr,
    notify_status: optBool,
    server: optStr,
    spent: looseInt,
    created_at: optStr,
    modified_at: optStr,
    download_passwords: z.array(z.string()).optional(),
  })
  .passthrough();

/** One entry of `GET /conversions`: a target and the options it takes. */
export const ConversionInfoSchema = z.object({ id: optStr, target: z.string(), category: optStr, options: z.unknown().optional() }).passthrough();

export type Job = z.infer<typeof JobSchema>;
export type JobStatus = z.infer<typeof JobStatusSchema>;
export type UserError = z.infer<typeof UserErrorSchema>;
export type InputFile = z.infer<typeof InputFileSchema>;
export type OutputFile = z.infer<typeof OutputFileSchema>;
export type Conversion = z.infer<typeof ConversionSchema>;
export type ConversionInfo = z.infer<typeof ConversionInfoSchema>;
export type OutputTarget = z.infer<typeof OutputTargetSchema>;

// ---- Request bodies (what Convoy sends; typed, not validated: the API validates them) ----

export type CloudSource = 'amazons3' | 'azure' | 'ftp' | 'googlecloud';
export type OutputTargetType = CloudSource | 'youtube' | 'gdrive';

export interface InputCreate {
  type: 'remote' | 'upload' | 'cloud' | 'input_id' | 'output' | 'base64' | 'gdrive_picker';
  source: string;
  filename?: string;
  engine?: string;
  content_type?: string;
  options?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface OutputTargetSpec {
  type: OutputTargetType;
  parameters: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface ConversionCreate {
  target: string;
  category?: string;
  options?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  output_target?: OutputTargetSpec[];
  [extra: string]: unknown;
}

export interface JobCreate {
  process?: boolean;
  input?: InputCreate[];
  conversion?: ConversionCreate[];
  callback?: string;
  notify_status?: boolean;
  fail_on_input_error?: boolean;
  fail_on_conversion_error?: boolean;
  download_passwords?: string[];
  [extra: string]: unknown;
}

/** Job status codes after which nothing changes any more. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'canceled']);

/** Completed, failed or canceled. Any other code, known or not, means "not finished yet". */
export function isTerminal(job: Pick<Job, 'status'> | { status?: { code?: string } | null }): boolean {
  const code = job.status?.code;
  return typeof code === 'string' && TERMINAL_STATUSES.has(code.toLowerCase());
}
