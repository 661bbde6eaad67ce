/**
 * The destination profile forms in the renderer: drafts (what the inputs hold), per-field
 * validation and the contract's `ProfileInput`. The fields and rules themselves are the shared
 * ones in preload/destination-forms, so the form says exactly what main would say on save.
 * Secret fields are write-only: a stored one may be left empty to keep it.
 */
import type { DestinationType, ProfileInput, ProfileView } from '../../../preload/contract';
import { destinationForms, validateProfile as validateShared, type DestinationField } from '../../../preload/destination-forms';

export type { DestinationField };
export const DESTINATION_TYPES = Object.keys(destinationForms) as DestinationType[];

export const DESTINATION_TYPE_LABELS: Record<DestinationType, string> = Object.fromEntries(
  DESTINATION_TYPES.map((t) => [t, destinationForms[t].label]),
) as Record<DestinationType, string>;

export function fieldsOf(type: DestinationType): DestinationField[] {
  return destinationForms[type].fields;
}

export interface ProfileDraft {
  id?: string;
  name: string;
  type: DestinationType;
  /** Every field's input text, secret or not. */
  values: Record<string, string>;
}

export function emptyDraft(type: DestinationType, name = ''): ProfileDraft {
  const values: Record<string, string> = {};
  for (const f of fieldsOf(type)) values[f.key] = f.default === undefined ? '' : String(f.default);
  return { name, type, values };
}

/** A saved profile as a draft: its fields; secrets stay empty (they never come back). */
export function draftFromProfile(p: ProfileView): ProfileDraft {
  const draft = emptyDraft(p.type, p.name);
  draft.id = p.id;
  for (const f of fieldsOf(p.type)) if (!f.secret && p.fields[f.key] !== undefined) draft.values[f.key] = String(p.fields[f.key]);
  return draft;
}

function split(draft: ProfileDraft): { fields: Record<string, string>; secrets: Record<string, string> } {
  const fields: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const f of fieldsOf(draft.type)) {
    const value = draft.values[f.key] ?? '';
    if (f.secret) {
      // An empty secret input means "keep what is stored" (or "none" for an optional one).
      if (value.trim()) secrets[f.key] = value;
    } else fields[f.key] = value;
  }
  return { fields, secrets };
}

/**
 * Field key (or 'name') → message for every invalid field. `storedSecrets` are the secret fields
 * main already holds for this profile: those may stay empty.
 */
export function validateProfileDraft(draft: ProfileDraft, storedSecrets: readonly string[] = []): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = draft.name.trim();
  if (!name) errors.name = 'Give the profile a name';
  else if (name.length > 100) errors.name = 'The name is too long (at most 100 characters)';
  const { fields, secrets } = split(draft);
  const result = validateShared(draft.type, fields, secrets, { storedSecrets });
  return { ...errors, ...result.errors };
}

/** The contract's `ProfileInput`: normalised non-secret fields, and only the secrets typed in. */
export function toProfileInput(draft: ProfileDraft): ProfileInput {
  const { fields, secrets } = split(draft);
  const result = validateShared(draft.type, fields, secrets, { allowMissingSecrets: true });
  return {
    ...(draft.id ? { id: draft.id } : {}),
    name: draft.name.trim(),
    type: draft.type,
    fields: result.fields,
    ...(Object.keys(result.secrets).length ? { secrets: result.secrets } : {}),
  };
}
