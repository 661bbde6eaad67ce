/**
 * What this browser remembers between sessions (localStorage, optional): the last target per file
 * type, the last options per target, whether to remember at all, and the provider's targets.
 */
import type { ConversionOptions } from '../../../preload/contract';
import { createTargetMemory, type TargetInfo } from '../lib/targets';

export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem'>;

export type Memory = ReturnType<typeof createMemory>;

export function createMemory(storage: KeyValueStorage | null) {
  const write = (key: string, value: string) => {
    try {
      storage?.setItem(key, value);
    } catch {
      /* storage full or disabled: an optimisation only */
    }
  };
  return {
    targets: createTargetMemory(storage),
    options: createOptionsMemory(storage),
    rememberChoices: (): boolean => storage?.getItem('convoy.rememberChoices') !== 'off',
    setRememberChoices: (on: boolean) => write('convoy.rememberChoices', on ? 'on' : 'off'),
    readTargets: (key: string) => (storage ? readTargetsCache(storage, key) : null),
    writeTargets: (key: string, at: number, targets: TargetInfo[]) => write(key, JSON.stringify({ at, targets })),
  };
}

export function safeLocalStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function readTargetsCache(storage: Pick<Storage, 'getItem'>, key: string): { at: number; targets: TargetInfo[] } | null {
  try {
    const parsed = JSON.parse(storage.getItem(key) ?? 'null') as { at?: unknown; targets?: unknown } | null;
    if (parsed && typeof parsed.at === 'number' && Array.isArray(parsed.targets)) return parsed as { at: number; targets: TargetInfo[] };
  } catch {
    /* ignore a broken cache */
  }
  return null;
}

/** Options last used per target, so a re-chosen target comes back with them. */
function createOptionsMemory(storage: KeyValueStorage | null) {
  const name = 'convoy.lastOptions';
  let map: Record<string, ConversionOptions> = {};
  try {
    const parsed = JSON.parse(storage?.getItem(name) ?? '{}') as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) map = parsed as Record<string, ConversionOptions>;
  } catch {
    map = {};
  }
  return {
    get: (target: string): ConversionOptions | null => (map[target] && Object.keys(map[target]).length ? map[target] : null),
    remember(target: string, options: ConversionOptions) {
      map = { ...map, [target]: options };
      try {
        storage?.setItem(name, JSON.stringify(map));
      } catch {
        /* optional */
      }
    },
  };
}
