/** The persistent batch queue (issue 4). See queue.ts for the parts and runner.ts for the flows. */
export { createQueue, Queue, DEFAULT_CONCURRENCY, defaultOutputDir, type QueueOptions, type QueueSettingsPort, type CallbackTarget } from './queue';
export type { DestinationsPort } from './runner';
export { QueueLockedError } from './lock';
export { QueueStore } from './store';
export { expandPaths } from './sources';
export type { GateSnapshot } from './gate';
