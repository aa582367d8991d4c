import type { FunctionRecord } from '../functions/model.js';

/**
 * Published versions and aliases. A version is an immutable snapshot of $LATEST (code
 * digest + settings) numbered 1, 2, … per function (numbers are never reused); an alias
 * names a version, optionally with a second version that gets a share of invokes.
 * The SQLite backend keeps both in the metadata database (`function_versions`,
 * `aliases`), deleted with their function; a server backend runs versions/testsuite.ts.
 */
export interface AliasRecord {
  functionName: string;
  name: string;
  functionVersion: string;
  description: string;
  /** RoutingConfig.AdditionalVersionWeights: version → share of invokes (0–1). */
  additionalVersionWeights?: Record<string, number>;
  revisionId: string;
}

export interface VersionStore {
  /**
   * In one transaction: when `same(last)` holds for the newest published version it is
   * returned unchanged (Lambda does not publish an unchanged function twice); otherwise
   * the next number is taken and `build(number)` stored. NotFoundError without the function.
   */
  publish(name: string, build: (version: string) => FunctionRecord, same: (last: FunctionRecord) => boolean): Promise<{ record: FunctionRecord; created: boolean }>;
  getVersion(name: string, version: string): Promise<FunctionRecord | undefined>;
  /** Published versions in numeric order, after version number `after`. */
  listVersions(name: string, opts: { after?: number; limit: number }): Promise<FunctionRecord[]>;
  /** ConflictError (with the alias names) while an alias routes to it. */
  deleteVersion(name: string, version: string): Promise<boolean>;
  /** ConflictError when it exists; NotFoundError without the function. */
  createAlias(alias: AliasRecord): Promise<void>;
  getAlias(name: string, alias: string): Promise<AliasRecord | undefined>;
  /** Atomic read-modify-write; NotFoundError when absent; what `update` throws aborts it. */
  updateAlias(name: string, alias: string, update: (current: AliasRecord) => AliasRecord): Promise<AliasRecord>;
  deleteAlias(name: string, alias: string): Promise<boolean>;
  /** By alias name, after `after`; only those routing to `functionVersion` when given. */
  listAliases(name: string, opts: { after?: string; limit: number; functionVersion?: string }): Promise<AliasRecord[]>;
  close(): Promise<void>;
}
