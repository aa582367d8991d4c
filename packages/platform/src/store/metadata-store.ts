import type { FunctionRecord } from '../functions/model.js';

/**
 * Where the Lambda service keeps its metadata. One small interface with an embedded
 * backend (SQLite, store/sqlite/) and room for a server backend (PostgreSQL) that
 * runs the same conformance suite (store/testsuite.ts).
 *
 * Lifecycle: open the backend (its constructor/factory), use it, `close()` once.
 * Every method is atomic on its own; `updateFunction` is a read-modify-write that
 * backends run in one transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT … FOR UPDATE),
 * so concurrent updates never lose each other's changes.
 *
 * The schema reserves room for what issue #7 adds (published versions, aliases,
 * event-invoke configs, function URLs, the async event queue): `functions` holds
 * per-function data, `function_versions` one row per version ('$LATEST' today).
 */
export interface MetadataStore {
  readonly backend: string;
  /** Throws ConflictError (code CONFLICT) when a function with that name exists. */
  createFunction(record: FunctionRecord): Promise<void>;
  getFunction(name: string): Promise<FunctionRecord | undefined>;
  /** Functions ordered by name, starting strictly after `after`. */
  listFunctions(opts: { after?: string; limit: number }): Promise<FunctionRecord[]>;
  /**
   * Atomically replaces the record with `update(current)`. Throws NotFoundError when
   * absent; anything `update` throws aborts the change and propagates.
   */
  updateFunction(name: string, update: (current: FunctionRecord) => FunctionRecord): Promise<FunctionRecord>;
  deleteFunction(name: string): Promise<boolean>;
  countFunctions(): Promise<number>;
  /** Sum of reserved concurrency over all functions except `exceptName`. */
  totalReservedConcurrency(exceptName?: string): Promise<number>;
  close(): Promise<void>;
}
