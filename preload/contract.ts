/**
 * The one typed contract between the renderer and main.
 *
 * Every request the UI can make is a method here with a zod schema for its argument; main
 * validates every argument against it before a handler runs (whatever the transport: Electron IPC,
 * browser-mode HTTP, or a direct call from the CLI). Every push from main to the UI is an event
 * here with its payload type. Nothing else crosses the boundary.
 *
 * This file must stay importable from the sandboxed preload, the renderer and main alike: it
 * imports zod and nothing from main/ or engine/.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Shared value schemas
// ---------------------------------------------------------------------------------------------

export const ConflictPolicy = z.enum(['rename', 'overwrite', 'skip']);
export type ConflictPolicy = z.infer<typeof ConflictPolicy>;

export const ItemState = z.enum(['queued', 'creating', 'uploading', 'converting', 'downloading', 'delivering', 'done', 'failed', 'canceled']);
export type ItemState = z.infer<typeof ItemState>;

/** Option values sent with a conversion (`conversion[].options`). */
export const ConversionOptions = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
export type ConversionOptions = z.infer<typeof ConversionOptions>;

const Id = z.string().min(1).max(200);
const Ids = z.array(Id).min(1).max(100_000);

/**
 * A cloud account named on the command line (`--input-cloud`/`--output-target`): the provider,
 * its non-secret parameters, and where its credentials are read when a job is created — a JSON
 * file or an environment variable. The credentials themselves are never stored or sent here.
 * Accepted from the CLI only; the app uses saved profiles.
 */
export const CloudAccountRef = z
  .object({
    type: z.enum(['ftp', 'azure', 'googlecloud', 'amazons3']),
    parameters: z.record(z.string(), z.union([z.string().max(4096), z.number()])),
    credentialsFrom: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('file'), path: z.string().min(1).max(4096) }).strict(),
      z.object({ kind: z.literal('env'), name: z.enum(['A2C_INPUT_CREDENTIALS', 'A2C_OUTPUT_CREDENTIALS']) }).strict(),
    ]),
  })
  .strict();
export type CloudAccountRef = z.infer<typeof CloudAccountRef>;

/** Where results go: a local folder, a saved destination profile, or (CLI) a cloud account. */
export const Destination = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('folder'), path: z.string().min(1).max(4096).optional() }),
  z.object({ kind: z.literal('profile'), profileId: Id }),
  z.object({ kind: z.literal('cloud'), account: CloudAccountRef }),
]);
export type Destination = z.infer<typeof Destination>;

const FileSource = z.object({
  kind: z.literal('file'),
  path: z.string().min(1).max(4096),
  relDir: z.string().max(4096).optional(),
});
const UrlSource = z.object({ kind: z.literal('url'), url: z.string().min(1).max(8192), filename: z.string().max(255).optional() });

/** Most inputs one merge may have (one job's input list). */
export const MAX_MERGE_INPUTS = 500;

/** One source to add to the queue. `relDir` keeps the structure of a dropped folder. */
export const SourceInput = z.discriminatedUnion('kind', [
  FileSource,
  UrlSource,
  /** An object of a saved profile's account, or (CLI) of an account given inline; exactly one of the two. */
  z.object({
    kind: z.literal('cloud'),
    profileId: Id.optional(),
    account: CloudAccountRef.optional(),
    file: z.string().min(1).max(4096),
  }),
  /**
   * Several files / URLs merged, in this order, into ONE result: one job with an input array.
   * `name` is the result's base name (default "merged").
   */
  z.object({
    kind: z.literal('merge'),
    inputs: z
      .array(z.discriminatedUnion('kind', [FileSource, UrlSource]))
      .min(2)
      .max(MAX_MERGE_INPUTS),
    name: z.string().min(1).max(255).optional(),
  }),
]);
export type SourceInput = z.infer<typeof SourceInput>;

export const AddItem = z.object({
  source: SourceInput,
  target: z.string().min(1).max(64).optional(),
  options: ConversionOptions.optional(),
  destination: Destination.optional(),
});
export type AddItem = z.infer<typeof AddItem>;

