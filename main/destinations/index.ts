/**
 * Destination profiles: where results go (FTP, Azure Blob, Google Cloud Storage, Amazon S3),
 * saved by name and reused across batches. Non-secret fields live in the database, secrets in the
 * secret store (`profile:<id>:<field>`). The same profiles serve as cloud inputs.
 */
import crypto from 'node:crypto';
import {
  ContractError,
  type ContractErrorCode,
  type CloudAccountRef,
  type CloudBrowseResult,
  type ConnectionTestResult,
  type Destination,
  type Handlers,
  type ProfileInput,
  type ProfileView,
} from '../../preload/contract';
import { describeErrors, destinationForms, secretFieldsOf, validateProfile, type TemplateVars } from '../../preload/destination-forms';
import type { Db } from '../db';
import type { EventBus } from '../events';
import { registerSecret, silentLogger, type Logger } from '../log';
import { SecretsError, type SecretStore } from '../secrets';
import { cloudLabel, resolveAccount } from './cloud-account';
import { azureServiceUrl, cloudInputFor, outputTargetFor, type CloudInputSpec, type OutputTargetSpec, type ResolvedProfile } from './descriptors';
import type { CloudEndpoints } from './probe';
import { ProfileStore, secretName } from './store';
import { exportProfiles, parseImport } from './transfer';

export type { CloudEndpoints } from './probe';
export type { CloudInputSpec, OutputTargetSpec } from './descriptors';

export interface DestinationsOptions {
  db: Db;
  secrets: SecretStore;
  events: EventBus;
  log?: Logger;
  /** S3 / Azure / Google Cloud endpoints of local test servers (dev/test only). */
  endpoints?: CloudEndpoints;
  /** Per network step of a connection test; default 20 s. */
  testTimeoutMs?: number;
  /** Where command-line accounts read `A2C_INPUT_CREDENTIALS` / `A2C_OUTPUT_CREDENTIALS`; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface Destinations {
  handlers(): Partial<Handlers>;
  list(): ProfileView[];
  get(id: string): ProfileView | null;
  /** Case-insensitive, for `--destination <name>`. */
  byName(name: string): ProfileView | null;
  /** `convoy convert --destination <name>` → the queue's destination; not_found names the choices. */
  destinationByName(name: string): { kind: 'profile'; profileId: string };
  save(input: ProfileInput): Promise<ProfileView>;
  duplicate(id: string, name?: string): Promise<ProfileView>;
  remove(id: string): Promise<boolean>;
  test(input: { id: string } | ProfileInput): Promise<ConnectionTestResult>;
  exportJson(ids?: string[]): string;
  importJson(json: string): Promise<{ imported: ProfileView[]; errors: string[] }>;
  /** The conversion's `output_target` entry, credentials filled in from the secret store. */
  resolveOutputTarget(profileId: string, vars: TemplateVars): Promise<OutputTargetSpec>;
  /** A `cloud` input reading `file` through the profile's account. */
  resolveCloudInput(profileId: string, file: string): Promise<CloudInputSpec>;
  /** Where an output target puts the file, for people to read (no credentials). */
  locationOf(target: OutputTargetSpec | CloudInputSpec): string;
  /** A profile's or a command-line account's output target (the queue's port). */
  resolveTarget(destination: Exclude<Destination, { kind: 'folder' }>, vars: TemplateVars): Promise<OutputTargetSpec>;
  /** A cloud input through a profile or a command-line account (the queue's port). */
  resolveInput(from: { profileId?: string; account?: CloudAccountRef }, file: string): Promise<CloudInputSpec>;
  /** `bucket/key` for a profile's object, or null for an unknown profile. */
  cloudLabel(profileId: string, file: string): string | null;
  /** Lists a profile's or account's objects under a prefix (one level, or every object). */
  browse(from: { profileId?: string; account?: CloudAccountRef }, opts: { prefix: string; recursive: boolean; limit: number }): Promise<CloudBrowseResult>;
}

/** `CONVOY_S3_ENDPOINT`, `CONVOY_AZURE_ENDPOINT`, `CONVOY_GCS_ENDPOINT` (dev/test only). */
export function endpointsFromEnv(env: NodeJS.ProcessEnv): CloudEndpoints | undefined {
  const e: CloudEndpoints = {};
  if (env.CONVOY_S3_ENDPOINT) e.amazons3 = env.CONVOY_S3_ENDPOINT;
  if (env.CONVOY_AZURE_ENDPOINT) e.azure = env.CONVOY_AZURE_ENDPOINT;
  if (env.CONVOY_GCS_ENDPOINT) e.googlecloud = env.CONVOY_GCS_ENDPOINT;
  return Object.keys(e).length ? e : undefined;
}

