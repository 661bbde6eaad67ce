/**
 * The engine's converters: what `GET /v2/conversions` declares and what a job's conversion runs.
 * Owned by engine/convert; the job runner (engine/jobs) only calls `listTargets` and `convert`.
 */

/** One option of a target, declared with its type, range and default (JSON-schema-like). */
export interface OptionSpec {
  type: 'string' | 'integer' | 'number' | 'boolean';
  description: string;
  enum?: Array<string | number>;
  minimum?: number;
  maximum?: number;
  default?: string | number | boolean;
  /** For strings: a regular expression (source) the whole value must match. */
  pattern?: string;
}

export interface TargetSpec {
  target: string;
  category: 'image' | 'document' | 'audio' | 'video' | string;
  options: Record<string, OptionSpec>;
  /** Lower-case input extensions this target converts from; empty: any file. */
  inputs: string[];
}

/** One input of a conversion that takes several at once (archives, merge, compare, stamp). */
export interface ConvertInput {
  path: string;
  filename: string;
}

export interface ConvertRequest {
  inputPath: string;
  /** The input's original file name (its extension tells the source format). */
  inputFilename: string;
  target: string;
  /** Already validated against the target's OptionSpecs (defaults filled in). */
  options: Record<string, string | number | boolean>;
  /** An empty folder to write results into. */
  outDir: string;
  signal?: AbortSignal;
  /**
   * Every input of the job, in order, for targets whose `inputMode` is 'all' (the first one is
   * also `inputPath`/`inputFilename`).
   */
  inputs?: ConvertInput[];
}

export interface ConvertedFile {
  path: string;
  filename: string;
  contentType: string;
}

/** A conversion that cannot succeed: unsupported input, corrupt file, bad option combination. */
export class ConversionError extends Error {
  constructor(
    message: string,
    readonly code: number = 1,
  ) {
    super(message);
    this.name = 'ConversionError';
  }
}
