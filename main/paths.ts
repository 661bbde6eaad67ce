import os from 'node:os';
import path from 'node:path';

/**
 * Where Convoy keeps its queue database, settings and staging files:
 * `--data-dir`, else `CONVOY_HOME`, else the OS application-data folder.
 */
export function resolveDataDir(explicit?: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.CONVOY_HOME) return path.resolve(env.CONVOY_HOME);
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Convoy');
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Convoy');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'convoy');
  }
}
