/**
 * A profile plus its secrets, turned into what the api2convert API expects: a conversion's
 * `output_target` entry, or a `cloud` input. Field names are the guide's.
 */
import type { DestinationType } from '../../preload/contract';
import { destinationForms, expandTemplate, type TemplateVars } from '../../preload/destination-forms';

/** One entry of `conversion[].output_target` (type aliases: assignable to main/api's index-signature types). */
export type OutputTargetSpec = {
  type: DestinationType;
  parameters: Record<string, string | number>;
  credentials: Record<string, unknown>;
};

/** An input of type `cloud` (`POST /jobs/{id}/input`). */
export type CloudInputSpec = {
  type: 'cloud';
  source: DestinationType;
  parameters: Record<string, string | number>;
  credentials: Record<string, unknown>;
  filename?: string;
};

export interface ResolvedProfile {
  type: DestinationType;
  fields: Record<string, string | number>;
  secrets: Record<string, string>;
}

/** parameters/credentials as the guide places them, without `file` (set per use). */
function split(p: ResolvedProfile): { parameters: Record<string, string | number>; credentials: Record<string, unknown> } {
  const parameters: Record<string, string | number> = {};
  const credentials: Record<string, unknown> = {};
  for (const f of destinationForms[p.type].fields) {
    if (f.key === 'file') continue;
    const value = f.secret ? p.secrets[f.key] : p.fields[f.key];
    if (value === undefined || value === '') continue;
    // The guide's example sends the key file's contents as a JSON object, not a string.
    const v = f.kind === 'keyfile' ? (JSON.parse(String(value)) as unknown) : value;
    if (f.place === 'parameters') parameters[f.key] = v as string | number;
    else credentials[f.key] = v;
  }
  return { parameters, credentials };
}

export function outputTargetFor(p: ResolvedProfile, vars: Partial<TemplateVars>): OutputTargetSpec {
  const { parameters, credentials } = split(p);
  const file = expandTemplate(String(p.fields.file ?? ''), vars);
  return { type: p.type, parameters: { ...parameters, file: stripLeadingSlash(p.type, file) }, credentials };
}

export function cloudInputFor(p: ResolvedProfile, file: string): CloudInputSpec {
  const { parameters, credentials } = split(p);
  const clean = stripLeadingSlash(p.type, file.trim());
  const base = clean.split('/').pop() ?? '';
  return {
    type: 'cloud',
    source: p.type,
    parameters: { ...parameters, file: clean },
    credentials,
    ...(base ? { filename: base.replace(/[\r\n"]/g, '') } : {}),
  };
}

/** Object keys never start with "/"; an FTP path may (absolute on the server). */
function stripLeadingSlash(type: DestinationType, file: string): string {
  return type === 'ftp' ? file : file.replace(/^\/+/, '');
}

/**
 * The blob service URL of an account: `https://<account>.blob.core.windows.net`, or an override
 * (Azurite, sovereign clouds) in which `{account}` is replaced by the account name.
 */
export function azureServiceUrl(accountname: string, endpoint?: string): string {
  if (!endpoint) return `https://${accountname}.blob.core.windows.net`;
  return endpoint.replace(/\/+$/, '').replace('{account}', accountname);
}
