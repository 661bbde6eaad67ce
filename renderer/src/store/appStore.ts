/** App-level state beside the queue: what main reports, provider targets, notices, dialogs. */
import { createStore } from 'zustand';
import type { AppInfo, OutputFolder, Destination, CallbackStatus, ProfileView, QueueStatus, SecretsStatus, Settings } from '../../../preload/contract';
import type { TargetInfo } from '../lib/targets';
import type { RejectedLine } from '../lib/urlList';

export interface Notice {
  id: number;
  kind: 'info' | 'success' | 'error';
  text: string;
  /** A follow-up the notice offers ("Show items without a target"). */
  action?: { label: string; run: () => void };
}

export interface StagingState {
  /** Files being sent to the host (browser mode) or scanned, before they become rows. */
  files: number;
  done: number;
  bytes: number;
  bytesTotal: number;
  failed: number;
}

export type DialogState =
  | { kind: 'settings' }
  | { kind: 'destinations'; editId?: string | null }
  | { kind: 'options'; itemIds: string[]; target: string }
  | { kind: 'destination'; itemIds: string[] }
  | { kind: 'editUrl'; itemId: string }
  | { kind: 'outputFolder' }
  | { kind: 'merge'; itemIds: string[] }
  | { kind: 'watch' }
  | null;

/** One Start: the items it sent, so its result counts exactly those (one source of truth). */
export interface RunState {
  id: number;
  ids: string[];
  /** Items left out at Start (no target, or a target/option the API would refuse). */
  skipped: number;
  startedAt: number;
  endedAt: number | null;
}

export interface AppState {
  info: AppInfo | null;
  settings: Settings | null;
  queueStatus: QueueStatus | null;
  callbackStatus: CallbackStatus | null;
  secretsStatus: SecretsStatus | null;
  profiles: ProfileView[];
  /** Methods main answered 'unavailable' for (this build lacks them). */
  unavailable: ReadonlySet<string>;
  targets: TargetInfo[] | null;
  targetsState: 'idle' | 'loading' | 'error';
  targetsError: string | null;
  targetsFetchedAt: number | null;
  /** Event stream to main is up (browser mode can lose it). */
  linkUp: boolean;
  notices: Notice[];
  rejected: RejectedLine[];
  staging: StagingState | null;
  dialog: DialogState;
  /** Where newly added items go (null: the output folder). */
  addDestination: Destination | null;
  /** The output folder in use (main's answer), null until known. */
  outputFolder: OutputFolder | null;
  /** Per-item notes the row shows: options dropped on a target change, problems found before Start. */
  notes: ReadonlyMap<string, { kind: 'info' | 'problem'; text: string; fix?: 'options' | 'target' }>;
  /** Items whose target came from what was chosen before for the same type ("remembered for .jpg"). */
  remembered: ReadonlyMap<string, string>;
  /** Remember the last target and options per file type (a Setting, kept in this browser). */
  rememberChoices: boolean;
  /** Rows showing their full error text. */
  expanded: ReadonlySet<string>;
  /** The current or last Start. */
  run: RunState | null;
  /** Banners the user closed, by the text they showed (a new cause shows again). */
  dismissedBanners: ReadonlySet<string>;
}

/** What main reports (its answers and events), kept as it says. */
export type Reported = Pick<AppState, 'info' | 'settings' | 'queueStatus' | 'callbackStatus' | 'secretsStatus' | 'profiles' | 'outputFolder'>;

export type ItemNote = NonNullable<ReturnType<AppState['notes']['get']>>;

/**
 * The one way app state is written: these named actions (components and the controller never
 * call `setState`), so every change has a name to search for.
 */
