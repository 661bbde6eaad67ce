/**
 * `GET {job.server}/download-file/{job id}/{output id}`: an output's bytes. No account key (the
 * URI is the capability), but the job's download password when it has any. Streams from disk,
 * answers single byte ranges (resumed downloads) and HEAD.
 */
import fs from 'node:fs';
import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
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
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch {
    throw new HttpError(404, 'The requested output is no longer available');
  }
  const size = stat.size;
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
  const served = await pipeline(fs.createReadStream(file, { start, end }), res).then(
    () => true,
    () => false, // the client went away; nothing to answer
  );
  if (served && end === size - 1) service.forgetServedOutput(job, outputId);
}
