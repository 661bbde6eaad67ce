import type { CliCommand } from '../cli-types';

/**
 * The CLI's commands, loaded lazily so `convoy --help` starts fast. Add one line per command.
 */
export const commandLoaders: Record<string, () => Promise<CliCommand>> = {
  convert: async () => (await import('./convert')).command,
  resume: async () => (await import('./resume')).command,
  status: async () => (await import('./status')).command,
  destinations: async () => (await import('./destinations')).command,
  batch: async () => ({ ...(await import('./convert')).command, name: 'batch', summary: "The same as convert (the official CLI's name for many inputs)" }),
  formats: async () => (await import('./discovery')).formatsCommand,
  options: async () => (await import('./discovery')).optionsCommand,
  completion: async () => (await import('./completion')).command,
  compress: async () => (await import('./verbs')).compressCommand,
  thumbnail: async () => (await import('./verbs')).thumbnailCommand,
  resize: async () => (await import('./verbs')).resizeCommand,
  merge: async () => (await import('./verbs')).mergeCommand,
  watch: async () => (await import('./watch')).command,
  jobs: async () => (await import('./jobs')).jobsCommand,
  credits: async () => (await import('./jobs')).creditsCommand,
  login: async () => (await import('./login')).loginCommand,
  config: async () => (await import('./login')).configCommand,
};
