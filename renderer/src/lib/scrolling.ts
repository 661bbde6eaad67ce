/**
 * Whether the queue is being scrolled right now. Rows that appear mid-scroll render a light target
 * menu (just the current choice) and fill it in once scrolling settles: a fast flick through
 * 10,000 rows then mounts a few DOM nodes per row instead of every target's <option>.
 */
const SETTLE_MS = 150;
let scrolling = false;
let timer: ReturnType<typeof setTimeout> | null = null;
const listeners = new Set<() => void>();

export function noteScroll(): void {
  scrolling = true;
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    scrolling = false;
    for (const l of [...listeners]) l();
  }, SETTLE_MS);
}

export const isScrolling = (): boolean => scrolling;

export function onScrollSettled(listener: () => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}
