/**
 * The engine's internal job record: what is persisted, and what `render.ts` turns into the
 * api2convert JSON. Credentials are kept sealed (see util/secret-box) and never rendered.
 */
import type { CloudSource } from '../cloud/types';

export type JobStatusCode = 'incomplete' | 'downloading' | 'queued' | 'processing' | 'completed' | 'failed' | 'canceled';

export const terminalStatuses: ReadonlySet<JobStatusCode> = new Set(['completed', 'failed', 'canceled']);

/** `GET /v2/statuses`, in the order a job passes through them. */
export const statusInfo: Record<JobStatusCode, string> = {
  incomplete: 'The job is not ready to be processed: it needs inputs and conversions, or processing is paused (process: false).',
  downloading: 'The input files are being downloaded or fetched from cloud storage.',
  queued: 'The job is waiting for a free conversion slot.',
  processing: 'The files are being converted.',
  completed: 'The job has been completed successfully.',
  failed: 'The job has failed. See errors for the reason.',
  canceled: 'The job has been canceled.',
};

export type InputType = 'remote' | 'upload' | 'base64' | 'cloud';
export type InputStatus = 'downloading' | 'ready' | 'failed' | 'canceled';

export interface UserMessage {
  source: 'input' | 'conversion' | 'job';
  id_source: string;
  code: number;
  message: string;
  details: Record<string, unknown>;
}

export interface InputRecord {
  id: string;
  type: InputType;
  status: InputStatus;
  /** URL for remote, provider for cloud, the file name for uploads, 'base64' for base64. */
  source: string;
  /** Name the client asked for; wins over Content-Disposition and the URL path. */
  suggestedFilename?: string;
  filename?: string;
  size?: number;
  checksum?: string;
  contentType?: string;
  engine?: string;
  options?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  /** Sealed JSON of the credentials (cloud inputs), removed once the job has finished. */
  sealedCredentials?: string;
  /** Sealed base64 payload until it has been written to disk. */
  sealedData?: string;
  /** Path of the stored file, relative to the data dir. */
  path?: string;
  createdAt: string;
  modifiedAt: string;
}

export type TargetStatus = 'waiting' | 'uploading' | 'completed' | 'failed';

export interface OutputTargetRecord {
  type: CloudSource;
  status: TargetStatus;
  parameters: Record<string, unknown>;
  sealedCredentials?: string;
  /** Where each upload landed (provider-specific location strings). */
  locations?: string[];
}

export interface ConversionRecord {
  id: string;
  target: string;
  category: string;
  options: Record<string, string | number | boolean>;
  metadata: Record<string, unknown>;
  outputTargets: OutputTargetRecord[];
}

export interface OutputRecord {
  id: string;
  conversionId: string;
  inputIds: string[];
  filename: string;
  size: number;
  contentType: string;
  checksum: string;
  /** Relative to the data dir; absent once expired. */
  path?: string;
  createdAt: string;
  expiresAt: string;
  downloads: number;
  status: 'enabled' | 'disabled';
}

export interface HistoryEntry {
  id: string;
  status: JobStatusCode;
  info: string;
  created_at: string;
}

export interface JobRecord {
  id: string;
  token: string;
  /** sha256 of the account key that created it. */
  owner: string;
  status: JobStatusCode;
  statusInfo: string;
  process: boolean;
  failOnInputError: boolean;
  failOnConversionError: boolean;
  notifyStatus: boolean;
  callback?: string;
  /** Salted sha256 of each download password. */
  downloadPasswords?: { salt: string; hash: string }[];
  conversions: ConversionRecord[];
  inputs: InputRecord[];
  outputs: OutputRecord[];
  errors: UserMessage[];
  warnings: UserMessage[];
  /** `${inputId}:${conversionId}` pairs already converted (and uploaded) — skipped on resume. */
  done: string[];
  /** A conversion of this job is running right now (saved before it starts, cleared when it ends). */
  converting?: boolean;
  /** Times the engine's process ended while a conversion of this job was running. */
  crashes?: number;
  history: HistoryEntry[];
  createdAt: string;
  modifiedAt: string;
  finishedAt?: string;
}

export const isTerminal = (job: JobRecord): boolean => terminalStatuses.has(job.status);
