/**
 * The converters (engine/convert) and cloud connectors (engine/cloud) are owned by another part of
 * the engine; the job runner reaches them only through these two interfaces.
 */
import type { CloudDescriptor, CloudEndpoints } from '../cloud/types';
import * as convertModule from '../convert/index';
import type { ConvertedFile, ConvertRequest, TargetSpec } from '../convert/types';

export interface ConvertModule {
  listTargets(): Promise<TargetSpec[]>;
  normalizeOptions(target: string, options: unknown): Record<string, string | number | boolean>;
  convert(req: ConvertRequest): Promise<ConvertedFile[]>;
  configureConvert?(settings: { concurrency?: number; toolPaths?: { ffmpeg?: string; soffice?: string } }): void;
  /** 'all': the conversion runs once over every input of the job (archives, merge, compare). */
  inputMode?(target: string, options: Record<string, string | number | boolean>): 'each' | 'all';
  /** The tool a target needs that this machine lacks, for the error message. */
  missingTool?(target: string): string | undefined;
}

export interface CloudModule {
  fetchCloudInput(
    d: CloudDescriptor,
    destPath: string,
    opts: { endpoints?: CloudEndpoints; signal?: AbortSignal; maxBytes?: number },
  ): Promise<{ filename: string; size: number }>;
  uploadToTarget(
    d: CloudDescriptor,
    filePath: string,
    opts: { endpoints?: CloudEndpoints; signal?: AbortSignal; contentType?: string },
  ): Promise<{ location: string }>;
}

export function loadConvertModule(): ConvertModule {
  return convertModule;
}

/** Loaded on first use: the cloud SDKs are heavy and most jobs never need them. */
export async function loadCloudModule(): Promise<CloudModule> {
  return import('../cloud/index');
}
