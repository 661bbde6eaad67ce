/** What every feature of the controller is given: main, the stores, and what this session remembers. */
import type { ConversionOptions, ItemView } from '../../../preload/contract';
import type { AppStore } from '../store/appStore';
import type { QueueStore } from '../store/queueStore';
import type { Connection } from '../transport';
import type { Call } from './call';
import type { Memory } from './memory';
import type { PendingChanges } from './pending';

export interface Ctx {
  connection: Connection;
  api: Connection['api'];
  queue: QueueStore;
  app: AppStore;
  call: Call;
  memory: Memory;
  /** Applies buffered `items` events now (before reading the model synchronously). */
  flush(): void;
  /**
   * Rows main answered with (`withItems`), shown now rather than with the next coalesced `items`
   * event; buffered events, older than the answer, are applied first so they cannot hide it.
   */
  showAnswer(items: ItemView[] | undefined): void;
  /** Item changes sent and not answered yet (Start waits for them). */
  pending: PendingChanges;
  session: Session;
}

export interface Session {
  /** While set, added items take this target and these options instead of remembered ones (Replace, Edit URL). */
  addOverride: { target?: string; options?: ConversionOptions } | null;
  /** Source sizes the renderer knows (browser uploads), by file name (the row's label), for "size before". */
  knownSizes: Map<string, number>;
}