export interface AppActions {
  notify(kind: Notice['kind'], text: string, action?: Notice['action']): number;
  dismiss(id: number): void;
  markUnavailable(method: string): void;
  openDialog(d: DialogState): void;
  /** Main's answer or event, as it is. */
  received(patch: Partial<Reported>): void;
  setLinkUp(up: boolean): void;
  targetsLoading(): void;
  /** Targets from main, or from the cache (`fresh: false`: the fetch is still under way). */
  targetsLoaded(targets: TargetInfo[], at: number, fresh?: boolean): void;
  targetsFailed(message: string): void;
  showRejected(lines: RejectedLine[], append?: boolean): void;
  clearRejected(): void;
  setStaging(staging: StagingState | null): void;
  setAddDestination(destination: Destination | null): void;
  /** Changes some rows' notes (the change edits a copy). */
  editNotes(change: (notes: Map<string, ItemNote>) => void): void;
  /** Changes some rows' "remembered for …" lines (the change edits a copy). */
  editRemembered(change: (remembered: Map<string, string>) => void): void;
  setRememberChoices(on: boolean): void;
  toggleExpanded(id: string): void;
  /** A Start sent these items; its result counts exactly them. */
  startRun(ids: string[], skipped: number): void;
  endRun(): void;
  clearRun(): void;
  dismissBanner(id: string): void;
}

let noticeSeq = 0;

export function createAppStore() {
  return createStore<AppState & AppActions>()((set, get) => ({
    info: null,
    settings: null,
    queueStatus: null,
    callbackStatus: null,
    secretsStatus: null,
    profiles: [],
    unavailable: new Set(),
    targets: null,
    targetsState: 'idle',
    targetsError: null,
    targetsFetchedAt: null,
    linkUp: true,
    notices: [],
    rejected: [],
    staging: null,
    dialog: null,
    addDestination: null,
    outputFolder: null,
    notes: new Map(),
    remembered: new Map(),
    rememberChoices: true,
    expanded: new Set(),
    run: null,
    dismissedBanners: new Set(),
    notify(kind, text, action) {
      const id = ++noticeSeq;
      // The same message twice in a row (e.g. a repeated 503) is shown once.
      const last = get().notices.at(-1);
      if (last && last.text === text && last.kind === kind) return last.id;
      set({ notices: [...get().notices, { id, kind, text, action }].slice(-3) });
      return id;
    },
    dismiss: (id) => set({ notices: get().notices.filter((n) => n.id !== id) }),
    markUnavailable(method) {
      if (get().unavailable.has(method)) return;
      set({ unavailable: new Set([...get().unavailable, method]) });
    },
    openDialog: (dialog) => set({ dialog }),
    received: (patch) => set(patch),
    setLinkUp: (linkUp) => set({ linkUp }),
    targetsLoading: () => set({ targetsState: 'loading', targetsError: null }),
    targetsLoaded: (targets, at, fresh = true) => set({ targets, targetsFetchedAt: at, ...(fresh ? { targetsState: 'idle' as const } : {}) }),
    targetsFailed: (message) => set({ targetsState: 'error', targetsError: message }),
    showRejected: (lines, append = false) => set({ rejected: append ? get().rejected.concat(lines) : lines }),
    clearRejected: () => set({ rejected: [] }),
    setStaging: (staging) => set({ staging: staging && { ...staging } }),
    setAddDestination: (addDestination) => set({ addDestination }),
    editNotes(change) {
      const next = new Map(get().notes);
      change(next);
      set({ notes: next });
    },
    editRemembered(change) {
      const next = new Map(get().remembered);
      change(next);
      set({ remembered: next });
    },
    setRememberChoices: (on) => set({ rememberChoices: on, ...(on ? {} : { remembered: new Map() }) }),
    toggleExpanded(id) {
      const next = new Set(get().expanded);
      if (!next.delete(id)) next.add(id);
      set({ expanded: next });
    },
    startRun(ids, skipped) {
      const prev = get().run;
      set({ run: { id: (prev?.id ?? 0) + 1, ids, skipped, startedAt: Date.now(), endedAt: null } });
    },
    endRun() {
      const run = get().run;
      if (run && !run.endedAt) set({ run: { ...run, endedAt: Date.now() } });
    },
    clearRun: () => set({ run: null }),
    dismissBanner: (id) => set({ dismissedBanners: new Set([...get().dismissedBanners, id]) }),
  }));
}
export type AppStore = ReturnType<typeof createAppStore>;

/** The user paused the queue (as main last reported it). */
export const isPaused = (s: Pick<AppState, 'queueStatus'>): boolean => s.queueStatus?.paused ?? false;
