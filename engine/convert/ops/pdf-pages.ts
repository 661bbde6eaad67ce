/** Building PDFs with pdf-lib: an image as a page, a PDF's pages appended, an image as a stamp. */
import { readFile, stat } from 'node:fs/promises';
import type { PDFDocument, PDFImage } from 'pdf-lib';
import { loadPdfLib, loadSharp } from '../lazy';
import type { JobInput } from '../target';
import { ConversionError } from '../types';

/** Everything merged is held in memory by pdf-lib: bound it. */
export const MAX_PDF_INPUT_BYTES = 1024 ** 3;
/** Largest image made into a page (pdf-lib holds its pixels while embedding). */
const MAX_PAGE_PIXELS = 100_000_000;

/** Embeds an image (PNG and JPEG as they are; anything else via PNG). */
export async function embedImage(doc: PDFDocument, input: JobInput): Promise<PDFImage> {
  const sharp = await loadSharp();
  try {
    const meta = await sharp(input.path, { failOn: 'none' }).metadata();
    // pdf-lib decodes PNGs itself, in memory: check the claimed size before it does.
    if ((meta.width ?? 0) * (meta.height ?? 0) > MAX_PAGE_PIXELS) {
      throw new ConversionError(`${input.filename} is too large to put in a PDF (more than ${MAX_PAGE_PIXELS / 1e6} megapixels)`);
    }
    if (input.ext === 'jpg' || input.ext === 'jpeg') {
      // pdf-lib does not apply EXIF orientation: only unrotated JPEGs go in as they are.
      if (!meta.orientation || meta.orientation === 1) return await doc.embedJpg(await readFile(input.path));
    }
    if (input.ext === 'png') {
      try {
        return await doc.embedPng(await readFile(input.path));
      } catch {
        // an odd PNG (16-bit, damaged CRC): re-encoded below
      }
    }
    const png = await sharp(input.path, { failOn: 'none', autoOrient: true }).png({ compressionLevel: 6 }).toBuffer();
    return await doc.embedPng(png);
  } catch (err) {
    if (err instanceof ConversionError) throw err;
    throw new ConversionError(
      `${input.filename} is not a readable image (${String((err as Error)?.message ?? err)
        .split(input.path)
        .join(input.filename)})`,
    );
  }
}

export async function loadPdf(input: JobInput): Promise<PDFDocument> {
  try {
    const { PDFDocument } = await loadPdfLib();
    return await PDFDocument.load(await readFile(input.path), { updateMetadata: false });
  } catch (err) {
    throw new ConversionError(`${input.filename} is not a readable PDF (${(err as Error).message})`);
  }
}

/** Throws when the inputs together are more than pdf-lib should hold. */
export async function checkTotalSize(inputs: JobInput[], what: string): Promise<void> {
  let total = 0;
  for (const input of inputs) total += (await stat(input.path)).size;
  if (total > MAX_PDF_INPUT_BYTES)
    throw new ConversionError(`The inputs are too large to ${what} (${Math.round(total / 1024 ** 2)} MiB; limit ${MAX_PDF_INPUT_BYTES / 1024 ** 2} MiB)`);
}

/** Appends each input to `doc`: a PDF's pages, or an image as a page of its own size (72 dpi). */
export async function appendInputs(doc: PDFDocument, inputs: JobInput[], signal?: AbortSignal): Promise<void> {
  for (const input of inputs) {
    if (signal?.aborted) throw signal.reason;
    if (input.ext === 'pdf') {
      const src = await loadPdf(input);
      for (const page of await doc.copyPages(src, src.getPageIndices())) doc.addPage(page);
    } else {
      const image = await embedImage(doc, input);
      const page = doc.addPage([image.width, image.height]);
      page.drawImage(image, { x: 0, y: 0, width: image.width, height: image.height });
    }
  }
}
