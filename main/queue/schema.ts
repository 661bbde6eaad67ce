/**
 * The queue's tables (area 'queue' of main/db.ts). Append migrations; never edit an applied one.
 *
 * - queue_batches: one row per batch.
 * - queue_units:   one row per api2convert job Convoy runs (a "unit"): its phase, its stable
 *                  Idempotency-Key and upload UUID, and the remote job id once created. A unit has
 *                  one source and one or more conversions (items that share a source).
 * - queue_items:   what the user sees: one source + target + options + destination.
 * - queue_claims:  output paths taken by items, so two items never write one file.
 * - queue_cache:   small cached documents (the conversions list), readable offline.
 *
 * No API key, job token, credential or output URL is ever stored here.
 */
export const queueMigrations: string[] = [
  `
  CREATE TABLE queue_batches (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE queue_units (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES queue_batches(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    phase TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    upload_uuid TEXT NOT NULL,
    remote_id TEXT,
    server TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX queue_units_phase ON queue_units(phase, seq);
  CREATE INDEX queue_units_remote ON queue_units(remote_id);
  CREATE INDEX queue_units_batch ON queue_units(batch_id, phase);
  CREATE TABLE queue_items (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES queue_batches(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    unit_id TEXT REFERENCES queue_units(id) ON DELETE SET NULL,
    source_kind TEXT NOT NULL,
    source TEXT NOT NULL,
    label TEXT NOT NULL,
    source_ext TEXT,
    target TEXT,
    options TEXT NOT NULL DEFAULT '{}',
    destination TEXT,
    out_dir TEXT,
    conflict TEXT NOT NULL,
    state TEXT NOT NULL,
    conv_index INTEGER,
    conv_id TEXT,
    error TEXT,
    outputs TEXT NOT NULL DEFAULT '[]',
    bytes_up INTEGER NOT NULL DEFAULT 0,
    bytes_up_total INTEGER,
    bytes_down INTEGER NOT NULL DEFAULT 0,
    bytes_down_total INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX queue_items_batch ON queue_items(batch_id, seq);
  CREATE INDEX queue_items_batch_state ON queue_items(batch_id, state);
  CREATE INDEX queue_items_unit ON queue_items(unit_id);
  CREATE INDEX queue_items_seq ON queue_items(seq);
  CREATE TABLE queue_claims (
    path_key TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    item_id TEXT NOT NULL,
    batch_id TEXT NOT NULL
  );
  CREATE INDEX queue_claims_item ON queue_claims(item_id);
  CREATE TABLE queue_cache (
    name TEXT PRIMARY KEY,
    fetched_at INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  `,
  // Each batch remembers its API: the base URL (null = the in-process local engine) and where its
  // key came from ('flag' | 'env' | 'keychain' | 'local'), never the key itself.
  `
  ALTER TABLE queue_batches ADD COLUMN api_base_url TEXT;
  ALTER TABLE queue_batches ADD COLUMN api_key_source TEXT;
  `,
  // The crash-loop guard and the last error of a unit: `running` is set while a step runs (cleared
  // when it ends, however it ends), so a step found still running at the next start killed the
  // process; `crashes` counts those. `last_error` is the reason of the latest failed attempt.
  `
  ALTER TABLE queue_units ADD COLUMN running INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE queue_units ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE queue_units ADD COLUMN last_error TEXT;
  `,
  // The queue's own switches that outlive a restart (`paused`: the user paused the queue).
  `
  CREATE TABLE queue_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
];
