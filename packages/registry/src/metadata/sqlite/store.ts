import Database from 'better-sqlite3';
import type {
  ManifestRecord,
  ManifestRef,
  MetadataStore,
  Page,
  PutManifestInput,
  PutManifestResult,
  RepositoryRecord,
  TagMutability,
  UploadRecord,
} from '../store.js';

/**
 * SQLite (better-sqlite3, WAL) backend. Chosen over files-per-tag because the
 * registry's invariants are multi-row ("tag moves only if every referenced blob is
 * linked", "GC removes a digest only if nothing references it") and a transaction
 * states them directly; listing with `n`/`last` pagination is an indexed range scan.
 * better-sqlite3 is synchronous, so each transaction also runs without interleaving
 * with other requests of this process. WAL + synchronous=NORMAL survives kill -9
 * (process crash) without losing committed transactions.
 */
const schema = `
CREATE TABLE IF NOT EXISTS repositories (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  tag_mutability TEXT NOT NULL DEFAULT 'MUTABLE',
  scan_on_push INTEGER NOT NULL DEFAULT 0,
  lifecycle_policy TEXT,
  lifecycle_evaluated_at INTEGER
);
CREATE TABLE IF NOT EXISTS resource_tags (
  repo TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (repo, key)
);
CREATE TABLE IF NOT EXISTS blob_links (
  repo TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  linked_at INTEGER NOT NULL,
  PRIMARY KEY (repo, digest)
);
CREATE INDEX IF NOT EXISTS blob_links_digest ON blob_links(digest);
CREATE TABLE IF NOT EXISTS manifests (
  repo TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  artifact_type TEXT,
  config_media_type TEXT,
  subject TEXT,
  annotations TEXT,
  image_size INTEGER NOT NULL,
  pushed_at INTEGER NOT NULL,
  PRIMARY KEY (repo, digest)
);
CREATE INDEX IF NOT EXISTS manifests_digest ON manifests(digest);
CREATE INDEX IF NOT EXISTS manifests_subject ON manifests(repo, subject);
CREATE TABLE IF NOT EXISTS manifest_refs (
  repo TEXT NOT NULL,
  digest TEXT NOT NULL,
  child TEXT NOT NULL,
  kind TEXT NOT NULL,
  PRIMARY KEY (repo, digest, child),
  FOREIGN KEY (repo, digest) REFERENCES manifests(repo, digest) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS manifest_refs_child ON manifest_refs(child);
CREATE TABLE IF NOT EXISTS tags (
  repo TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (repo, tag),
  FOREIGN KEY (repo, digest) REFERENCES manifests(repo, digest) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY,
  repo TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
  ref TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
`;

interface RepoRow {
  name: string;
  created_at: number;
  tag_mutability: string;
  scan_on_push: number;
  lifecycle_policy: string | null;
  lifecycle_evaluated_at: number | null;
}
interface ManifestRow {
  repo: string;
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  config_media_type: string | null;
  subject: string | null;
  annotations: string | null;
  image_size: number;
  pushed_at: number;
  tags: string | null;
}
interface UploadRow {
  id: string;
  repo: string;
  ref: string;
  created_at: number;
  updated_at: number;
}

const repoFromRow = (r: RepoRow): RepositoryRecord => {
  const rec: RepositoryRecord = {
    name: r.name,
    createdAt: r.created_at,
    tagMutability: r.tag_mutability as TagMutability,
    scanOnPush: r.scan_on_push === 1,
  };
  if (r.lifecycle_policy !== null) rec.lifecyclePolicy = r.lifecycle_policy;
  if (r.lifecycle_evaluated_at !== null) rec.lifecycleEvaluatedAt = r.lifecycle_evaluated_at;
  return rec;
};

const manifestFromRow = (r: ManifestRow): ManifestRecord => {
  const rec: ManifestRecord = {
    repo: r.repo,
    digest: r.digest,
    mediaType: r.media_type,
    size: r.size,
    imageSize: r.image_size,
    pushedAt: r.pushed_at,
    tags: r.tags ? r.tags.split('\n').sort() : [],
  };
  if (r.artifact_type !== null) rec.artifactType = r.artifact_type;
  if (r.config_media_type !== null) rec.configMediaType = r.config_media_type;
  if (r.subject !== null) rec.subject = r.subject;
  if (r.annotations !== null) rec.annotations = JSON.parse(r.annotations) as Record<string, string>;
  return rec;
};

