/**
 * FTP "Test connection" with basic-ftp: log in, go to (or create) the fixed folder of the file
 * path, store a small probe file, delete it, and remove any folder the probe created.
 */
import { Readable } from 'node:stream';
import { Client, FTPError } from 'basic-ftp';
import { networkFailure, PROBE_BODY, probeFileName, ProbeFailure, quote, staticPrefix, type ProbeContext } from './common';

export interface FtpProbeInput {
  host: string;
  port: number;
  username: string;
  password: string;
  file: string;
}

export async function probeFtp(p: FtpProbeInput, ctx: ProbeContext): Promise<string> {
  const where = `the FTP server ${p.host}:${p.port}`;
  const client = new Client(ctx.timeoutMs);
  const created: string[] = [];
  try {
    try {
      await client.access({ host: p.host, port: p.port, user: p.username, password: p.password, secure: false });
    } catch (err) {
      if (err instanceof FTPError && (err.code === 530 || err.code === 331 || err.code === 332)) {
        throw new ProbeFailure(
          'auth',
          `Login failed on ${where}: the server rejected the username or password (${err.code} ${quote(err.message.replace(/^\d+\s*/, ''), ctx)})`,
        );
      }
      throw networkFailure(err, where) ?? new ProbeFailure('error', `Could not log in to ${where}: ${quote((err as Error).message, ctx)}`);
    }

    const prefix = staticPrefix(p.file);
    const start = await client.pwd();
    if (prefix.startsWith('/')) await client.cd('/');
    for (const segment of prefix.split('/').filter(Boolean)) {
      try {
        await client.cd(segment);
      } catch (err) {
        if (!(err instanceof FTPError)) throw err;
        try {
          await client.send(`MKD ${segment}`);
        } catch (mkErr) {
          if (mkErr instanceof FTPError) {
            throw new ProbeFailure(
              'permission',
              `Logged in, but may not create the folder "${segment}" on ${where} (${mkErr.code} ${quote(mkErr.message.replace(/^\d+\s*/, ''), ctx)})`,
            );
          }
          throw mkErr;
        }
        created.push(await client.pwd().then((dir) => joinPath(dir, segment)));
        await client.cd(segment);
      }
    }
    const dir = await client.pwd();
    const name = probeFileName();
    try {
      await writeAndDelete(client, dir, name, where, ctx);
    } finally {
      // Leave the server as it was: folders the probe made go away again (best effort).
      await client.cd(start).catch(() => undefined);
      for (const folder of created.reverse()) await client.removeEmptyDir(folder).catch(() => undefined);
    }
    return `Logged in to ${where} and stored and deleted a test file in "${dir}"`;
  } finally {
    client.close();
  }
}

async function writeAndDelete(client: Client, dir: string, name: string, where: string, ctx: ProbeContext): Promise<void> {
  try {
    await client.uploadFrom(Readable.from([PROBE_BODY]), name);
  } catch (err) {
    if (err instanceof FTPError && err.code >= 450) {
      throw new ProbeFailure(
        'permission',
        `Logged in, but may not store files in "${dir}" on ${where} (${err.code} ${quote(err.message.replace(/^\d+\s*/, ''), ctx)})`,
      );
    }
    throw networkFailure(err, where) ?? err;
  }
  try {
    await client.remove(name);
  } catch (err) {
    if (err instanceof FTPError) {
      throw new ProbeFailure('permission', `Stored a probe file in "${dir}" on ${where} but may not delete it (${err.code}); remove ${name} by hand`);
    }
    throw err;
  }
}

function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}