export const ProviderKind = z.enum(['local', 'api2convert']);
export type ProviderKind = z.infer<typeof ProviderKind>;

export const SettingsPatch = z
  .object({
    provider: ProviderKind,
    concurrency: z.number().int().min(1).max(64),
    outputDir: z.string().max(4096).nullable(),
    conflictPolicy: ConflictPolicy,
    callbackPublicUrl: z.string().url().max(2048).nullable(),
    callbackPort: z.number().int().min(0).max(65535),
    liveStatus: z.boolean(),
    notifyOnBatchEnd: z.boolean(),
    /** Where the local engine finds ffmpeg / LibreOffice's soffice when they are not found by themselves (null: look for them). */
    ffmpegPath: z.string().max(4096).nullable(),
    sofficePath: z.string().max(4096).nullable(),
  })
  .partial()
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;

// Destination profiles: the provider forms of the api2convert guide. Secrets are write-only
// through the contract: they come in on save and never go back out (`secretsSet` names the stored ones instead).
export const DestinationType = z.enum(['ftp', 'azure', 'googlecloud', 'amazons3']);
export type DestinationType = z.infer<typeof DestinationType>;

export const ProfileInput = z.object({
  id: Id.optional(),
  name: z.string().trim().min(1).max(100),
  type: DestinationType,
  /** Non-secret fields (host, port, bucket, region, container, projectid, file path template…). */
  fields: z.record(z.string(), z.union([z.string(), z.number()])),
  /** Secret fields (password, accountkey, secretaccesskey, sessiontoken, keyfile). Omit to keep. */
  secrets: z.record(z.string(), z.string()).optional(),
});
export type ProfileInput = z.infer<typeof ProfileInput>;

// ---------------------------------------------------------------------------------------------
// Result and event payload types (main → renderer; main is trusted, so plain types)
// ---------------------------------------------------------------------------------------------

export interface AppInfo {
  version: string;
  shell: 'electron' | 'browser' | 'cli';
  provider: ProviderKind;
  /** Base URL of the API in use (the local engine's loopback URL, or api2convert's). */
  apiBaseUrl: string;
  dataDir: string;
  /** Disk used by the data folder (queue, logs, staged uploads, the local engine's files). */
  dataDirBytes?: number;
}

export interface Settings {
  provider: ProviderKind;
  concurrency: number;
  outputDir: string | null;
  conflictPolicy: ConflictPolicy;
  callbackPublicUrl: string | null;
  callbackPort: number;
  liveStatus: boolean;
  notifyOnBatchEnd: boolean;
  ffmpegPath: string | null;
  sofficePath: string | null;
  /** Masked API key ("••••abcd") or null when none is stored. Never the key itself. */
  apiKeyMasked: string | null;
  /** True when the ngrok authtoken is stored. */
  hasTunnelToken: boolean;
  /** True when callbacks must carry a valid `X-Oc-Signature` (a signing secret is stored or set in the environment). */
  hasCallbackSigningSecret: boolean;
}

/** One option of a conversion target, as declared by `GET /v2/conversions`. */
export interface OptionSpec {
  type: 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  enum?: Array<string | number>;
  minimum?: number;
  maximum?: number;
  default?: string | number | boolean;
}

export interface ConversionTarget {
  target: string;
  category: string;
  options: Record<string, OptionSpec>;
  /** Source extensions this target converts from, when the provider says (the local engine does). */
  inputs?: string[];
}

/**
 * Why an item failed (or a note on a done one: 'skipped'). Closed: a new code is added here on
 * purpose, with what the user can do about it, and the CLI's exit code for it (run-report.ts).
 */
