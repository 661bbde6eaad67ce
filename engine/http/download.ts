/**
 * `GET {job.server}/download-file/{job id}/{output id}`: an output's bytes. No account key (the
 * URI is the capability), but the job's download password when it has any. Streams from disk,
 * answers single byte ranges (resumed downloads) and HEAD.
 */
import fs from 'node:fs';
import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { JobRecord, OutputRecord } from '../jobs/model';
import type { JobService } from '../jobs/service';
import { contentDisposition } from '../util/filename';
import { HttpError } from './respond';

export async function serveOutput(service: JobService, req: http.IncomingMessage, res: http.ServerResponse, jobId: string, outputId: string): Promise<void> {
  const job = service.get(jobId);
  const output = job?.outputs.find((o) => o.id === outputId);
  if (!job || !output) throw new HttpError(404, 'The requested output does not exist');
  if (output.status !== 'enabled' || !output.path || Date.parse(output.expiresAt) <= Date.now()) {
    throw new HttpError(404, 'The requested output has expired and was deleted');
  }
  const password = req.headers['x-api2convert-download-password'] ?? req.headers['x-oc-download-password'];
  if (!service.checkDownloadPassword(job, Array.isArray(password) ? password[0] : password)) {
    throw new HttpError(
      401,
      password === undefined ? 'This output is protected: send its download password in X-Api2convert-Download-Password' : 'Wrong download password',
    );
  }
  const file = service.abs(output.path);
  // One open serves the size and the bytes (no second path lookup); the handle is closed below.
  let fh: fs.promises.FileHandle;
  let size: number;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch {
    throw new HttpError(404, 'The requested output is no longer available');
  }
  try {
    size = (await fh.stat()).size;
  } catch {
    await fh.close().catch(() => {});
    throw new HttpError(404, 'The requested output is no longer available');
  }
  try {
    await send(service, req, res, job, output, fh, size);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** Outputs up to this size are read in one call and sent as one buffer (no stream per small file). */
const SMALL_OUTPUT_BYTES = 256 * 1024;

async function send(
  service: JobService,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  job: JobRecord,
  output: OutputRecord,
  fh: fs.promises.FileHandle,
  size: number,
): Promise<void> {
  const outputId = output.id;
  const headers: Record<string, string | number> = {
    'Content-Type': output.contentType || 'application/octet-stream',
    'Content-Disposition': contentDisposition(output.filename),
    'Accept-Ranges': 'bytes',
    ETag: `"${output.checksum}"`,
    'Cache-Control': 'private, no-store',
  };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = req.headers.range;
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    const ok = m && (m[1] !== '' || m[2] !== '');
    if (ok) {
      if (m![1] === '') {
        start = Math.max(0, size - Number(m![2]));
      } else {
        start = Number(m![1]);
        end = m![2] === '' ? size - 1 : Math.min(Number(m![2]), size - 1);
      }
    }
    if (!ok || start > end || start >= size) {
      throw new HttpError(416, `Unsatisfiable range '${range.slice(0, 40)}' for ${size} bytes`, {
        'Content-Range': `bytes */${size}`,
      });
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  if (status === 200) {
    output.downloads++;
    service.touch(job);
  }
  const length = end - start + 1;
  let served: boolean;
  if (length <= SMALL_OUTPUT_BYTES) {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < length) {
      res.destroy(); // the file shrank under us: a short body would be a lie
      return;
    }
    served = await new Promise<boolean>((resolve) => {
      res.once('finish', () => resolve(true));
      res.once('close', () => resolve(res.writableFinished)); // the client went away
      res.end(buf);
    });
  } else {
    served = await pipeline(fh.createReadStream({ start, end, autoClose: false }), res).then(
      () => true,
      () => false, // the client went away; nothing to answer
    );
  }
  if (served && end === size - 1) service.forgetServedOutput(job, outputId);
}
