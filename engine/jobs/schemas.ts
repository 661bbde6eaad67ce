/**
 * Request bodies at the HTTP edge (zod). Unknown fields are ignored, as the real API ignores
 * parameters it does not recognise; wrong types and missing required fields are 400s that name
 * the field.
 */
import { z } from 'zod';

/** PHP-backed APIs serialise an empty object as `[]`; accept it wherever an object is expected. */
const looseObject = z.preprocess((v) => (Array.isArray(v) && v.length === 0 ? {} : v), z.record(z.unknown()));

export const inputTypes = ['remote', 'upload', 'base64', 'cloud', 'output', 'input_id', 'gdrive_picker'] as const;
export const cloudSources = ['amazons3', 'azure', 'ftp', 'googlecloud'] as const;
export const outputTargetTypes = ['amazons3', 'googlecloud', 'azure', 'ftp', 'youtube', 'gdrive'] as const;

export const inputSchema = z.object({
  type: z.enum(inputTypes).default('remote'),
  source: z.string().min(1, 'must not be empty'),
  filename: z.string().max(1000).optional(),
  engine: z.string().optional(),
  options: looseObject.optional(),
  parameters: looseObject.optional(),
  credentials: looseObject.optional(),
  content_type: z.string().optional(),
});
export type InputSpec = z.infer<typeof inputSchema>;

export const outputTargetSchema = z.object({
  type: z.enum(outputTargetTypes),
  parameters: looseObject.optional(),
  credentials: looseObject.optional(),
});

export const conversionSchema = z.object({
  target: z.string().min(1, 'must not be empty'),
  category: z.string().optional(),
  options: looseObject.optional(),
  metadata: looseObject.optional(),
  output_target: z.array(outputTargetSchema).optional(),
});
export type ConversionSpec = z.infer<typeof conversionSchema>;

const callbackSchema = z.string().refine(
  (s) => {
    if (s === '') return true;
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an http or https URL' },
);

const passwordsSchema = z.array(z.string().regex(/^[ -~]{0,65000}$/, 'must be printable ASCII, at most 65000 characters')).max(100);

export const jobCreateSchema = z.object({
  process: z.boolean().default(true),
  fail_on_input_error: z.boolean().default(true),
  fail_on_conversion_error: z.boolean().default(true),
  notify_status: z.boolean().default(false),
  callback: callbackSchema.optional(),
  input: z.array(inputSchema).max(1000).optional(),
  conversion: z.array(conversionSchema).max(100).optional(),
  download_passwords: passwordsSchema.optional(),
});
export type JobCreateSpec = z.infer<typeof jobCreateSchema>;

export const jobPatchSchema = z.object({
  process: z.boolean().optional(),
  fail_on_input_error: z.boolean().optional(),
  fail_on_conversion_error: z.boolean().optional(),
  notify_status: z.boolean().optional(),
  callback: callbackSchema.optional(),
  download_passwords: passwordsSchema.optional(),
});
export type JobPatchSpec = z.infer<typeof jobPatchSchema>;

export const conversionPatchSchema = z.object({
  options: looseObject.optional(),
  metadata: looseObject.optional(),
});

export const inputPatchSchema = z.object({
  credentials: looseObject.optional(),
  parameters: looseObject.optional(),
  options: looseObject.optional(),
});

export const outputPatchSchema = z.object({
  filename: z.string().min(1).max(200).optional(),
  download_password: z.string().optional(),
});

/** "input[0].source: Required" — one line per problem, the first few only. */
export function describeZodError(err: z.ZodError, root = ''): string {
  const lines = err.issues.slice(0, 5).map((issue) => {
    let p = root;
    for (const seg of issue.path) p += typeof seg === 'number' ? `[${seg}]` : p ? `.${seg}` : String(seg);
    const where = p || 'body';
    if (issue.code === 'invalid_type' && issue.received === 'undefined') return `${where}: is required`;
    if (issue.code === 'invalid_union') {
      return `${where}: must be an input object or an array of input objects`;
    }
    return `${where}: ${issue.message}`;
  });
  return lines.join('; ');
}
