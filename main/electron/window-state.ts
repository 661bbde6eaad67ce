/**
 * The window's size, position and maximized state, remembered between runs in
 * `<dataDir>/window-state.json`. A saved position that is no longer on any display (a monitor was
 * unplugged) is dropped, so the window never opens off-screen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const WindowState = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(400).max(20_000),
  height: z.number().int().min(300).max(20_000),
  maximized: z.boolean().default(false),
});
export type WindowState = z.infer<typeof WindowState>;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1200, height: 800, maximized: false };

const fileOf = (dataDir: string) => path.join(dataDir, 'window-state.json');

export function loadWindowState(dataDir: string): WindowState {
  try {
    return WindowState.parse(JSON.parse(fs.readFileSync(fileOf(dataDir), 'utf8')));
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
}

export function saveWindowState(dataDir: string, state: WindowState): void {
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    const tmp = `${fileOf(dataDir)}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state));
    fs.renameSync(tmp, fileOf(dataDir));
  } catch {
    /* losing the window size is not worth an error */
  }
}

/**
 * Fits a saved state to the displays there are now: the size is capped to the largest work area,
 * and a position is kept only when at least 100×50 px of the title bar area would be visible.
 */
export function fitToDisplays(state: WindowState, workAreas: Rect[]): WindowState {
  if (workAreas.length === 0) return state;
  const maxW = Math.max(...workAreas.map((a) => a.width));
  const maxH = Math.max(...workAreas.map((a) => a.height));
  const width = Math.min(state.width, maxW);
  const height = Math.min(state.height, maxH);
  const { x, y } = state;
  if (x === undefined || y === undefined) return { width, height, maximized: state.maximized };
  const visible = workAreas.some((a) => {
    const w = Math.min(x + width, a.x + a.width) - Math.max(x, a.x);
    const h = Math.min(y + 50, a.y + a.height) - Math.max(y, a.y);
    return w >= 100 && h >= 50;
  });
  return visible ? { x, y, width, height, maximized: state.maximized } : { width, height, maximized: state.maximized };
}
