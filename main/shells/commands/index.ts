import type { CliCommand } from '../cli-types';

/**
 * The CLI's commands, loaded lazily so `convoy --help` starts fast. Add one line per command.
 */
export const commandLoaders: Record<string, () => Promise<CliCommand>> = {
  convert: async () => (await import('./convert')).command,
  resume: async () => (await import('./resume')).command,
  status: async () => (await import('./status')).command,
  destinations: async () => (await import('./destinations')).command,
};