const uploadFromRow = (r: UploadRow): UploadRecord => ({ id: r.id, repo: r.repo, ref: r.ref, createdAt: r.created_at, updatedAt: r.updated_at });

const manifestSelect = `SELECT m.*, (SELECT group_concat(t.tag, char(10)) FROM tags t WHERE t.repo = m.repo AND t.digest = m.digest) AS tags FROM manifests m`;

export class SqliteMetadataStore implements MetadataStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(schema);
  }

  #repo(name: string): RepositoryRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM repositories WHERE name = ?').get(name) as RepoRow | undefined;
    return row ? repoFromRow(row) : undefined;
  }

  async getRepository(name: string): Promise<RepositoryRecord | undefined> {
    return this.#repo(name);
  }

  async createRepository(rec: RepositoryRecord, tags: Record<string, string> = {}): Promise<{ created: boolean; repository: RepositoryRecord }> {
    return this.#db.transaction(() => {
      const existing = this.#repo(rec.name);
      if (existing) return { created: false, repository: existing };
      this.#db
        .prepare('INSERT INTO repositories (name, created_at, tag_mutability, scan_on_push, lifecycle_policy) VALUES (?, ?, ?, ?, ?)')
        .run(rec.name, rec.createdAt, rec.tagMutability, rec.scanOnPush ? 1 : 0, rec.lifecyclePolicy ?? null);
      const ins = this.#db.prepare('INSERT OR REPLACE INTO resource_tags (repo, key, value) VALUES (?, ?, ?)');
      for (const [k, v] of Object.entries(tags)) ins.run(rec.name, k, v);
      return { created: true, repository: this.#repo(rec.name)! };
    })();
  }

  async listRepositories(page: Page): Promise<RepositoryRecord[]> {
    const rows = this.#db
      .prepare('SELECT * FROM repositories WHERE name > ? ORDER BY name LIMIT ?')
      .all(page.last ?? '', page.limit) as RepoRow[];
    return rows.map(repoFromRow);
  }

  async updateRepository(name: string, patch: Partial<Omit<RepositoryRecord, 'name' | 'createdAt'>>): Promise<RepositoryRecord | undefined> {
    return this.#db.transaction(() => {
      const cur = this.#repo(name);
      if (!cur) return undefined;
      const next = { ...cur, ...patch };
      this.#db
        .prepare('UPDATE repositories SET tag_mutability = ?, scan_on_push = ?, lifecycle_policy = ?, lifecycle_evaluated_at = ? WHERE name = ?')
        .run(next.tagMutability, next.scanOnPush ? 1 : 0, next.lifecyclePolicy ?? null, next.lifecycleEvaluatedAt ?? null, name);
      return this.#repo(name);
    })();
  }

  async deleteRepository(name: string, force: boolean) {
    return this.#db.transaction(() => {
      const repo = this.#repo(name);
      if (!repo) return { result: 'not-found' as const };
      const images = (this.#db.prepare('SELECT count(*) AS n FROM manifests WHERE repo = ?').get(name) as { n: number }).n;
      if (images > 0 && !force) return { result: 'not-empty' as const };
      const uploads = (this.#db.prepare('SELECT * FROM uploads WHERE repo = ?').all(name) as UploadRow[]).map(uploadFromRow);
      this.#db.prepare('DELETE FROM tags WHERE repo = ?').run(name);
      this.#db.prepare('DELETE FROM manifest_refs WHERE repo = ?').run(name);
      this.#db.prepare('DELETE FROM manifests WHERE repo = ?').run(name);
      this.#db.prepare('DELETE FROM repositories WHERE name = ?').run(name);
      return { result: 'deleted' as const, repository: repo, uploads };
    })();
  }

  async getResourceTags(repo: string): Promise<Record<string, string>> {
    const rows = this.#db.prepare('SELECT key, value FROM resource_tags WHERE repo = ? ORDER BY key').all(repo) as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  async setResourceTags(repo: string, tags: Record<string, string>): Promise<void> {
    const ins = this.#db.prepare('INSERT OR REPLACE INTO resource_tags (repo, key, value) VALUES (?, ?, ?)');
    this.#db.transaction(() => {
      for (const [k, v] of Object.entries(tags)) ins.run(repo, k, v);
    })();
  }

  async removeResourceTags(repo: string, keys: string[]): Promise<void> {
    const del = this.#db.prepare('DELETE FROM resource_tags WHERE repo = ? AND key = ?');
    this.#db.transaction(() => {
      for (const k of keys) del.run(repo, k);
    })();
  }

  async linkBlob(repo: string, digest: string, size: number, now: number): Promise<boolean> {
    return this.#db.transaction(() => {
      if (!this.#repo(repo)) return false;
      this.#db
        .prepare('INSERT INTO blob_links (repo, digest, size, linked_at) VALUES (?, ?, ?, ?) ON CONFLICT(repo, digest) DO UPDATE SET linked_at = excluded.linked_at')
        .run(repo, digest, size, now);
      return true;
    })();
  }

  async unlinkBlob(repo: string, digest: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM blob_links WHERE repo = ? AND digest = ?').run(repo, digest).changes > 0;
  }

  #blobInRepository(repo: string, digest: string): number | undefined {
    const link = this.#db.prepare('SELECT size FROM blob_links WHERE repo = ? AND digest = ?').get(repo, digest) as { size: number } | undefined;
    if (link) return link.size;
    const m = this.#db.prepare('SELECT size FROM manifests WHERE repo = ? AND digest = ?').get(repo, digest) as { size: number } | undefined;
    return m?.size;
  }

  async blobInRepository(repo: string, digest: string): Promise<number | undefined> {
    return this.#blobInRepository(repo, digest);
  }

  async linkedSize(digest: string): Promise<number | undefined> {
    const row = this.#db.prepare('SELECT size FROM blob_links WHERE digest = ? LIMIT 1').get(digest) as { size: number } | undefined;
    return row?.size;
  }

  #isReferenced(digest: string): boolean {
    return (
      this.#db.prepare('SELECT 1 FROM blob_links WHERE digest = ? LIMIT 1').get(digest) !== undefined ||
      this.#db.prepare('SELECT 1 FROM manifests WHERE digest = ? LIMIT 1').get(digest) !== undefined ||
      this.#db.prepare('SELECT 1 FROM manifest_refs WHERE child = ? LIMIT 1').get(digest) !== undefined
    );
  }

  async isReferenced(digest: string): Promise<boolean> {
    return this.#isReferenced(digest);
  }

  async putManifest(input: PutManifestInput): Promise<PutManifestResult> {
    return this.#db.transaction((): PutManifestResult => {
      if (!this.#repo(input.repo)) return { ok: false, reason: 'no-repository' };
      const missing: ManifestRef[] = [];
      for (const ref of input.refs) {
        const found =
          ref.kind === 'manifest'
            ? this.#db.prepare('SELECT 1 FROM manifests WHERE repo = ? AND digest = ?').get(input.repo, ref.digest)
            : this.#blobInRepository(input.repo, ref.digest);
        if (found === undefined) missing.push(ref);
      }
      if (missing.length > 0) return { ok: false, reason: 'missing', missing };
      const repo = this.#repo(input.repo)!;
      for (const tag of input.tags) {
        const cur = this.#db.prepare('SELECT digest FROM tags WHERE repo = ? AND tag = ?').get(input.repo, tag) as { digest: string } | undefined;
        if (cur && cur.digest !== input.digest && repo.tagMutability === 'IMMUTABLE') {
          return { ok: false, reason: 'tag-immutable', tag, existingDigest: cur.digest };
        }
      }
      const exists = this.#db.prepare('SELECT 1 FROM manifests WHERE repo = ? AND digest = ?').get(input.repo, input.digest) !== undefined;
      if (!exists) {
        this.#db
          .prepare(
            `INSERT INTO manifests (repo, digest, media_type, size, artifact_type, config_media_type, subject, annotations, image_size, pushed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            input.repo,
            input.digest,
            input.mediaType,
            input.size,
            input.artifactType ?? null,
            input.configMediaType ?? null,
            input.subject ?? null,
            input.annotations ? JSON.stringify(input.annotations) : null,
            input.imageSize,
            input.now,
          );
        const ins = this.#db.prepare('INSERT OR IGNORE INTO manifest_refs (repo, digest, child, kind) VALUES (?, ?, ?, ?)');
        for (const ref of input.refs) ins.run(input.repo, input.digest, ref.digest, ref.kind);
      }
      const setTag = this.#db.prepare(
        'INSERT INTO tags (repo, tag, digest, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(repo, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at',
      );
      for (const tag of input.tags) setTag.run(input.repo, tag, input.digest, input.now);
      // ECR reports an image's push time as that of its newest tag push.
      if (input.tags.length > 0) this.#db.prepare('UPDATE manifests SET pushed_at = ? WHERE repo = ? AND digest = ?').run(input.now, input.repo, input.digest);
      return { ok: true, created: !exists };
    })();
  }

  async getManifest(repo: string, digest: string): Promise<ManifestRecord | undefined> {
    const row = this.#db.prepare(`${manifestSelect} WHERE m.repo = ? AND m.digest = ?`).get(repo, digest) as ManifestRow | undefined;
    return row ? manifestFromRow(row) : undefined;
  }

  async resolveTag(repo: string, tag: string): Promise<string | undefined> {
    const row = this.#db.prepare('SELECT digest FROM tags WHERE repo = ? AND tag = ?').get(repo, tag) as { digest: string } | undefined;
    return row?.digest;
  }

  async deleteManifest(repo: string, digest: string): Promise<boolean> {
    return this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM tags WHERE repo = ? AND digest = ?').run(repo, digest);
      this.#db.prepare('DELETE FROM manifest_refs WHERE repo = ? AND digest = ?').run(repo, digest);
      return this.#db.prepare('DELETE FROM manifests WHERE repo = ? AND digest = ?').run(repo, digest).changes > 0;
    })();
  }

  async deleteTag(repo: string, tag: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM tags WHERE repo = ? AND tag = ?').run(repo, tag).changes > 0;
  }

  async listTags(repo: string, page: Page): Promise<string[]> {
    const rows = this.#db
      .prepare('SELECT tag FROM tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?')
      .all(repo, page.last ?? '', page.limit) as { tag: string }[];
    return rows.map((r) => r.tag);
  }

  async listManifests(repo: string): Promise<ManifestRecord[]> {
    const rows = this.#db.prepare(`${manifestSelect} WHERE m.repo = ? ORDER BY m.pushed_at DESC, m.digest`).all(repo) as ManifestRow[];
    return rows.map(manifestFromRow);
  }

  async referrers(repo: string, digest: string): Promise<ManifestRecord[]> {
    const rows = this.#db.prepare(`${manifestSelect} WHERE m.repo = ? AND m.subject = ? ORDER BY m.digest`).all(repo, digest) as ManifestRow[];
    return rows.map(manifestFromRow);
  }

  async parentsOf(repo: string, digest: string): Promise<string[]> {
    const rows = this.#db
      .prepare("SELECT digest FROM manifest_refs WHERE repo = ? AND child = ? AND kind = 'manifest' ORDER BY digest")
      .all(repo, digest) as { digest: string }[];
    return rows.map((r) => r.digest);
  }

  async createUpload(rec: UploadRecord): Promise<void> {
    this.#db
      .prepare('INSERT INTO uploads (id, repo, ref, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(rec.id, rec.repo, rec.ref, rec.createdAt, rec.updatedAt);
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM uploads WHERE id = ?').get(id) as UploadRow | undefined;
    return row ? uploadFromRow(row) : undefined;
  }

  async touchUpload(id: string, now: number): Promise<void> {
    this.#db.prepare('UPDATE uploads SET updated_at = ? WHERE id = ?').run(now, id);
  }

  async deleteUpload(id: string): Promise<void> {
    this.#db.prepare('DELETE FROM uploads WHERE id = ?').run(id);
  }

  async listUploads(): Promise<UploadRecord[]> {
    return (this.#db.prepare('SELECT * FROM uploads ORDER BY created_at').all() as UploadRow[]).map(uploadFromRow);
  }

  async releaseIfUnreferenced(digest: string, linkCutoff: number): Promise<boolean> {
    return this.#db.transaction(() => {
      if (this.#db.prepare('SELECT 1 FROM manifests WHERE digest = ? LIMIT 1').get(digest) !== undefined) return false;
      if (this.#db.prepare('SELECT 1 FROM manifest_refs WHERE child = ? LIMIT 1').get(digest) !== undefined) return false;
      if (this.#db.prepare('SELECT 1 FROM blob_links WHERE digest = ? AND linked_at >= ? LIMIT 1').get(digest, linkCutoff) !== undefined) return false;
      this.#db.prepare('DELETE FROM blob_links WHERE digest = ?').run(digest);
      return true;
    })();
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
