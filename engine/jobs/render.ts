/**
 * A job record as api2convert returns it (`GET /v2/jobs/{id}`, callbacks). Credentials come
 * back empty, base64 payloads are not echoed, download passwords are never returned.
 */
import type { ConversionRecord, InputRecord, JobRecord, OutputRecord } from './model';

export interface RenderContext {
  /** `{baseUrl}/v2/dl/web1`: where uploads and downloads go. */
  server: string;
}

export function renderInput(input: InputRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: input.id,
    type: input.type,
    status: input.status,
    source: input.source,
    filename: input.filename ?? input.suggestedFilename ?? '',
    size: input.size ?? 0,
    created_at: input.createdAt,
    modified_at: input.modifiedAt,
    parameters: input.parameters ?? {},
    options: input.options ?? {},
    metadata: {},
  };
  if (input.checksum) {
    out.checksum = input.checksum;
    out.hash = input.checksum;
  }
  if (input.contentType) out.content_type = input.contentType;
  if (input.engine) out.engine = input.engine;
  if (input.type === 'cloud') out.credentials = {};
  return out;
}

export function renderConversion(conv: ConversionRecord): Record<string, unknown> {
  return {
    id: conv.id,
    target: conv.target,
    category: conv.category,
    options: conv.options,
    metadata: conv.metadata,
    output_target: conv.outputTargets.map((t) => ({
      type: t.type,
      status: t.status,
      parameters: t.parameters,
      credentials: {},
    })),
  };
}

export function outputUri(ctx: RenderContext, jobId: string, outputId: string): string {
  return `${ctx.server}/download-file/${jobId}/${outputId}`;
}

export function renderOutput(ctx: RenderContext, jobId: string, out: OutputRecord): Record<string, unknown> {
  return {
    id: out.id,
    source: { conversion: out.conversionId, input: out.inputIds },
    filename: out.filename,
    uri: outputUri(ctx, jobId, out.id),
    size: out.size,
    status: out.status,
    content_type: out.contentType,
    downloads_counter: out.downloads,
    checksum: out.checksum,
    created_at: out.createdAt,
    expires_at: out.expiresAt,
    metadata: {},
  };
}

export function renderJob(ctx: RenderContext, job: JobRecord): Record<string, unknown> {
  return {
    id: job.id,
    token: job.token,
    type: 'job',
    status: { code: job.status, info: job.statusInfo },
    errors: job.errors,
    warnings: job.warnings,
    process: job.process,
    fail_on_input_error: job.failOnInputError,
    fail_on_conversion_error: job.failOnConversionError,
    conversion: job.conversions.map(renderConversion),
    limits: { job: {}, input: {}, output: {} },
    input: job.inputs.map(renderInput),
    output: job.outputs.map((o) => renderOutput(ctx, job.id, o)),
    callback: job.callback ?? '',
    notify_status: job.notifyStatus,
    server: ctx.server,
    spent: 0,
    created_at: job.createdAt,
    modified_at: job.modifiedAt,
  };
}
