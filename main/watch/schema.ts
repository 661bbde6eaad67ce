/**
 * The watch area's tables (main/db.ts area 'watch'). Append migrations; never edit an applied one.
 *
 * - watch_folders:  one row per watch (folder + target + options + destination): the one queue
 *                   batch that holds everything it took, so a file is taken once across restarts.
 * - watch_baseline: files that were already there when a watch first started (not converted,
 *                   as the official CLI; `--existing` converts them too).
 */
export const watchMigrations: string[] = [
  `
  CREATE TABLE watch_folders (
    key TEXT PRIMARY KEY,
    dir TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE watch_baseline (
    key TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (key, path)
  );
  `,
  // Watches of the app (watch.* methods): the spec to start them again, and whether they are on.
  `
  ALTER TABLE watch_folders ADD COLUMN spec TEXT;
  ALTER TABLE watch_folders ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE watch_folders ADD COLUMN app INTEGER NOT NULL DEFAULT 0;
  `,
];
