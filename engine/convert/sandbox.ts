/**
 * Untrusted input meets native tools here, so each tool is fenced in:
 *
 * - ffmpeg / ffprobe read only the demuxers an input's extension stands for (`-format_whitelist`:
 *   never an HLS playlist or a concat list hiding in `evil.mp4`, which would read other host files)
 *   over the `file` protocol only (`-protocol_whitelist file`: no http, tcp, pipes or subfiles).
 * - LibreOffice runs with macros disabled and links never updated (a profile written before each
 *   run) and, where the OS allows it, in a network namespace of its own (no network at all).
 * - every tool gets a CPU-time and a memory limit (`ulimit -t` / `ulimit -d` in a /bin/sh wrapper,
 *   so the kernel enforces them even if this process dies).
 */
import { spawnSync } from 'node:child_process';
import { writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface ToolLimits {
  /** CPU seconds (all threads together); the kernel sends SIGXCPU, then SIGKILL. */
  cpuSeconds?: number;
  /** Bytes of data segment (heap and private mappings). */
  memoryBytes?: number;
}

/** Demuxers each media input extension may be read with (ffmpeg's names; a list matches a demuxer's aliases). */
const DEMUXERS: Record<string, string> = {
  aac: 'aac',
  ac3: 'ac3',
  aif: 'aiff',
  aiff: 'aiff',
  amr: 'amr,amrnb,amrwb',
  flac: 'flac',
  m4a: 'mov',
  mka: 'matroska',
  mp2: 'mp3,mpeg',
  mp3: 'mp3',
  oga: 'ogg',
  ogg: 'ogg',
  opus: 'ogg',
  wav: 'wav,w64',
  weba: 'matroska',
  wma: 'asf',
  '3gp': 'mov',
  avi: 'avi',
  flv: 'flv',
  m2ts: 'mpegts',
  m4v: 'mov',
  mkv: 'matroska',
  mov: 'mov',
  mp4: 'mov',
  mpeg: 'mpeg,mpegvideo',
  mpg: 'mpeg,mpegvideo',
  mts: 'mpegts',
  ogv: 'ogg',
  ts: 'mpegts',
  webm: 'matroska',
  wmv: 'asf',
  gif: 'gif',
  bmp: 'image2,bmp_pipe',
  png: 'image2,png_pipe',
};

/**
 * Input options that pin what ffmpeg/ffprobe may open for a file with this extension: place them
 * before `-i` (ffmpeg) or the file (ffprobe). An extension without a known demuxer list gets an
 * empty whitelist entry that matches nothing, so it fails instead of being guessed.
 */
export function ffmpegInputGuard(ext: string): string[] {
  const formats = DEMUXERS[ext.toLowerCase()] ?? 'none';
  return ['-protocol_whitelist', 'file', '-format_whitelist', formats];
}

/** Options for ffprobe guessing an unnamed input's format: any of the media demuxers above, nothing else. */
export function ffmpegSniffGuard(): string[] {
  const all = new Set(Object.values(DEMUXERS).flatMap((d) => d.split(',')));
  return ['-protocol_whitelist', 'file', '-format_whitelist', [...all].join(',')];
}

/** Default limits for one tool run: CPU = wall-clock timeout × cores, memory = a quarter of RAM (1–4 GiB). */
export function defaultToolLimits(timeoutMs: number, env: NodeJS.ProcessEnv = process.env): ToolLimits {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const cpu = Number(env.CONVOY_TOOL_CPU_SECONDS) || Math.ceil((timeoutMs / 1000) * Math.max(1, cores)) + 5;
  const memMb = Number(env.CONVOY_TOOL_MEMORY_MB);
  const memory = memMb > 0 ? memMb * 1024 * 1024 : Math.min(4 * 1024 ** 3, Math.max(1024 ** 3, Math.floor(os.totalmem() / 4)));
  return { cpuSeconds: cpu, memoryBytes: memory };
}

/** `cmd args` wrapped so the limits apply (POSIX only; elsewhere unchanged). */
export function withLimits(cmd: string, args: string[], limits: ToolLimits | undefined): { cmd: string; args: string[] } {
  if (!limits || process.platform === 'win32') return { cmd, args };
  const sets: string[] = [];
  if (limits.cpuSeconds) {
    // Soft first (SIGXCPU: a clear reason), hard a little later (SIGKILL for a tool that ignores it).
    const soft = Math.max(1, Math.ceil(limits.cpuSeconds));
    // Soft before hard: setrlimit refuses a hard limit below the current (unlimited) soft one.
    sets.push(`ulimit -St ${soft}`, `ulimit -Ht ${soft + 2}`);
  }
  if (limits.memoryBytes) sets.push(`ulimit -d ${Math.max(1024, Math.floor(limits.memoryBytes / 1024))}`);
  if (!sets.length) return { cmd, args };
  // `$0 "$@"`: the command and its arguments pass as arguments, never through the shell's parser.
  return { cmd: '/bin/sh', args: ['-c', `${sets.join('; ')}; exec "$0" "$@"`, cmd, ...args] };
}

let netnsChecked: boolean | null = null;

/** Whether tools can be put in an empty network namespace here (Linux with user namespaces, or root). */
export function canIsolateNetwork(): boolean {
  if (netnsChecked !== null) return netnsChecked;
  if (process.platform !== 'linux') return (netnsChecked = false);
  const r = spawnSync('unshare', ['--net', '--map-root-user', 'true'], { stdio: 'ignore', timeout: 5000 });
  return (netnsChecked = r.status === 0);
}

/** `cmd args` run without any network, where the OS allows it. */
export function withoutNetwork(cmd: string, args: string[]): { cmd: string; args: string[] } {
  if (!canIsolateNetwork()) return { cmd, args };
  return { cmd: 'unshare', args: ['--net', '--map-root-user', '--', cmd, ...args] };
}

const LIBREOFFICE_PROFILE = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>1</value></prop></item>
</oor:items>
`;

/** Writes a LibreOffice user profile with macros off and link updates off into `profileDir`. */
export async function writeLockedDownProfile(profileDir: string): Promise<void> {
  const user = path.join(profileDir, 'user');
  await mkdir(user, { recursive: true });
  await writeFile(path.join(user, 'registrymodifications.xcu'), LIBREOFFICE_PROFILE);
}