export type ItemErrorCode =
  /** The API (or Convoy) refused the target or options. */
  | 'validation'
  /** The source: a missing or unreadable file, an unreachable URL, a cloud object. */
  | 'input'
  /** The conversion itself failed on the server. */
  | 'conversion'
  | 'not_found'
  /** The API or a cloud account refused the credentials. */
  | 'auth'
  | 'payment'
  /** The API kept failing (given up after the bounded retries), or answered an unexpected error. */
  | 'server'
  /** Something this build or setup does not offer (cloud sources without destination profiles). */
  | 'unavailable'
  /** The API's answer cannot be used (too many outputs, a body over the limit, a bad output URI). */
  | 'bad_response'
  /** The result cannot be written locally (EACCES, ENOTDIR …). */
  | 'output'
  /** The result could not be delivered to a destination profile. */
  | 'delivery'
  /** The item's work ended the process again and again (the crash-loop guard). */
  | 'crashed'
  /** The job was canceled on the server. */
  | 'canceled'
  /** Not an error: done without converting, the result already existed. */
  | 'skipped';

export interface ItemError {
  message: string;
  code: ItemErrorCode;
  /** What the user can do about it, in a few words ("Choose another target", "Check the URL"). */
  action?: string;
}

/**
 * A failure message that says the source itself could not be read (damaged, or not the format
 * its name says): main's CLI action and the window's fixes (Replace file) both go by it.
 */
export const UNREADABLE_SOURCE =
  /corrupt|not a readable|unsupported image|unsupported (file|input)|invalid (file|input|image)|cannot (read|decode|identify)|bad (header|data)|premature end|not a valid|unknown format|truncated/i;

export interface ItemView {
  id: string;
  batchId: string;
  /** What the user sees: file base name or URL. */
  label: string;
  sourceKind: SourceInput['kind'];
  /** Lower-case extension of the source when known ('jpg', 'docx'…), for target filtering. */
  sourceExt: string | null;
  target: string | null;
  options: ConversionOptions;
  destination: Destination | null;
  /** The folder this item's results go to (folder destinations), fixed when it was added. */
  outDir?: string | null;
  state: ItemState;
  /** Set while the queue waits for the API (offline / rate limited): the item is not failing. */
  waiting: 'offline' | 'rate_limited' | null;
  bytesUp: number;
  bytesUpTotal: number | null;
  bytesDown: number;
  bytesDownTotal: number | null;
  error: ItemError | null;
  /** Why the latest attempt of an unfinished item failed while it is retried (null or absent otherwise). */
  lastError?: string | null;
  /** Local result paths (folder destination) or remote locations (profile destination). */
  outputs: string[];
  updatedAt: number;
}

export interface BatchCounts {
  total: number;
  queued: number;
  active: number;
  done: number;
  failed: number;
  canceled: number;
}

export interface BatchView {
  id: string;
  createdAt: number;
  counts: BatchCounts;
}

/** A watched folder of the app: files that appear in it are converted, each once (main/watch). */
export interface WatchView {
  id: string;
  dir: string;
  target: string;
  options: ConversionOptions;
  /** Where its results go. */
  outDir: string;
  recursive: boolean;
  enabled: boolean;
  /** The queue batch that holds everything this folder produced. */
  batchId: string;
  counts: BatchCounts | null;
}

export interface QueueStatus {
  running: boolean;
  /** 'online', or why work waits. */
  connection: 'online' | 'offline' | 'rate_limited';
  /** Human-readable reason for the current connection state. */
  reason: string | null;
  /** Why nothing proceeds until something changes: a refused key, an exhausted quota, a full disk (absent: none). */
  halt?: 'auth' | 'quota' | 'disk' | null;
  /** When the next attempt to reach the API is due (epoch ms), while offline or rate limited. */
  retryAt: number | null;
  /** Items that wait for the connection to come back. */
  waitingItems: number;
  concurrency: number;
  /** The user paused the queue: no new job starts (those under way finish) until resumed. */
  paused: boolean;
  totals: BatchCounts;
  /** Remaining credits when the provider reports them (api2convert contracts). */
  credits: number | null;
  /** The provider's contract has no credit limit (the local engine). */
  creditsUnlimited?: boolean;
}

export interface CallbackStatus {
  mode: 'callback' | 'polling';
  /** Why this mode ("No public URL set", "Probe timed out after 5 s"…). */
  reason: string;
  publicUrl: string | null;
  lastProbe: { ok: boolean; at: number; reason: string | null } | null;
  received: number;
  rejected: number;
}

