/** The queue's internal records (what the store reads and writes). */
import type { ConflictPolicy, ConversionOptions, Destination, ItemError, ItemState, SourceInput } from '../../preload/contract';

/**
 * A unit's phase. Each phase is recorded before its side effect runs, so a restart knows exactly
 * which request may have been sent and checks the server before repeating anything.
 *
 *   pending → creating → (uploading → starting →) converting → downloading → finished
 */
export type UnitPhase = 'pending' | 'creating' | 'uploading' | 'starting' | 'converting' | 'downloading' | 'finished';

/**
 * The phases a unit may move to from each phase (the store refuses any other move). Every phase
 * may end in `finished` (all its items failed or were canceled).
 */
export const NEXT_PHASES = {
  pending: ['creating', 'finished'],
  creating: ['uploading', 'converting', 'finished'],
  uploading: ['starting', 'converting', 'finished'],
  starting: ['converting', 'finished'],
  converting: ['downloading', 'finished'],
  downloading: ['finished'],
  finished: [],
} as const satisfies { [P in UnitPhase]: readonly UnitPhase[] };

/** The phases a unit may move to from `P`. */
export type NextPhase<P extends UnitPhase> = (typeof NEXT_PHASES)[P][number];

export interface UnitRow {
  id: string;
  batchId: string;
  seq: number;
  kind: SourceInput['kind'];
  phase: UnitPhase;
  idemKey: string;
  uploadUuid: string;
  remoteId: string | null;
  server: string | null;
  attempts: number;
  /** Times a step of this unit was running when the process died. */
  crashes: number;
  /**
   * A step is marked running (beginAttempt to endAttempt). Read when no step of the unit runs in
   * this process, it means the process ended during one: the next attempt counts it as a crash.
   */
  running: boolean;
  /** The reason of the latest failed attempt (cleared by a successful step). */
  lastError: string | null;
  nextAt: number;
}

/** One result of an item: a claimed local path (folder destination) or a remote location. */
export interface OutputRecord {
  /** The API's output id (local downloads). */
  outputId?: string;
  /** Claimed local path. */
  path?: string;
  /** Remote location (profile destinations). */
  location?: string;
  done: boolean;
  /** The path existed and the conflict policy is `skip`: nothing was written. */
  skipped?: boolean;
  /** For `overwrite` claims: the file that was there before, to tell it apart from ours after a crash. */
  before?: { ino: number; mtimeMs: number; size: number } | null;
}

export interface ItemRow {
  id: string;
  batchId: string;
  seq: number;
  unitId: string | null;
  source: SourceInput;
  label: string;
  sourceExt: string | null;
  target: string | null;
  options: ConversionOptions;
  destination: Destination | null;
  outDir: string | null;
  conflict: ConflictPolicy;
  state: ItemState;
  convIndex: number | null;
  convId: string | null;
  error: ItemError | null;
  outputs: OutputRecord[];
  bytesUp: number;
  bytesUpTotal: number | null;
  bytesDown: number;
  bytesDownTotal: number | null;
  /** The last error of the item's unit while it is retried (not the item's final error). */
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export const isTerminalItem = (s: ItemState): boolean => s === 'done' || s === 'failed' || s === 'canceled';

/** Where a batch's API key comes from; the key itself is never stored. */
export type ApiKeySource = 'flag' | 'env' | 'keychain' | 'local';

/** The API a batch belongs to: its jobs exist there only, so it continues there only. */
export interface BatchApi {
  /** Base URL with `/v2`; null for the in-process local engine (its port changes per run). */
  baseUrl: string | null;
  keySource: ApiKeySource;
}

export function sameApi(a: BatchApi, b: BatchApi): boolean {
  return a.baseUrl === b.baseUrl && a.keySource === b.keySource;
}
