import pkg from '../package.json' with { type: 'json' };

/** The app version, from package.json (the one place it is written). */
export const version: string = pkg.version;
