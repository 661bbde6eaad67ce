/**
 * File names arrive from clients, URLs and remote servers. Keep only a safe base name: no path,
 * no control characters, no quotes (they break Content-Disposition), bounded length.
 */
const MAX_NAME_BYTES = 200;

export function sanitizeFilename(raw: string | undefined | null, fallback = 'file'): string {
  if (!raw) return fallback;
  let name = String(raw)
    .replace(/[\u0000-\u001f\u007f"'`]/g, '')
    .replace(/\\/g, '/');
  name = name.split('/').pop() ?? '';
  name = name.replace(/[<>:|?*]/g, '_').trim();
  // '.', '..' and names made only of dots would address directories.
  if (/^\.+$/.test(name) || name === '') return fallback;
  name = name.replace(/^\.+/, '');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    let base = name.slice(0, name.length - ext.length);
    while (Buffer.byteLength(base + ext) > MAX_NAME_BYTES) base = base.slice(0, -1);
    name = base + ext;
  }
  return name || fallback;
}

/** `filename*=UTF-8''…` or `filename="…"` from a Content-Disposition header. */
export function filenameFromContentDisposition(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[2].trim().replace(/^"|"$/g, ''));
    } catch {
      /* fall through to the plain form */
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(header);
  if (plain) return (plain[2] ?? plain[1]).trim();
  return undefined;
}

export function filenameFromUrl(url: URL): string | undefined {
  const last = url.pathname.split('/').filter(Boolean).pop();
  if (!last) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** Header value for downloads: ASCII fallback plus the exact UTF-8 name. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
}
