/**
 * The `pdf` target, extended: PDFs and images become PDFs with pdf-lib (office documents still go
 * through LibreOffice when it is installed), and `stamp: true` puts the job's image input onto
 * every page of its PDF input as a watermark, placed by `alignment` — api2convert's two-input
 * watermark job.
 */
import { copyFile, writeFile } from 'node:fs/promises';
import { SHARP_INPUTS } from '../image';
import { loadPdfLib } from '../lazy';
import { outputFile, type ConvertJob, type TargetDef } from '../target';
import { ConversionError, type ConvertedFile, type OptionSpec } from '../types';
import { appendInputs, checkTotalSize, embedImage, loadPdf } from './pdf-pages';

const ALIGNMENTS = ['center', 'top', 'bottom', 'left', 'right', 'top-left', 'top-right', 'bottom-left', 'bottom-right'];

const options: Record<string, OptionSpec> = {
  stamp: { type: 'boolean', default: false, description: "Stamp the job's image input onto every page of its PDF input (a watermark)." },
  alignment: { type: 'string', enum: ALIGNMENTS, default: 'center', description: 'Where the stamp goes on the page.' },
  stamp_opacity: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'Opacity of the stamp, 0 (invisible) to 1 (opaque).' },
  stamp_size: { type: 'integer', minimum: 1, maximum: 100, default: 40, description: "The stamp's largest width or height, in percent of the page." },
  pdf_a: { type: 'boolean', default: false, description: 'Write PDF/A-2b (archival) from office documents (LibreOffice).' },
};

async function stamp(job: ConvertJob): Promise<ConvertedFile[]> {
  const pdfInput = job.inputs.find((i) => i.ext === 'pdf');
  const imageInput = job.inputs.find((i) => i.ext !== 'pdf');
  if (!pdfInput || !imageInput) {
    throw new ConversionError('stamp needs two inputs: the PDF to stamp and the image to stamp onto it');
  }
  await checkTotalSize([pdfInput, imageInput], 'stamp');
  const doc = await loadPdf(pdfInput);
  const image = await embedImage(doc, imageInput);
  const o = job.options;
  const align = o.alignment as string;
  const margin = 18;
  for (const page of doc.getPages()) {
    const { width: pw, height: ph } = page.getSize();
    const scale = Math.min((((o.stamp_size as number) / 100) * pw) / image.width, (((o.stamp_size as number) / 100) * ph) / image.height);
    const w = image.width * scale;
    const h = image.height * scale;
    const x = align.includes('left') ? margin : align.includes('right') ? pw - w - margin : (pw - w) / 2;
    const y = align.startsWith('top') ? ph - h - margin : align.startsWith('bottom') ? margin : (ph - h) / 2;
    page.drawImage(image, { x, y, width: w, height: h, opacity: o.stamp_opacity as number });
  }
  const out = outputFile(job, 'pdf', pdfInput.baseName);
  await writeFile(out.path, await doc.save({ useObjectStreams: true }));
  return [out];
}

async function toPdf(job: ConvertJob, office?: TargetDef): Promise<ConvertedFile[]> {
  if (job.options.stamp) return stamp(job);
  const input = job.inputs[0];
  if (job.options.pdf_a && (!office || input.ext === 'pdf' || SHARP_INPUTS.includes(input.ext))) {
    throw new ConversionError(`pdf_a is made from office documents by LibreOffice; ${input.filename} cannot be converted to PDF/A here`);
  }
  const out = outputFile(job, 'pdf');
  if (input.ext === 'pdf') {
    await loadPdf(input); // a damaged PDF fails here, with its name
    await copyFile(input.path, out.path);
    return [out];
  }
  if (SHARP_INPUTS.includes(input.ext)) {
    await checkTotalSize([input], 'convert');
    const { PDFDocument } = await loadPdfLib();
    const doc = await PDFDocument.create();
    await appendInputs(doc, [input], job.signal);
    await writeFile(out.path, await doc.save());
    return [out];
  }
  if (!office) throw new ConversionError(`Converting .${input.ext} files to pdf needs LibreOffice (soffice), which this engine's machine does not have`);
  return office.run(job);
}

/** `office`: LibreOffice's pdf target, when installed. */
export function pdfTarget(office: TargetDef | undefined): TargetDef {
  const inputs = [...new Set(['pdf', ...SHARP_INPUTS, ...(office?.spec.inputs ?? [])])].sort();
  return {
    spec: { target: 'pdf', category: 'document', options, inputs },
    inputMode: (o) => (o.stamp ? 'all' : 'each'),
    run: (job) => toPdf(job, office),
  };
}
