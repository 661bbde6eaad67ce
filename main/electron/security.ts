/**
 * The Electron shell's security decisions, as pure functions so they are tested in plain Node
 * (the Electron binary is not needed to check them). Only type imports from electron here.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The renderer's Content-Security-Policy in Electron: the page comes from the app's own
 * `convoy://app` origin (results too), so 'self' covers everything; no file:, no remote code.
 */
export const ELECTRON_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

export function windowOptions(opts: { preloadPath: string; dark?: boolean }): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    title: 'Convoy',
    show: false,
    backgroundColor: opts.dark ? '#16181d' : '#ffffff',
    webPreferences: {
      preload: opts.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
    },
  };
}

/** True only for the app's own page (the exact file it loaded, any hash). */
export function isAppUrl(candidate: string, appUrl: string): boolean {
  try {
    const a = new URL(candidate);
    const b = new URL(appUrl);
    return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

/** `shell.openExternal` is allowed only for well-formed http(s) URLs without credentials. */
export function isSafeExternalUrl(candidate: unknown): candidate is string {
  if (typeof candidate !== 'string' || candidate.length > 8192) return false;
  try {
    const url = new URL(candidate);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !!url.hostname;
  } catch {
    return false;
  }
}
