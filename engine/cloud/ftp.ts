/** FTP input and output target (basic-ftp, plain FTP as the guide documents it). */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Client, FTPError } from 'basic-ftp';
import { cloudError, networkReason } from './errors';
import { fileSink, tooLarge } from './stream-file';
import { DEFAULT_FTP_PORT, parseFtpHost } from './validate';
import type { CloudDescriptor } from './types';

const TIMEOUT_MS = 30_000;

interface FtpTarget {
  host: string;
  port: number;
  file: string;
}

function target(d: CloudDescriptor): FtpTarget {
  const parsed = parseFtpHost(d.parameters.host as string)!;
  const rawPort = d.parameters.port;
  const port = rawPort !== undefined && rawPort !== null && rawPort !== '' ? Number(rawPort) : (parsed.port ?? DEFAULT_FTP_PORT);
  return { host: parsed.host, port, file: d.parameters.file as string };
}

function ftpFailure(err: unknown, t: FtpTarget, action: 'download' | 'upload', stage: string): Error {
  if ((err as Error)?.name === 'CloudError') return err as Error;
  const code = err instanceof FTPError || (err as FTPError)?.name === 'FTPError' ? (err as FTPError).code : undefined;
  const net = networkReason(err);
  const server = `the FTP server ${t.host}:${t.port}`;
  if (!code && net) return cloudError('unreachable', `${server} ${net}`);
  if (!code && /timeout/i.test(String((err as Error)?.message))) return cloudError('unreachable', `${server} did not answer in time`);
  if (code === 530 || code === 430) return cloudError('auth', `${server} refused the user name or password`);
  if (stage === 'exists') return cloudError('exists', `"${t.file}" already exists on ${server} and is not overwritten`);
  if (code === 550 || code === 553 || code === 532) {
    if (action === 'download') return cloudError('not_found', `"${t.file}" does not exist on ${server} (or may not be read)`);
    return cloudError('permission', `permission denied to ${stage === 'mkdir' ? 'create the folder of' : 'write'} "${t.file}" on ${server}`);
  }
  if (code === 552) return cloudError('error', `${server} has no space left for "${t.file}"`);
  return cloudError('error', `FTP ${action} of "${t.file}" from ${server} failed${code ? ` (reply ${code})` : ''}`);
}

async function connect(d: CloudDescriptor, t: FtpTarget, signal?: AbortSignal): Promise<Client> {
  const client = new Client(TIMEOUT_MS);
  // Abort = close the control connection; the pending command then rejects.
  signal?.addEventListener('abort', () => client.close(), { once: true });
  await client.access({
    host: t.host,
    port: t.port,
    user: d.credentials.username as string,
    password: d.credentials.password as string,
    secure: false,
  });
  return client;
}

export async function fetchFtp(d: CloudDescriptor, destPath: string, opts: { signal?: AbortSignal; maxBytes?: number }): Promise<number> {
  const t = target(d);
  let client: Client | undefined;
  let stage = 'connect';
  let sink: ReturnType<typeof fileSink> | undefined;
  try {
    client = await connect(d, t, opts.signal);
    stage = 'size';
    const size = await client.size(t.file).catch((err: unknown) => {
      // Some servers do not answer SIZE; the download itself then decides.
      if (err instanceof FTPError && err.code === 550) throw err;
      return undefined;
    });
    if (opts.maxBytes !== undefined && size !== undefined && size > opts.maxBytes) throw tooLarge(opts.maxBytes);
    stage = 'download';
    sink = fileSink(destPath, opts.maxBytes);
    await client.downloadTo(sink.sink, t.file);
    return await sink.done;
  } catch (err) {
    sink?.sink.destroy();
    await sink?.done.catch(() => undefined);
    await rm(destPath, { force: true });
    if (opts.signal?.aborted) throw opts.signal.reason;
    const sinkError = sink?.failure();
    throw ftpFailure(sinkError?.name === 'CloudError' ? sinkError : err, t, 'download', stage);
  } finally {
    client?.close();
  }
}

export async function uploadFtp(d: CloudDescriptor, filePath: string, opts: { signal?: AbortSignal }): Promise<string> {
  const t = target(d);
  let client: Client | undefined;
  let stage = 'connect';
  try {
    client = await connect(d, t, opts.signal);
    const dir = path.posix.dirname(t.file);
    const name = path.posix.basename(t.file);
    if (dir !== '.' && dir !== '') {
      stage = 'mkdir';
      await client.ensureDir(dir);
    }
    stage = 'list';
    const existing = await client.list();
    if (existing.some((f) => f.name === name)) {
      stage = 'exists';
      throw cloudError('exists', `"${t.file}" already exists on the FTP server ${t.host}:${t.port} and is not overwritten`);
    }
    stage = 'upload';
    await client.uploadFrom(createReadStream(filePath), name);
    const where = t.file.startsWith('/') ? t.file : `/${t.file}`;
    return `ftp://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}${where.split('/').map(encodeURIComponent).join('/')}`;
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw ftpFailure(err, t, 'upload', stage);
  } finally {
    client?.close();
  }
}
