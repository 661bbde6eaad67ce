/** Presets per account (owner = sha256 of the account key), in the engine's SQLite database. */
import type { Db } from './db';

export interface PresetRecord {
  id: string;
  name: string;
  target: string;
  category: string;
  scope: 'public' | 'private';
  options: Record<string, unknown>;
}

export class PresetStore {
  private stmts;

  constructor(db: Db) {
    this.stmts = {
      list: db.prepare<[string], { doc: string }>('SELECT doc FROM presets WHERE owner = ? ORDER BY created_ms, id'),
      get: db.prepare<[string, string], { doc: string }>('SELECT doc FROM presets WHERE owner = ? AND id = ?'),
      insert: db.prepare('INSERT INTO presets (id, owner, created_ms, doc) VALUES (?, ?, ?, ?)'),
      update: db.prepare('UPDATE presets SET doc = ? WHERE owner = ? AND id = ?'),
      del: db.prepare('DELETE FROM presets WHERE owner = ? AND id = ?'),
    };
  }

  list(owner: string): PresetRecord[] {
    return this.stmts.list.all(owner).map((r) => JSON.parse(r.doc) as PresetRecord);
  }

  get(owner: string, id: string): PresetRecord | undefined {
    const row = this.stmts.get.get(owner, id);
    return row ? (JSON.parse(row.doc) as PresetRecord) : undefined;
  }

  insert(owner: string, preset: PresetRecord): void {
    this.stmts.insert.run(preset.id, owner, Date.now(), JSON.stringify(preset));
  }

  update(owner: string, preset: PresetRecord): void {
    this.stmts.update.run(JSON.stringify(preset), owner, preset.id);
  }

  delete(owner: string, id: string): boolean {
    return this.stmts.del.run(owner, id).changes > 0;
  }
}
