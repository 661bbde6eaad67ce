/**
 * Run control: one Start sends the selection, or everything queued; items the API would refuse
 * are not sent and their rows say why. The run's result counts exactly the items it sent. Pause
 * holds the queue (no new file starts) until Resume or the next Start.
 */
import { isPaused } from '../store/appStore';
import type { Ctx } from './context';
import { problemOf, type ItemProblem } from './checks';

/** How long the end-of-run check waits after a change (a burst of events is counted once). */
const RUN_CHECK_MS = 200;

export function createRun({ app, queue, call, flush, pending }: Ctx, notifyRunEnd: (text: string) => void) {
  async function start(ids?: string[]): Promise<void> {
    // A target or destination chosen just before Start counts: its answer is in the model first.
    await pending.settled();
    flush();
    const { byId, order } = queue.getState().model;
    const targets = app.getState().targets;
    const pool = ids?.length ? ids : order;
    const go: string[] = [];
    let missing = 0;
    const problems = new Map<string, ItemProblem>();
    for (const id of pool) {
      const item = byId.get(id);
      if (item?.state !== 'queued') continue;
      if (!item.target) {
        missing++;
        continue;
      }
      const p = problemOf(targets, item);
      if (p) problems.set(id, p);
      else go.push(id);
    }
    app.getState().editNotes((m) => {
      for (const id of pool) if (m.get(id)?.kind === 'problem') m.delete(id);
      for (const [id, p] of problems) m.set(id, { kind: 'problem', text: p.text, fix: p.fix });
    });
    const skipped = missing + problems.size;
    if (skipped) {
      const parts = [
        missing ? `${missing.toLocaleString()} need${missing === 1 ? 's' : ''} a target` : '',
        problems.size ? `${problems.size.toLocaleString()} would be refused (see the row${problems.size === 1 ? '' : 's'})` : '',
      ]
        .filter(Boolean)
        .join(', ');
      // The rows say it too, so the notice need not stay.
      app.getState().notify('info', `Skipped ${skipped.toLocaleString()}: ${parts}`, { label: 'Show them', run: () => queue.getState().setFilter('queued') });
    }
    if (!go.length) {
      if (!skipped) app.getState().notify('info', 'Nothing to start: no queued items');
      return;
    }
    const r = await call('queue.start', { itemIds: go });
    if (!r) return;
    app.getState().startRun(go, skipped);
    await resumeIfPaused();
    checkRun();
  }

  /** Start (and Retry, a Start of its own) means start: a paused queue resumes. */
  async function resumeIfPaused(): Promise<void> {
    if (isPaused(app.getState())) await pause(false);
  }

  /** Pause: no new file starts (those under way finish); Resume: the queue goes on. */
  async function pause(paused: boolean): Promise<void> {
    const status = await call('queue.pause', { paused });
    if (status) app.getState().received({ queueStatus: status });
  }

  /** Retry: back in the queue and started again, as a Start of its own. */
  async function retry(ids: string[]) {
    if (!ids.length) return null;
    const r = await call('queue.retry', { itemIds: ids });
    if (r?.updated) {
      flush();
      const go = ids.filter((id) => {
        const s = queue.getState().model.byId.get(id)?.state;
        return s === 'failed' || s === 'canceled' || s === 'queued';
      });
      const started = await call('queue.start', { itemIds: go });
      if (started) {
        app.getState().startRun(go, 0);
        await resumeIfPaused();
      }
    }
    return r;
  }

  async function retryFailed(): Promise<void> {
    const run = app.getState().run;
    if (!run) return;
    const { byId } = queue.getState().model;
    await retry(run.ids.filter((id) => byId.get(id)?.state === 'failed'));
  }

  /** A run ends when every item it sent is done, failed or canceled (or removed). */
  function checkRun() {
    const run = app.getState().run;
    if (!run || run.endedAt) return;
    const { byId } = queue.getState().model;
    const c = { done: 0, failed: 0, canceled: 0 };
    for (const id of run.ids) {
      const s = byId.get(id)?.state;
      if (s === 'done') c.done++;
      else if (s === 'failed') c.failed++;
      else if (s === 'canceled' || s === undefined) c.canceled++;
      else return;
    }
    app.getState().endRun();
    notifyRunEnd(
      `${c.done.toLocaleString()} converted${c.failed ? ` · ${c.failed.toLocaleString()} failed` : ''}${c.canceled ? ` · ${c.canceled.toLocaleString()} canceled` : ''}${run.skipped ? ` · ${run.skipped.toLocaleString()} skipped` : ''}`,
    );
  }

  /** Checks for the run's end after queue changes, at most every RUN_CHECK_MS. */
  function watchRun(): () => void {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = queue.subscribe((s, prev) => {
      const run = app.getState().run;
      if (s.version === prev.version || timer || !run || run.endedAt) return;
      timer = setTimeout(() => {
        timer = null;
        checkRun();
      }, RUN_CHECK_MS);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }

  return { start, pause, retry, retryFailed, watchRun };
}
