/**
 * Export and import of destination profiles as JSON, never with a secret: an exported file can be
 * mailed to a colleague, who then enters the secrets on their machine.
 */
import { z } from 'zod';
import { DestinationType, type ProfileView } from '../../preload/contract';
import { destinationForms } from '../../preload/destination-forms';

export const EXPORT_FORMAT = 'convoy-destination-profiles';

export interface ExportedProfile {
  name: string;
  type: ProfileView['type'];
  fields: Record<string, string | number>;
  /** Secret fields the profile needs; their values are never exported. */
  secretsNeeded: string[];
}

export function exportProfiles(profiles: ProfileView[], now = new Date()): string {
  const out = {
    format: EXPORT_FORMAT,
    version: 1,
    exportedAt: now.toISOString(),
    note: 'Secrets (passwords, keys, tokens) are not included; enter them after importing.',
    profiles: profiles.map<ExportedProfile>((p) => {
      const nonSecret = new Set(destinationForms[p.type].fields.filter((f) => !f.secret).map((f) => f.key));
      return {
        name: p.name,
        type: p.type,
        // Only the form's non-secret fields, so nothing stray can leak through an export.
        fields: Object.fromEntries(Object.entries(p.fields).filter(([k]) => nonSecret.has(k))),
        secretsNeeded: destinationForms[p.type].fields.filter((f) => f.secret && f.required).map((f) => f.key),
      };
    }),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

const ImportedProfile = z.object({
  name: z.string().trim().min(1).max(100),
  type: DestinationType,
  fields: z.record(z.string(), z.union([z.string(), z.number()])),
});

const ImportFile = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(1),
  profiles: z.array(z.unknown()).max(10_000),
});

export type ImportCandidate = z.infer<typeof ImportedProfile>;

/** Parses an export; each profile is checked on its own so one bad entry does not sink the rest. */
export function parseImport(json: string): { candidates: Array<{ index: number; profile: ImportCandidate }>; errors: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { candidates: [], errors: ['The file is not valid JSON'] };
  }
  const file = ImportFile.safeParse(raw);
  if (!file.success) {
    return { candidates: [], errors: [`This is not a Convoy destination profile export (expected "format": "${EXPORT_FORMAT}", "version": 1)`] };
  }
  const candidates: Array<{ index: number; profile: ImportCandidate }> = [];
  const errors: string[] = [];
  file.data.profiles.forEach((entry, index) => {
    const parsed = ImportedProfile.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      errors.push(`Profile ${index + 1}: ${issue ? `${issue.path.join('.') || 'entry'}: ${issue.message}` : 'invalid'}`);
      return;
    }
    if (entry && typeof entry === 'object' && ('secrets' in entry || 'credentials' in entry)) {
      errors.push(`Profile ${index + 1} ("${parsed.data.name}"): secrets in the file were ignored; enter them in Convoy`);
    }
    candidates.push({ index, profile: parsed.data });
  });
  return { candidates, errors };
}
