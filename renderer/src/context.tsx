/** The stores and controller, shared by every component through one context. */
import { createContext, useContext, useSyncExternalStore } from 'react';
import { useStore } from 'zustand';
import type { Controller } from './controller';
import type { AppState, AppStore } from './store/appStore';
import { selectVisible, type QueueActions, type QueueState, type QueueStore } from './store/queueStore';
import type { Connection } from './transport';

export interface ConvoyContextValue {
  connection: Connection;
  controller: Controller;
  queue: QueueStore;
  app: AppStore;
  visible: () => string[];
  throttled: ReturnType<typeof createThrottledVersion>;
}

export const ConvoyContext = createContext<ConvoyContextValue | null>(null);

export function useConvoy(): ConvoyContextValue {
  const ctx = useContext(ConvoyContext);
  if (!ctx) throw new Error('useConvoy outside <ConvoyContext>');
  return ctx;
}

export function useApp<T>(selector: (s: AppState & ReturnType<AppStore['getState']>) => T): T {
  return useStore(useConvoy().app, selector);
}

export function useQueueState<T>(selector: (s: QueueState & QueueActions) => T): T {
  return useStore(useConvoy().queue, selector);
}

/** Ids the list shows under the current filter. */
export function useVisibleIds(): string[] {
  const { queue, visible } = useConvoy();
  return useSyncExternalStore(queue.subscribe, visible, visible);
}

export { selectVisible };

/**
 * The queue's change counter, published at most every `ms` (trailing): for totals and counts,
 * which nobody reads 60 times a second while hundreds of progress events arrive. One instance per
 * app, so every consumer shows the same snapshot.
 */
export function createThrottledVersion(queue: QueueStore, ms = 250) {
  let version = queue.getState().version;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  const listeners = new Set<() => void>();
  const publish = () => {
    timer = null;
    last = Date.now();
    version = queue.getState().version;
    listeners.forEach((l) => l());
  };
  queue.subscribe((s, prev) => {
    if (s.version === prev.version || timer) return;
    timer = setTimeout(publish, Math.max(0, last + ms - Date.now()));
  });
  return {
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    get: () => version,
  };
}

export function useThrottledQueueVersion(): number {
  const { throttled } = useConvoy();
  return useSyncExternalStore(throttled.subscribe, throttled.get, throttled.get);
}