export function createDestinations(opts: DestinationsOptions): Destinations {
  const log = opts.log ?? silentLogger;
  const store = new ProfileStore(opts.db);
  const { secrets } = opts;

  // One change at a time: a save writes several keychain entries and a row, in that order.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const publish = () => opts.events.emit('destinations', { profiles: store.list() });

  const mustGet = (id: string): ProfileView => {
    const p = store.get(id);
    if (!p) throw new ContractError('not_found', `No destination profile with id "${id}"`);
    return p;
  };

  const keychain = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SecretsError) throw new ContractError('unavailable', err.message);
      throw err;
    }
  };

  /** The profile with every stored secret loaded; `requireSecrets` names what is missing. */
  async function resolve(p: ProfileView, requireSecrets: boolean): Promise<ResolvedProfile> {
    const values: Record<string, string> = {};
    for (const f of secretFieldsOf(p.type)) {
      const v = await keychain(() => secrets.get(secretName(p.id, f.key)));
      if (v) values[f.key] = v;
      else if (f.required && requireSecrets) {
        throw new ContractError(
          'missing_secret',
          `Destination "${p.name}" has no ${f.label.toLowerCase()} stored` +
            `${secrets.status().backend === 'memory' ? ' (secrets are kept in memory only this run)' : ''}; edit the profile and enter it`,
        );
      }
    }
    return { type: p.type, fields: p.fields, secrets: values };
  }

  async function writeSecrets(id: string, given: Record<string, string>, current: Set<string>): Promise<void> {
    for (const [key, value] of Object.entries(given)) {
      if (value === '') {
        await keychain(() => secrets.delete(secretName(id, key)));
        current.delete(key);
      } else {
        registerSecret(value);
        await keychain(() => secrets.set(secretName(id, key), value));
        current.add(key);
      }
    }
  }

  async function deleteAllSecrets(p: Pick<ProfileView, 'id' | 'type' | 'secretsSet'>): Promise<void> {
    const keys = new Set([...p.secretsSet, ...secretFieldsOf(p.type).map((f) => f.key)]);
    for (const key of keys) await keychain(() => secrets.delete(secretName(p.id, key)));
  }

  function uniqueName(wanted: string, ignoreId?: string): string {
    // Room for a " (n)" suffix within the contract's 100 characters.
    const base = wanted.length > 90 ? wanted.slice(0, 90).trimEnd() : wanted;
    const taken = (n: string) => {
      const other = store.byName(n);
      return Boolean(other && other.id !== ignoreId);
    };
    if (!taken(wanted)) return wanted;
    for (let i = 2; i < 10_000; i++) {
      const candidate = `${base} (${i})`;
      if (!taken(candidate)) return candidate;
    }
    return `${base} (${crypto.randomUUID().slice(0, 8)})`;
  }

  async function save(input: ProfileInput): Promise<ProfileView> {
    return serial(async () => {
      const existing = input.id ? mustGet(input.id) : null;
      const name = input.name.trim();
      const clash = store.byName(name);
      if (clash && clash.id !== existing?.id) throw new ContractError('conflict', `A destination profile named "${clash.name}" already exists`);
      const stored = existing && existing.type === input.type ? existing.secretsSet : [];
      const v = validateProfile(input.type, input.fields, input.secrets ?? {}, { storedSecrets: stored });
      if (!v.ok) {
        throw new ContractError('invalid_argument', `${destinationForms[input.type].label} profile "${name}": ${describeErrors(input.type, v.errors)}`);
      }
      const id = existing?.id ?? crypto.randomUUID();
      const current = new Set(stored);
      try {
        await writeSecrets(id, v.secrets, current);
        // A profile that changed type keeps none of the old type's secrets.
        if (existing && existing.type !== input.type) {
          const keep = new Set(secretFieldsOf(input.type).map((f) => f.key));
          for (const key of new Set([...existing.secretsSet, ...secretFieldsOf(existing.type).map((f) => f.key)])) {
            if (!keep.has(key)) await keychain(() => secrets.delete(secretName(id, key)));
          }
        }
      } catch (err) {
        if (!existing) await deleteAllSecrets({ id, type: input.type, secretsSet: [...current] }).catch(() => undefined);
        throw err;
      }
      const now = Date.now();
      const view: ProfileView = {
        id,
        name,
        type: input.type,
        fields: v.fields,
        secretsSet: [...current].sort(),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      if (existing) store.update(view);
      else store.insert(view);
      log.info(`destination profile ${existing ? 'updated' : 'created'}: "${name}" (${input.type})`);
      publish();
      return view;
    });
  }

  async function duplicate(id: string, name?: string): Promise<ProfileView> {
    return serial(async () => {
      const source = mustGet(id);
      const wanted = name?.trim();
      if (wanted && store.byName(wanted)) throw new ContractError('conflict', `A destination profile named "${wanted}" already exists`);
      const copyName = wanted || uniqueName(`${source.name} (copy)`);
      const resolved = await resolve(source, false);
      const newId = crypto.randomUUID();
      const current = new Set<string>();
      try {
        await writeSecrets(newId, resolved.secrets, current);
      } catch (err) {
        await deleteAllSecrets({ id: newId, type: source.type, secretsSet: [...current] }).catch(() => undefined);
        throw err;
      }
      const now = Date.now();
      const view: ProfileView = { ...source, id: newId, name: copyName, secretsSet: [...current].sort(), createdAt: now, updatedAt: now };
      store.insert(view);
      log.info(`destination profile duplicated: "${source.name}" → "${copyName}"`);
      publish();
      return view;
    });
  }

  async function remove(id: string): Promise<boolean> {
    return serial(async () => {
      const p = store.get(id);
      if (!p) return false;
      // Secrets first: a profile whose secrets could not be deleted stays, so none is orphaned.
      await deleteAllSecrets(p);
      const removed = store.remove(id);
      log.info(`destination profile removed: "${p.name}"`);
      publish();
      return removed;
    });
  }

  async function test(input: { id: string } | ProfileInput): Promise<ConnectionTestResult> {
    let resolved: ResolvedProfile;
    if (!('type' in input)) {
      const p = mustGet(input.id);
      try {
        resolved = await resolve(p, true);
      } catch (err) {
        if (err instanceof ContractError && err.code === 'missing_secret') return { ok: false, code: 'invalid', message: err.message };
        throw err;
      }
    } else {
      // An unsaved form: secrets left out are taken from the saved profile it edits.
      for (const value of Object.values(input.secrets ?? {})) registerSecret(value);
      const existing = input.id ? store.get(input.id) : null;
      const sameType = existing && existing.type === input.type ? existing : null;
      const v = validateProfile(input.type, input.fields, input.secrets ?? {}, { storedSecrets: sameType?.secretsSet ?? [] });
      if (!v.ok) return { ok: false, code: 'invalid', message: describeErrors(input.type, v.errors) };
      const stored = sameType ? (await resolve(sameType, false)).secrets : {};
      const merged: Record<string, string> = { ...stored };
      for (const [k, val] of Object.entries(v.secrets)) {
        if (val === '') delete merged[k];
        else merged[k] = val;
      }
      resolved = { type: input.type, fields: v.fields, secrets: merged };
    }
    const label = 'type' in input ? input.name : (store.get(input.id)?.name ?? input.id);
    const { testConnection } = await import('./probe');
    const r = await testConnection(resolved, { endpoints: opts.endpoints, timeoutMs: opts.testTimeoutMs });
    log.info(`connection test of "${label}" (${resolved.type}): ${r.code}`);
    return r;
  }

  async function importJson(json: string): Promise<{ imported: ProfileView[]; errors: string[] }> {
    return serial(async () => {
      const { candidates, errors } = parseImport(json);
      const imported: ProfileView[] = [];
      for (const { index, profile } of candidates) {
        const v = validateProfile(profile.type, profile.fields, {}, { allowMissingSecrets: true });
        if (!v.ok) {
          errors.push(`Profile ${index + 1} ("${profile.name}"): ${describeErrors(profile.type, v.errors)}`);
          continue;
        }
        const now = Date.now();
        const view: ProfileView = {
          id: crypto.randomUUID(),
          name: uniqueName(profile.name),
          type: profile.type,
          fields: v.fields,
          secretsSet: [],
          createdAt: now,
          updatedAt: now,
        };
        store.insert(view);
        imported.push(view);
      }
      if (imported.length) {
        log.info(`imported ${imported.length} destination profile(s)`);
        publish();
      }
      return { imported, errors };
    });
  }

  function exportJson(ids?: string[]): string {
    const profiles = ids?.length ? ids.map(mustGet) : store.list();
    return exportProfiles(profiles);
  }

  async function resolveOutputTarget(profileId: string, vars: TemplateVars): Promise<OutputTargetSpec> {
    return outputTargetFor(await resolve(mustGet(profileId), true), vars);
  }

  async function resolveCloudInput(profileId: string, file: string): Promise<CloudInputSpec> {
    if (!file.trim()) throw new ContractError('invalid_argument', 'Enter the path of the file to read from the cloud storage');
    return cloudInputFor(await resolve(mustGet(profileId), true), file);
  }

  const env = opts.env ?? process.env;

  async function resolveFrom(from: { profileId?: string; account?: CloudAccountRef }, forOutput: boolean): Promise<ResolvedProfile> {
    if (from.account) return resolveAccount(from.account, env, { forOutput });
    if (!from.profileId) throw new ContractError('invalid_argument', 'Name a destination profile or a cloud account');
    return resolve(mustGet(from.profileId), true);
  }

  async function browse(
    from: { profileId?: string; account?: CloudAccountRef },
    o: { prefix: string; recursive: boolean; limit: number },
  ): Promise<CloudBrowseResult> {
    const resolved = await resolveFrom(from, false);
    const { listObjects } = await import('./browse');
    const { ProbeFailure } = await import('./probe/common');
    try {
      const r = await listObjects(resolved, {
        prefix: o.prefix,
        hierarchical: !o.recursive,
        limit: o.limit,
        endpoints: opts.endpoints,
        timeoutMs: opts.testTimeoutMs,
      });
      return { prefix: o.prefix, entries: r.entries, truncated: r.truncated };
    } catch (err) {
      if (err instanceof ProbeFailure) {
        log.info(`cloud listing (${resolved.type}) failed: ${err.code}`);
        // Not 'unauthorized' / 'unavailable': those speak of Convoy's own API (401, 503), not the account's.
        const codes: Partial<Record<string, ContractErrorCode>> = { auth: 'cloud_auth', missing_container: 'not_found', unreachable: 'cloud_unreachable' };
        const code = codes[err.code] ?? 'invalid_argument';
        throw new ContractError(code, err.message);
      }
      throw err;
    }
  }

  function locationOf(t: OutputTargetSpec | CloudInputSpec): string {
    const type = 'source' in t ? t.source : t.type;
    const file = String(t.parameters.file ?? '');
    const p = t.parameters;
    switch (type) {
      case 'ftp':
        return `ftp://${p.host}${p.port && Number(p.port) !== 21 ? `:${p.port}` : ''}/${file.replace(/^\/+/, '')}`;
      case 'amazons3':
        return `s3://${p.bucket}/${file}`;
      case 'googlecloud':
        return `gs://${p.bucket}/${file}`;
      case 'azure':
        return `${azureServiceUrl(String(t.credentials.accountname ?? ''))}/${p.container}/${file}`;
    }
  }

  return {
    list: () => store.list(),
    get: (id) => store.get(id),
    byName: (name) => store.byName(name),
    destinationByName(name) {
      const p = store.byName(name);
      if (p) return { kind: 'profile', profileId: p.id };
      const names = store.list().map((x) => `"${x.name}"`);
      throw new ContractError(
        'not_found',
        `No destination profile named "${name}"${names.length ? `; saved profiles: ${names.join(', ')}` : '; add one with "convoy destinations add"'}`,
      );
    },
    save,
    duplicate,
    remove,
    test,
    exportJson,
    importJson,
    resolveOutputTarget,
    resolveCloudInput,
    locationOf,
    async resolveTarget(destination, vars) {
      return outputTargetFor(
        await resolveFrom(destination.kind === 'cloud' ? { account: destination.account } : { profileId: destination.profileId }, true),
        vars,
      );
    },
    async resolveInput(from, file) {
      if (!file.trim()) throw new ContractError('invalid_argument', 'Enter the path of the file to read from the cloud storage');
      return cloudInputFor(await resolveFrom(from, false), file);
    },
    cloudLabel(profileId, file) {
      const p = store.get(profileId);
      return p ? cloudLabel(p.type, p.fields, file) : null;
    },
    browse,
    handlers: () => ({
      'destinations.list': async () => store.list(),
      'destinations.save': (input) => save(input),
      'destinations.duplicate': ({ id, name }) => duplicate(id, name),
      'destinations.remove': async ({ id }) => ({ removed: await remove(id) }),
      'destinations.test': (input) => test(input),
      'destinations.export': async (args) => exportJson(args?.ids),
      'destinations.import': ({ json }) => importJson(json),
      'cloud.browse': ({ profileId, prefix, recursive }) => browse({ profileId }, { prefix, recursive: Boolean(recursive), limit: recursive ? 10_000 : 2000 }),
    }),
  };
}