export interface SecretsStatus {
  backend: 'keychain' | 'safeStorage' | 'memory';
  /** When secrets are memory-only: exactly why and how to fix it. */
  warning: string | null;
}

export interface ProfileView {
  id: string;
  name: string;
  type: DestinationType;
  fields: Record<string, string | number>;
  /** Which secret fields are stored (never their values). */
  secretsSet: string[];
  createdAt: number;
  updatedAt: number;
}

export interface ConnectionTestResult {
  ok: boolean;
  /** 'ok' | 'unreachable' | 'tls' | 'auth' | 'missing_container' | 'permission' | 'invalid' | 'error' */
  code: string;
  message: string;
}

/** One entry of a cloud listing ("Add from cloud…"). */
export interface CloudEntry {
  /** Full object key; folders end with "/". */
  key: string;
  name: string;
  folder: boolean;
  size: number | null;
}

export interface CloudBrowseResult {
  prefix: string;
  /** Folders first, then objects, by key. */
  entries: CloudEntry[];
  /** More entries exist than were listed. */
  truncated: boolean;
}

export interface OutputFolder {
  /** The folder in use now (absolute). */
  path: string;
  /** True when no folder is set and the built-in default applies. */
  isDefault: boolean;
  /** The built-in default (~/Downloads/Convoy, or ~/Convoy without a Downloads folder). */
  defaultPath: string;
}

export interface AddResult {
  batchId: string;
  itemIds: string[];
  /** Inputs that were not added, with the reason (e.g. not an http(s) URL, duplicate). */
  rejected: Array<{ input: string; reason: string }>;
}

/** `queue.add`'s answer. */
export interface AddAnswer extends AddResult {
  /** With `withItems`: the added items as `queue.list` shows them, in `itemIds` order. */
  items?: ItemView[];
}

/** The answer of a change to items (target, destination, cancel). */
export interface ChangeAnswer {
  updated: number;
  /**
   * With `withItems`: the items changed (for a cancel, those asked for) as `queue.list` shows them.
   * A window shows the change at once (a menu does not fall back to its old choice until `items`
   * arrives, up to 200 ms later).
   */
  items?: ItemView[];
}

// ---------------------------------------------------------------------------------------------
// Methods
// ---------------------------------------------------------------------------------------------

const Empty = z.object({}).strict().optional();

