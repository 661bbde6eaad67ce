/**
 * Turns whatever the keychain library throws into a sentence a user can act on: what is wrong and
 * how to fix it. The library's own text is matched, never shown as is (it can name internals).
 */

export interface KeychainProblem {
  /** Stable, machine-readable reason. */
  code:
    | 'no_library'
    | 'no_session_bus'
    | 'no_secret_service'
    | 'no_collection'
    | 'locked'
    | 'prompt_dismissed'
    | 'timeout'
    | 'ambiguous'
    | 'no_access'
    | 'unknown';
  /** Why the keychain cannot be used, as a clause ("no D-Bus session bus is running"). */
  reason: string;
  /** What the user can do about it. */
  fix: string;
}

/** A keychain failure with a message safe to show (it never contains a secret value). */
export class SecretsError extends Error {
  constructor(
    message: string,
    readonly problem: KeychainProblem,
  ) {
    super(message);
    this.name = 'SecretsError';
  }
}

const LINUX_FIX =
  'Install and start a Secret Service provider (GNOME Keyring: "sudo apt install gnome-keyring", or KeePassXC with ' +
  'Secret Service integration enabled), make sure its default keyring is unlocked, then restart Convoy';

function fixFor(platform: NodeJS.Platform, linuxFix: string, other: string): string {
  return platform === 'linux' || platform === 'freebsd' ? linuxFix : other;
}

export function describeKeychainError(err: unknown, platform: NodeJS.Platform = process.platform): KeychainProblem {
  if (err instanceof SecretsError) return err.problem;
  const text = errorText(err);
  const t = text.toLowerCase();

  if (t.includes('timed out')) {
    return {
      code: 'timeout',
      reason: 'the keychain did not answer in time (it may be waiting for an unlock prompt)',
      fix: fixFor(platform, 'Unlock your keyring (e.g. open "Passwords and Keys") and restart Convoy', 'Unlock the keychain and restart Convoy'),
    };
  }
  if (t.includes('cannot find module') || t.includes('failed to load native binding') || t.includes('err_dlopen')) {
    return {
      code: 'no_library',
      reason: 'the keychain library could not be loaded on this system',
      fix: 'Reinstall Convoy; if it persists, report your OS and CPU architecture',
    };
  }
  if (t.includes('autolaunch') || (t.includes('dbus_session_bus_address') && !t.includes('failed to connect'))) {
    return {
      code: 'no_session_bus',
      reason: 'no D-Bus session bus is running (DBUS_SESSION_BUS_ADDRESS is not set)',
      fix: 'Start Convoy from a desktop session, or run it inside "dbus-run-session" with a Secret Service provider such as gnome-keyring-daemon',
    };
  }
  if (t.includes('failed to connect to socket') || t.includes('connection refused') || (t.includes('dbus') && t.includes('no such file'))) {
    return {
      code: 'no_session_bus',
      reason: 'the D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS cannot be reached',
      fix: 'Start Convoy from a desktop session (or fix DBUS_SESSION_BUS_ADDRESS), with a Secret Service provider such as GNOME Keyring running',
    };
  }
  if (t.includes('org.freedesktop.secrets') || t.includes('serviceunknown') || t.includes('not provided by any .service')) {
    return { code: 'no_secret_service', reason: 'no Secret Service provider (GNOME Keyring, KWallet, KeePassXC) is running', fix: LINUX_FIX };
  }
  if (t.includes('no result found') || t.includes('no such object') || t.includes('collection')) {
    return {
      code: 'no_collection',
      reason: 'the Secret Service has no usable default keyring (it was never created, or it is locked)',
      fix: fixFor(
        platform,
        'Open "Passwords and Keys" (seahorse) and create or unlock the default "Login" keyring, then restart Convoy',
        'Create or unlock your default keychain, then restart Convoy',
      ),
    };
  }
  if (t.includes('dismissed') || t.includes('prompt')) {
    return {
      code: 'prompt_dismissed',
      reason: 'the keychain unlock prompt was dismissed',
      fix: 'Unlock the keychain when asked, then try again',
    };
  }
  if (t.includes('locked')) {
    return {
      code: 'locked',
      reason: 'the keychain is locked',
      fix: fixFor(platform, 'Unlock your default keyring (e.g. in "Passwords and Keys"), then restart Convoy', 'Unlock the keychain, then restart Convoy'),
    };
  }
  if (t.includes('ambiguous')) {
    return {
      code: 'ambiguous',
      reason: "several keychain entries match one of Convoy's secrets (another program wrote duplicates)",
      fix: 'Delete the duplicate "Convoy" entries in your keychain manager and enter the secret again',
    };
  }
  if (t.includes('platform storage') || t.includes('no storage access') || t.includes('nostorageaccess') || t.includes('platform failure')) {
    return {
      code: 'no_access',
      reason: 'the operating system keychain could not be accessed',
      fix: fixFor(platform, LINUX_FIX, 'Check that your keychain (Keychain Access / Credential Manager) is available and unlocked, then restart Convoy'),
    };
  }
  return {
    code: 'unknown',
    reason: 'the operating system keychain reported an unexpected error',
    fix: fixFor(platform, LINUX_FIX, 'Restart Convoy; if it persists, check the log and report it'),
  };
}

/** The whole message chain of an error (`cause`s included), for matching only. */
function errorText(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; cur && i < 6; i++) {
    if (cur instanceof Error) {
      parts.push(cur.message, String((cur as { code?: unknown }).code ?? ''));
      cur = (cur as { cause?: unknown }).cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(' | ');
}
