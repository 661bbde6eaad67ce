/**
 * Destination profiles in SQLite: the non-secret fields only. Which secret fields are stored is
 * recorded (names, never values); the values live in the secret store under
 * `profile:<id>:<field>`.
 */
import type { DestinationType, ProfileView } from '../../preload/contract';
import { migrate, type Db } from '../db';

export const destinationMigrations = [
  `CREATE TABLE destination_profiles (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     type TEXT NOT NULL,
     fields TEXT NOT NULL,
     secrets_set TEXT NOT NULL DEFAULT '[]',
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX destination_profiles_name ON destination_profiles (name COLLATE NOCASE);`,
];

interface Row {
  id: string;
  name: string;
  type: string;
  fields: string;
  secrets_set: string;
  created_at: number;
  updated_at: number;
}

export function secretName(profileId: string, field: string): string {
  return `profile:${profileId}:${field}`;
}

export class ProfileStore {
  constructor(private readonly db: Db) {
    migrate(db, 'destinations', destinationMigrations);
  }

  list(): ProfileView[] {
    const rows = this.db.prepare('SELECT * FROM destination_profiles ORDER BY name COLLATE NOCASE').all() as Row[];
    return rows.map(toView);
  }

  get(id: string): ProfileView | null {
    const row = this.db.prepare('SELECT * FROM destination_profiles WHERE id = ?').get(id) as Row | undefined;
    return row ? toView(row) : null;
  }

  byName(name: string): ProfileView | null {
    const row = this.db.prepare('SELECT * FROM destination_profiles WHERE name = ? COLLATE NOCASE').get(name.trim()) as Row | undefined;
    return row ? toView(row) : null;
  }

  insert(p: ProfileView): void {
    this.db
      .prepare('INSERT INTO destination_profiles (id, name, type, fields, secrets_set, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(p.id, p.name, p.type, JSON.stringify(p.fields), JSON.stringify(p.secretsSet), p.createdAt, p.updatedAt);
  }

  update(p: ProfileView): void {
    this.db
      .prepare('UPDATE destination_profiles SET name = ?, type = ?, fields = ?, secrets_set = ?, updated_at = ? WHERE id = ?')
      .run(p.name, p.type, JSON.stringify(p.fields), JSON.stringify(p.secretsSet), p.updatedAt, p.id);
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM destination_profiles WHERE id = ?').run(id).changes > 0;
  }
}

function toView(row: Row): ProfileView {
  return {
    id: row.id,
    name: row.name,
    type: row.type as DestinationType,
    fields: safeJson<Record<string, string | number>>(row.fields, {}),
    secretsSet: safeJson<string[]>(row.secrets_set, []),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function safeJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
