/**
 * A private, real Secret Service for tests: its own D-Bus session bus (dbus-daemon with no service
 * activation) and gnome-keyring-daemon unlocked with a throwaway password, both keeping their
 * files in a temp folder. Nothing touches the user's own keyring or session bus.
 *
 * Needs the Debian packages `dbus` (dbus-daemon, dbus-send), `gnome-keyring` and `libsecret-tools`
 * (secret-tool, to look at what landed in the keyring). `keyringToolsMissing()` says which binary
 * is absent so a test can skip with that message (CI installs them, so there it fails instead).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface KeyringSession {
  /** DBUS_SESSION_BUS_ADDRESS of the private bus. */
  address: string;
  /** Environment for a child process that should use this keyring. */
  env: NodeJS.ProcessEnv;
  dir: string;
  /** Stops the keyring daemon only (the bus stays): the Secret Service disappears. */
  stopKeyring(): Promise<void>;
  close(): Promise<void>;
}

const BINARIES = ['dbus-daemon', 'gnome-keyring-daemon', 'dbus-send', 'secret-tool'];

export function keyringToolsMissing(): string | null {
  for (const bin of BINARIES) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (r.status !== 0) return `${bin} is not installed (Debian packages: dbus, gnome-keyring, libsecret-tools)`;
  }
  return null;
}

function busConfig(dir: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

async function waitForExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** A bus without any Secret Service on it (for the "no provider" path). */
export async function startBusOnly(): Promise<KeyringSession> {
  return start(false);
}

/**
 * `locked: true` starts gnome-keyring without unlocking it: no default keyring exists, reads
 * answer "nothing stored" and writes fail (as on a desktop whose login keyring is not unlocked).
 */
export async function startKeyringSession(opts: { locked?: boolean } = {}): Promise<KeyringSession> {
  return start(true, opts.locked ?? false);
}

async function start(withKeyring: boolean, locked = false): Promise<KeyringSession> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-keyring-'));
  fs.writeFileSync(path.join(dir, 'bus.conf'), busConfig(dir));
  const bus = spawn('dbus-daemon', [`--config-file=${path.join(dir, 'bus.conf')}`, '--nofork', '--print-address=1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bus.stderr!.resume();
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('dbus-daemon did not print its address within 10 s')), 10_000);
    bus.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(t);
        resolve(line.trim());
      }
    });
    bus.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`dbus-daemon exited (${code})`));
    });
  });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: address,
    HOME: dir,
    XDG_RUNTIME_DIR: dir,
    XDG_DATA_HOME: path.join(dir, 'data'),
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_CACHE_HOME: path.join(dir, 'cache'),
  };

  let keyring: ChildProcess | null = null;
  if (withKeyring) {
    const args = locked ? ['--foreground', '--components=secrets'] : ['--foreground', '--unlock', '--components=secrets'];
    keyring = spawn('gnome-keyring-daemon', args, { env, stdio: ['pipe', 'ignore', 'ignore'] });
    // --unlock reads the password of the (new) login keyring from stdin until EOF.
    keyring.stdin!.end(locked ? '' : 'convoy-test-keyring-password');
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = spawnSync(
        'dbus-send',
        [
          '--session',
          '--dest=org.freedesktop.DBus',
          '--type=method_call',
          '--print-reply',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus.NameHasOwner',
          'string:org.freedesktop.secrets',
        ],
        { env, encoding: 'utf8' },
      );
      if (r.stdout?.includes('boolean true')) break;
      if (Date.now() > deadline || keyring.exitCode !== null) {
        keyring.kill('SIGKILL');
        bus.kill('SIGKILL');
        throw new Error('gnome-keyring-daemon did not register the Secret Service within 15 s');
      }
      await new Promise((r2) => setTimeout(r2, 100));
    }
  }

  return {
    address,
    env,
    dir,
    async stopKeyring() {
      if (keyring) {
        keyring.kill('SIGTERM');
        await waitForExit(keyring, 5000);
      }
    },
    async close() {
      if (keyring) {
        keyring.kill('SIGTERM');
        await waitForExit(keyring, 5000);
      }
      bus.kill('SIGTERM');
      await waitForExit(bus, 5000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