export const methods = {
  'app.info': { input: Empty, output: {} as AppInfo },
  /** Desktop: files opened with Convoy before the window was ready (each handed over once; later ones come as `filesOpened`). */
  'app.takeOpenedFiles': { input: Empty, output: {} as { paths: string[] } },

  'settings.get': { input: Empty, output: {} as Settings },
  'settings.update': { input: SettingsPatch, output: {} as Settings },
  /** Checks the key with a cheap authenticated call before storing it in the keychain. */
  'settings.setApiKey': {
    input: z.object({ apiKey: z.string().trim().min(8).max(512) }).strict(),
    output: {} as Settings,
  },
  'settings.clearApiKey': { input: Empty, output: {} as Settings },
  'settings.setTunnelToken': {
    input: z.object({ token: z.string().trim().min(1).max(512).nullable() }).strict(),
    output: {} as Settings,
  },
  /** The secret callbacks are signed with (HMAC-SHA256); null removes it (then unsigned callbacks are accepted). */
  'settings.setCallbackSigningSecret': {
    input: z.object({ secret: z.string().trim().min(16, 'Use at least 16 characters').max(512).nullable() }).strict(),
    output: {} as Settings,
  },
  'secrets.status': { input: Empty, output: {} as SecretsStatus },

  'conversions.list': {
    input: z.object({ refresh: z.boolean().optional() }).strict().optional(),
    output: [] as ConversionTarget[],
  },

  'queue.add': {
    input: z
      .object({
        items: z.array(AddItem).min(1).max(100_000),
        /** Applied to items that do not name their own. */
        target: z.string().min(1).max(64).optional(),
        options: ConversionOptions.optional(),
        destination: Destination.optional(),
        /** Add to this batch instead of a new one. */
        batchId: Id.optional(),
        /** Answer the added items too: a window shows their rows at once, without waiting for `items` (which still follows). */
        withItems: z.boolean().optional(),
      })
      .strict(),
    output: {} as AddAnswer,
  },
  'queue.list': {
    input: z
      .object({
        batchId: Id.optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(100_000).default(1000),
      })
      .strict()
      .optional(),
    output: {} as { total: number; items: ItemView[] },
  },
  'queue.batches': { input: Empty, output: [] as BatchView[] },
  'queue.setTarget': {
    input: z
      // null clears the target again (undoing a change to a selection).
      .object({ itemIds: Ids, target: z.string().min(1).max(64).nullable(), options: ConversionOptions.optional(), withItems: z.boolean().optional() })
      .strict(),
    output: {} as ChangeAnswer,
  },
  'queue.setDestination': {
    input: z.object({ itemIds: Ids, destination: Destination, withItems: z.boolean().optional() }).strict(),
    output: {} as ChangeAnswer,
  },
  /** Starts the queued items (all, or those given). Items without a target are reported. */
  'queue.start': {
    input: z.object({ itemIds: Ids.optional(), batchId: Id.optional() }).strict().optional(),
    output: {} as { started: number; missingTarget: number },
  },
  /**
   * Merges these items' sources (files or URLs), in this order, into ONE new item: one job with
   * an input array, one result (target default "merge": a PDF). The merged rows that were queued
   * and not started are removed (they are now inputs of the merge).
   */
  'queue.merge': {
    input: z
      .object({
        itemIds: z.array(Id).min(2).max(MAX_MERGE_INPUTS),
        target: z.string().min(1).max(64).optional(),
        name: z.string().trim().min(1).max(255).optional(),
      })
      .strict(),
    output: {} as { batchId: string; itemId: string; removed: number },
  },
  'queue.retry': { input: z.object({ itemIds: Ids }).strict(), output: {} as { updated: number } },
  'queue.cancel': { input: z.object({ itemIds: Ids, withItems: z.boolean().optional() }).strict(), output: {} as ChangeAnswer },
  'queue.remove': { input: z.object({ itemIds: Ids }).strict(), output: {} as { removed: number } },
  'queue.status': { input: Empty, output: {} as QueueStatus },
  /** Pauses or resumes the queue (kept across restarts); answers the new status. */
  'queue.pause': { input: z.object({ paused: z.boolean() }).strict(), output: {} as QueueStatus },

  'callbacks.status': { input: Empty, output: {} as CallbackStatus },
  /** Runs the self-test now. */
  'callbacks.probe': { input: Empty, output: {} as CallbackStatus },

  'destinations.list': { input: Empty, output: [] as ProfileView[] },
  'destinations.save': { input: ProfileInput, output: {} as ProfileView },
  'destinations.duplicate': {
    input: z.object({ id: Id, name: z.string().trim().min(1).max(100).optional() }).strict(),
    output: {} as ProfileView,
  },
  'destinations.remove': { input: z.object({ id: Id }).strict(), output: {} as { removed: boolean } },
  'destinations.test': {
    input: z.union([z.object({ id: Id }).strict(), ProfileInput]),
    output: {} as ConnectionTestResult,
  },
  /** JSON text of the profiles without any secret. */
  'destinations.export': {
    input: z
      .object({ ids: z.array(Id).optional() })
      .strict()
      .optional(),
    output: '' as string,
  },
  'destinations.import': {
    input: z.object({ json: z.string().min(2).max(5_000_000) }).strict(),
    output: {} as { imported: ProfileView[]; errors: string[] },
  },

  /**
   * Lists a saved profile's bucket / container / FTP folder under `prefix` with the provider's
   * official client: one level (folders and objects), or with `recursive` every object below.
   * Errors: `cloud_auth` (the provider refused the account, in its words), `not_found` (no such
   * bucket / container / folder), `cloud_unreachable`, `invalid_argument`.
   */
  'cloud.browse': {
    input: z.object({ profileId: Id, prefix: z.string().max(1024).default(''), recursive: z.boolean().optional() }).strict(),
    output: {} as CloudBrowseResult,
  },

  /** Opens a finished item's result with the OS (Electron) or serves it (browser mode). */
  'files.open': { input: z.object({ itemId: Id }).strict(), output: {} as { opened: boolean; url?: string } },
  'files.reveal': { input: z.object({ itemId: Id }).strict(), output: {} as { revealed: boolean } },
  /** Native pickers; browser mode answers `{ paths: [] , unsupported: true }`. */
  'files.pick': {
    input: z.object({ folders: z.boolean().optional() }).strict().optional(),
    output: {} as { paths: string[]; unsupported?: boolean },
  },
  'files.pickFolder': { input: Empty, output: {} as { path: string | null; unsupported?: boolean } },
  /** Desktop: starts dragging a finished item's result out of the window (to a folder, another app). */
  'files.startDrag': { input: z.object({ itemId: Id }).strict(), output: {} as { started: boolean } },
  /** Where results go when an item names no folder: the setting, else the built-in default. */
  'files.outputFolder': { input: Empty, output: {} as OutputFolder },
  /** Opens the output folder with the OS (Electron); elsewhere answers its path to show. */
  'files.openOutputFolder': { input: Empty, output: {} as { opened: boolean; path: string } },

  /** Watched folders (the app and browser mode; the CLI has `convoy watch`). */
  'watch.list': { input: Empty, output: [] as WatchView[] },
  /** Starts watching: files that arrive from now on (with `existing`, those already there too). */
  'watch.add': {
    input: z
      .object({
        dir: z.string().min(1).max(4096),
        target: z.string().min(1).max(64),
        options: ConversionOptions.optional(),
        /** Where results go (default: the output folder). */
        outDir: z.string().min(1).max(4096).optional(),
        recursive: z.boolean().optional(),
        existing: z.boolean().optional(),
      })
      .strict(),
    output: {} as WatchView,
  },
  'watch.setEnabled': { input: z.object({ id: Id, enabled: z.boolean() }).strict(), output: {} as WatchView },
  /** Stops and forgets a watch (what it produced stays in the queue). */
  'watch.remove': { input: z.object({ id: Id }).strict(), output: {} as { removed: boolean } },
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodArgs<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = Methods[M]['output'];
export const methodNames = Object.keys(methods) as MethodName[];

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

export interface Events {
  /** Item changes, coalesced (at most a few batches per second). */
  items: { items: ItemView[]; removed?: string[] };
  queueStatus: QueueStatus;
  callbackStatus: CallbackStatus;
  settings: Settings;
  batchDone: { batchId: string; counts: BatchCounts };
  destinations: { profiles: ProfileView[] };
  /** Desktop: a menu command or shortcut for the window to carry out. */
  appCommand: { command: AppCommand };
  /** Desktop: files opened with Convoy (command line, a second launch, Finder's "Open with"). */
  filesOpened: { paths: string[] };
}
export type EventName = keyof Events;

/** Commands the desktop menu sends to the window. */
export const appCommands = ['addFiles', 'addFolder', 'addUrls', 'start', 'pauseResume', 'settings', 'destinations'] as const;
export type AppCommand = (typeof appCommands)[number];

// Every event is listed here: a missing or extra key fails the typecheck, so none is silently
// left unforwarded over IPC or SSE.
const eventTable = {
  items: true,
  queueStatus: true,
  callbackStatus: true,
  settings: true,
  batchDone: true,
  destinations: true,
  appCommand: true,
  filesOpened: true,
} as const satisfies Record<EventName, true>;
export const eventNames = Object.keys(eventTable) as EventName[];

// ---------------------------------------------------------------------------------------------
// The shapes every adapter implements
// ---------------------------------------------------------------------------------------------

/** Main's implementation: one async function per method, taking validated args. */
export type Handlers = { [M in MethodName]: (args: MethodArgs<M>) => Promise<MethodOutput<M>> };

export type Unsubscribe = () => void;

/** What the renderer holds, whatever the transport. */
export interface ConvoyApi {
  invoke<M extends MethodName>(method: M, args?: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): Unsubscribe;
}

/**
 * What the Electron preload exposes as `window.convoy`. `invoke` answers a `Reply` and never
 * rejects: contextBridge would strip a thrown error down to its message, losing the code.
 */
export interface ConvoyBridge {
  invoke<M extends MethodName>(method: M, args?: MethodInput<M>): Promise<Reply<MethodOutput<M>>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): Unsubscribe;
  /** `webUtils.getPathForFile`: the host path of a dropped or picked file ('' when it has none). */
  pathForFile(file: File): string;
}

