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
