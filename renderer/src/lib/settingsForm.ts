/** The settings form: raw inputs, per-field validation, and the contract patch of what changed. */
import type { ConflictPolicy, ProviderKind, Settings, SettingsPatch } from '../../../preload/contract';

export interface SettingsDraft {
  provider: ProviderKind;
  concurrency: string;
  outputDir: string;
  conflictPolicy: ConflictPolicy;
  callbackPublicUrl: string;
  callbackPort: string;
  liveStatus: boolean;
  notifyOnBatchEnd: boolean;
  ffmpegPath: string;
  sofficePath: string;
}

export function draftFromSettings(s: Settings): SettingsDraft {
  return {
    provider: s.provider,
    concurrency: String(s.concurrency),
    outputDir: s.outputDir ?? '',
    conflictPolicy: s.conflictPolicy,
    callbackPublicUrl: s.callbackPublicUrl ?? '',
    callbackPort: String(s.callbackPort),
    liveStatus: s.liveStatus,
    notifyOnBatchEnd: s.notifyOnBatchEnd,
    ffmpegPath: s.ffmpegPath ?? '',
    sofficePath: s.sofficePath ?? '',
  };
}

export function validateSettings(d: SettingsDraft, s: Pick<Settings, 'apiKeyMasked'>): Record<string, string> {
  const errors: Record<string, string> = {};
  const c = d.concurrency.trim();
  if (!/^\d+$/.test(c) || Number(c) < 1 || Number(c) > 64) errors.concurrency = 'A whole number from 1 to 64';
  const url = d.callbackPublicUrl.trim();
  if (url) {
    let u: URL | null = null;
    try {
      u = new URL(url);
    } catch {
      errors.callbackPublicUrl = 'Not a valid URL';
    }
    if (u && u.protocol !== 'https:' && u.protocol !== 'http:') errors.callbackPublicUrl = 'Use an https:// URL';
    else if (u && (u.username || u.password)) errors.callbackPublicUrl = 'No user name or password in the URL';
  }
  const port = d.callbackPort.trim();
  if (!/^\d+$/.test(port) || Number(port) > 65535) errors.callbackPort = 'A port from 1 to 65535, or 0 for any free port';
  if (d.outputDir.length > 4096) errors.outputDir = 'Path too long';
  for (const key of ['ffmpegPath', 'sofficePath'] as const) if (d[key].length > 4096) errors[key] = 'Path too long';
  if (d.provider === 'api2convert' && !s.apiKeyMasked) errors.provider = 'Save a valid API key first';
  return errors;
}

/** Only the fields that differ from the current settings. */
export function settingsPatch(d: SettingsDraft, s: Settings): SettingsPatch {
  const patch: SettingsPatch = {};
  if (d.provider !== s.provider) patch.provider = d.provider;
  if (Number(d.concurrency) !== s.concurrency) patch.concurrency = Number(d.concurrency);
  const outputDir = d.outputDir.trim() || null;
  if (outputDir !== s.outputDir) patch.outputDir = outputDir;
  if (d.conflictPolicy !== s.conflictPolicy) patch.conflictPolicy = d.conflictPolicy;
  const url = d.callbackPublicUrl.trim() || null;
  if (url !== s.callbackPublicUrl) patch.callbackPublicUrl = url;
  if (Number(d.callbackPort) !== s.callbackPort) patch.callbackPort = Number(d.callbackPort);
  if (d.liveStatus !== s.liveStatus) patch.liveStatus = d.liveStatus;
  if (d.notifyOnBatchEnd !== s.notifyOnBatchEnd) patch.notifyOnBatchEnd = d.notifyOnBatchEnd;
  for (const key of ['ffmpegPath', 'sofficePath'] as const) {
    const value = d[key].trim() || null;
    if (value !== s[key]) patch[key] = value;
  }
  return patch;
}

export function validateApiKey(key: string): string | null {
  const k = key.trim();
  if (!k) return 'Enter the API key';
  if (k.length < 8) return 'An API key has at least 8 characters';
  if (k.length > 512) return 'Too long for an API key';
  if (/\s/.test(k)) return 'An API key contains no spaces';
  return null;
}