/** Every code a method error may carry. Closed: a new code is added here on purpose. */
export const CONTRACT_ERROR_CODES = [
  'invalid_argument',
  'not_found',
  'conflict',
  /** The API key was refused. */
  'unauthorized',
  /** Not reachable or not offered now; trying again later may work. */
  'unavailable',
  'internal',
  /** Browser mode: a request body over the limit (413). */
  'too_large',
  /** Browser mode: a request body that did not arrive in time (408). */
  'timeout',
  /** A destination profile lacks a stored secret. */
  'missing_secret',
  /** A cloud account refused its credentials (the CLI exits 3). */
  'cloud_auth',
  /** A cloud account's endpoint could not be reached (the CLI exits 8). */
  'cloud_unreachable',
] as const;
export type ContractErrorCode = (typeof CONTRACT_ERROR_CODES)[number];

/** Error shape that crosses the boundary: a message and a code, never a stack. */
export interface ContractErrorShape {
  code: ContractErrorCode;
  message: string;
}

/** The one error class of the contract, on both sides of the boundary (main and renderer). */
export class ContractError extends Error {
  constructor(
    readonly code: ContractErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ContractError';
  }

  /**
   * An error as a transport received it (an answer's body, an HTTP status): an unknown or missing
   * code becomes the closest known one, so nothing ad hoc reaches the code that handles it.
   */
  static fromWire(code: unknown, message: unknown, httpStatus?: number): ContractError {
    const text = typeof message === 'string' && message ? message : 'Internal error';
    if (typeof code === 'string' && (CONTRACT_ERROR_CODES as readonly string[]).includes(code)) return new ContractError(code as ContractErrorCode, text);
    return new ContractError(codeForStatus(httpStatus), text);
  }
}

