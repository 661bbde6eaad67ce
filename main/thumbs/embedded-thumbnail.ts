/**
 * The preview picture an office file carries inside its zip: OpenDocument files (odt, ods, odp…)
 * keep one in `Thumbnails/thumbnail.png`, Office Open XML files (docx, xlsx, pptx) in
 * `docProps/thumbnail.jpeg` when the program that saved them wrote one. Reading it costs a few
 * KB of the file, where rendering the document would take LibreOffice seconds.
 *
 * The zip may be hostile: at most MAX_ENTRIES directory entries are looked at, and the picture is
 * read only up to MAX_PICTURE_BYTES whatever its header claims.
 */
import yauzl from 'yauzl';

const PICTURES = new Set(['thumbnails/thumbnail.png', 'docprops/thumbnail.jpeg', 'docprops/thumbnail.jpg', 'docprops/thumbnail.png']);
const MAX_ENTRIES = 5000;
const MAX_PICTURE_BYTES = 4 * 1024 * 1024;

/** The picture's bytes, or null when the file has none (or is no zip). */
export function embeddedThumbnail(file: string): Promise<Buffer | null> {
  return new Promise((resolve) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true, strictFileNames: false, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return resolve(null);
      let seen = 0;
      let settled = false;
      const finish = (value: Buffer | null) => {
        if (settled) return;
        settled = true;
        zip.close();
        resolve(value);
      };
      zip.on('error', () => finish(null));
      zip.on('end', () => finish(null));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (++seen > MAX_ENTRIES) return finish(null);
        if (!PICTURES.has(entry.fileName.toLowerCase()) || entry.uncompressedSize > MAX_PICTURE_BYTES) return zip.readEntry();
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr || !stream) return finish(null);
          const chunks: Buffer[] = [];
          let bytes = 0;
          stream.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes > MAX_PICTURE_BYTES) {
              stream.destroy();
              return finish(null);
            }
            chunks.push(chunk);
          });
          stream.on('error', () => finish(null));
          stream.on('end', () => finish(bytes > 0 ? Buffer.concat(chunks) : null));
        });
      });
      zip.readEntry();
    });
  });
}
