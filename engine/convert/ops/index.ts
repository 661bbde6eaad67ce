/**
 * The operation targets (api2convert's categories operation, archive, hash and metadata) and the
 * extended pdf target. A target whose tool is missing is left out, and `missing` says which tool
 * it lacks so that a job asking for it gets a message naming the tool.
 */
import type { TargetDef } from '../target';
import type { Tools } from '../tools';
import { archiveTargets } from './archive';
import { compareImageTarget } from './compare-image';
import { compressTarget } from './compress';
import { extractAssetsTarget } from './extract-assets';
import { hashTargets } from './hash';
import { mergeTarget } from './merge';
import { metadataTarget } from './metadata';
import { pdfTarget } from './pdf';
import { resizeImageTarget } from './resize-image';
import { thumbnailTarget } from './thumbnail';

export function operationTargets(tools: Tools, base: Map<string, TargetDef>): { defs: TargetDef[]; missing: Map<string, string> } {
  const archives = archiveTargets(tools);
  const missing = new Map(archives.missing);
  const defs: TargetDef[] = [
    thumbnailTarget(tools, base.get('pdf')),
    resizeImageTarget(),
    compressTarget(tools),
    compareImageTarget(),
    mergeTarget(),
    pdfTarget(base.get('pdf')),
    ...archives.defs,
    ...hashTargets(),
    metadataTarget(tools),
  ];
  if (tools.pdfimages) defs.push(extractAssetsTarget(tools));
  else missing.set('extract-assets', 'pdfimages (Debian package poppler-utils)');
  return { defs, missing };
}
