/**
 * The client checked against the official OpenAPI spec (read from ../shared/api2convert, never
 * copied): the endpoints and headers it uses exist, and documents built from the spec's own
 * schemas and examples pass the client's zod validation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_KEY_HEADER, ConversionInfoSchema, InputFileSchema, JobSchema, OutputFileSchema, TOKEN_HEADER } from '../../main/api/index';

const specDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'api2convert');
const specPath = path.join(specDir, 'openapi.json');
const hasSpec = fs.existsSync(specPath);
if (!hasSpec) console.warn(`spec.test.ts skipped: missing ${specPath}`);

type Schema = Record<string, unknown>;

describe.skipIf(!hasSpec)(`client vs. the official spec (${specPath})`, () => {
  const spec = hasSpec
    ? (JSON.parse(fs.readFileSync(specPath, 'utf8')) as {
        paths: Record<string, Record<string, { parameters?: Array<{ name?: string; in?: string }> }>>;
        components: { schemas: Record<string, Schema> };
      })
    : null!;

  /** An instance of a schema, from its examples/defaults (every property filled). */
  function sample(schema: Schema, depth = 0): unknown {
    if (schema.$ref) return sample(spec.components.schemas[String(schema.$ref).split('/').pop()!], depth + 1);
    if (depth > 6) return undefined;
    if (schema.example !== undefined && typeof schema.example !== 'string') return schema.example;
    const type = schema.type ?? (schema.properties ? 'object' : undefined);
    if (type === 'object' || schema.properties) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) out[k] = sample(v, depth + 1);
      return out;
    }
    if (type === 'array') return [sample(schema.items as Schema, depth + 1)];
    if (schema.enum) return (schema.enum as unknown[])[0];
    if (type === 'integer' || type === 'number') return typeof schema.example === 'number' ? schema.example : 1;
    if (type === 'boolean') return schema.default ?? true;
    return typeof schema.example === 'string' ? schema.example : 'x';
  }

  it('uses endpoints that exist in the spec', () => {
    const used: Array<[string, string]> = [
      ['post', '/jobs'],
      ['get', '/jobs'],
      ['get', '/jobs/{job_id}'],
      ['patch', '/jobs/{job_id}'],
      ['delete', '/jobs/{job_id}'],
      ['post', '/jobs/{job_id}/conversions'],
      ['post', '/jobs/{job_id}/input'],
      ['get', '/conversions'],
      ['get', '/contracts'],
    ];
    for (const [method, p] of used) expect(spec.paths[p]?.[method], `${method.toUpperCase()} ${p}`).toBeDefined();
  });

  it('sends the header names the spec declares', () => {
    const headers = new Set<string>();
    for (const ops of Object.values(spec.paths)) {
      for (const op of Object.values(ops)) for (const p of op.parameters ?? []) if (p.in === 'header' && p.name) headers.add(p.name.toLowerCase());
    }
    expect(headers.has(API_KEY_HEADER.toLowerCase())).toBe(true);
    expect(headers.has(TOKEN_HEADER.toLowerCase())).toBe(true);
  });

  it('accepts documents shaped by the spec', () => {
    const s = spec.components.schemas;
    const job = sample(s.Job) as Record<string, unknown>;
    const parsed = JobSchema.safeParse(job);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(parsed.data!.input).toHaveLength(1);
    expect(parsed.data!.output).toHaveLength(1);
    expect(InputFileSchema.safeParse(sample(s.InputFile)).success).toBe(true);
    expect(OutputFileSchema.safeParse(sample(s.OutputFile)).success).toBe(true);
    expect(ConversionInfoSchema.safeParse(sample(s.ConversionList)).success).toBe(true);
  });
});
