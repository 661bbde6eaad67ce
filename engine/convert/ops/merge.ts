/**
 * The `merge` operation: every input of the job, in order, into one PDF — PDFs contribute their
 * pages, images one page each (pdf-lib).
 */
import { writeFile } from 'node:fs/promises';
import { SHARP_INPUTS } from '../image';
import { loadPdfLib } from '../lazy';
import { outputFile, type ConvertJob, type TargetDef } from '../target';
import { ConversionError, type ConvertedFile, type OptionSpec } from '../types';
import { appendInputs, checkTotalSize } from './pdf-pages';

const options: Record<string, OptionSpec> = {
  merge_target: { type: 'string', enum: ['pdf'], default: 'pdf', description: 'Format of the merged file.' },
};

async function merge(job: ConvertJob): Promise<ConvertedFile[]> {
  await checkTotalSize(job.inputs, 'merge');
  const { PDFDocument } = await loadPdfLib();
  const doc = await PDFDocument.create();
  await appendInputs(doc, job.inputs, job.signal);
  if (doc.getPageCount() === 0) throw new ConversionError('The inputs have no pages to merge');
  const out = outputFile(job, 'pdf', job.inputs.length === 1 ? job.inputs[0].baseName : 'merged');
  await writeFile(out.path, await doc.save({ useObjectStreams: true }));
  return [out];
}

export function mergeTarget(): TargetDef {
  return {
    spec: { target: 'merge', category: 'operation', options, inputs: ['pdf', ...SHARP_INPUTS].sort() },
    inputMode: () => 'all',
    run: merge,
  };
}