/** The contract code an HTTP status stands for (no status: the connection failed). */
function codeForStatus(status: number | undefined): ContractErrorCode {
  if (status === undefined) return 'internal';
  if (status === 0 || status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status === 400 || status === 422) return 'invalid_argument';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 409) return 'conflict';
  if (status === 413) return 'too_large';
  return 'internal';
}

/** What a transport answers for one call: a value, or an error shape (never a thrown class, which IPC would strip). */
export type Reply<T = unknown> = { ok: true; value: T } | { ok: false; error: ContractErrorShape };

/** A reply's value, or its error rebuilt as a `ContractError` (code and message intact). */
export function unwrapReply<T>(reply: Reply<T>): T {
  if (reply?.ok) return reply.value;
  const error = (reply as { error?: Partial<ContractErrorShape> } | null)?.error;
  throw ContractError.fromWire(error?.code, error?.message ?? 'Internal error');
}

/** Validates a method's argument, turning zod's issues into one readable sentence. */
export function parseArgs<M extends MethodName>(method: M, raw: unknown): MethodArgs<M> {
  const spec = methods[method];
  if (!spec) throw new ContractError('not_found', `Unknown method "${String(method)}"`);
  const result = spec.input.safeParse(raw === null ? undefined : raw);
  if (!result.success) {
    const detail = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : 'argument'}: ${i.message}`)
      .join('; ');
    throw new ContractError('invalid_argument', `Invalid argument for ${method}: ${detail}`);
  }
  return result.data as MethodArgs<M>;
}

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (eventNames as string[]).includes(name);
}

/** Electron IPC channel names (used by the preload and by main's IPC adapter). */
export const methodChannel = (method: MethodName) => `convoy:${method}`;
export const eventChannel = (event: EventName) => `convoy-event:${event}`;
