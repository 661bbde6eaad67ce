/**
 * What the user is told when the core cannot start: the reason in plain words and what to do,
 * instead of a window that never opens. Pure, so every case is tested in Node.
 */
import { DatabaseTooNewError } from '../db';
import { QueueLockedError } from '../queue/lock';

export interface StartupProblem {
  title: string;
  message: string;
  detail: string;
  /** Whether trying again can help (e.g. after closing the other Convoy). */
  canRetry: boolean;
}

export function describeStartupError(err: unknown, ctx: { dataDir: string; logFile: string }): StartupProblem {
  const seeLog = `Details are in the log: ${ctx.logFile}`;
  if (err instanceof QueueLockedError) {
    return {
      title: 'Convoy is already running',
      message: `Another Convoy (process ${err.pid}) is using the data folder.`,
      detail:
        `Close the other Convoy (it may be the command line or browser mode) and choose Try Again.\n` +
        `If no other Convoy is running, delete ${ctx.dataDir}/queue.lock and try again.\n\n${seeLog}`,
      canRetry: true,
    };
  }
  if (err instanceof DatabaseTooNewError) {
    return {
      title: 'This data was written by a newer Convoy',
      message: `The queue database is from a newer version of Convoy (${err.area} schema ${err.found}; this version knows ${err.known}).`,
      detail: `Install the newer Convoy again, or start this one with another data folder (set CONVOY_HOME).\nNothing was changed in ${ctx.dataDir}.\n\n${seeLog}`,
      canRetry: false,
    };
  }
  const code = (err as { code?: unknown })?.code;
  const text = err instanceof Error ? err.message : String(err);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return {
      title: 'Convoy cannot write its data folder',
      message: `Convoy has no permission to write ${ctx.dataDir}.`,
      detail: `Give your user write access to that folder, or start Convoy with another data folder (set CONVOY_HOME).\n\n${text}\n${seeLog}`,
      canRetry: true,
    };
  }
  if (code === 'ENOSPC') {
    return {
      title: 'The disk is full',
      message: `There is no space left for Convoy's data in ${ctx.dataDir}.`,
      detail: `Free some space on that disk and choose Try Again.\n\n${seeLog}`,
      canRetry: true,
    };
  }
  if (code === 'SQLITE_BUSY' || /database is locked/i.test(text)) {
    return {
      title: 'The data folder is in use',
      message: 'Another program holds Convoy\u2019s database open.',
      detail: `Close other Convoy windows or programs using ${ctx.dataDir} and choose Try Again.\n\n${seeLog}`,
      canRetry: true,
    };
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || /file is not a database|malformed/i.test(text)) {
    return {
      title: 'Convoy\u2019s database is damaged',
      message: `The queue database in ${ctx.dataDir} cannot be read.`,
      detail: `Quit Convoy, move convoy.db out of that folder (keep it for support), and start again: Convoy starts with an empty queue.\n\n${seeLog}`,
      canRetry: false,
    };
  }
  return {
    title: 'Convoy could not start',
    message: text.length > 300 ? `${text.slice(0, 300)}…` : text || 'An unexpected error stopped Convoy while starting.',
    detail: `Try again; if it happens again, the log says more: ${ctx.logFile}`,
    canRetry: true,
  };
}
