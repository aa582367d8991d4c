import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, isLambdockError } from '@lambdock/common';
import type { Logger } from '@lambdock/common';
import type { MetadataStore } from '../store/metadata-store.js';
import type { ImageService } from '../images/image-service.js';
import { ImageError, InvalidParameterError, PreconditionFailedError, LambdaValidationError } from '../errors.js';
import type { CreateFunctionCommand, UpdateFunctionCodeCommand, UpdateFunctionConfigurationCommand } from './commands.js';
import type { FunctionRecord, PendingCode, Architecture } from './model.js';
import { LATEST } from './model.js';
import type { FunctionRef } from './names.js';
import { functionArn } from './names.js';
import { Violations, LIMITS, checkEnvironment, checkImageUri } from './validation.js';
import { checkStateTransition, checkUpdateTransition } from './state.js';
import { checkDestination } from '../async/event-invoke-configs.js';

export interface FunctionServiceOptions {
  store: MetadataStore;
  images: ImageService;
  account: string;
  region: string;
  accountConcurrency: number;
  logger: Logger;
}

/** Lambda keeps at least this much account concurrency unreserved. */
export const MIN_UNRESERVED = 100;

export type FunctionChange = { name: string; record: FunctionRecord | undefined };

/** Published versions and aliases (versions/version-service.ts), plugged in by the platform. */
export interface QualifiedFunctions {
  /** The record a version or alias qualifier names (an alias: its primary version). */
  get(ref: FunctionRef): Promise<FunctionRecord>;
  /** Like `get`, but an alias with weights picks the version for this invoke. */
  route(ref: FunctionRef): Promise<FunctionRecord>;
  deleteVersion(ref: FunctionRef): Promise<void>;
  /** `Publish: true` on create/update: the image is ready now. */
  publishReady(name: string): Promise<void>;
}

/**
 * The control plane: function lifecycle, validation, state, concurrency settings.
 * Never sees HTTP. Keeps a write-through cache of records so the invoke path reads
 * configuration without touching the store.
 */
export class FunctionService {
  readonly #store: MetadataStore;
  readonly #images: ImageService;
  readonly #log: Logger;
  readonly #cache = new Map<string, FunctionRecord>();
  readonly #listeners = new Set<(change: FunctionChange) => void>();
  readonly #jobs = new Map<string, Promise<void>>();
  readonly #reserved = new Map<string, number>();
  #reservedSum = 0;
  #closed = false;
  #versions: QualifiedFunctions | undefined;
  readonly account: string;
  readonly region: string;
  readonly accountConcurrency: number;

  constructor(opts: FunctionServiceOptions) {
    this.#store = opts.store;
    this.#images = opts.images;
    this.#log = opts.logger;
    this.account = opts.account;
    this.region = opts.region;
    this.accountConcurrency = opts.accountConcurrency;
  }

  /** Resumes image preparation that a previous run left Pending/InProgress. */
  async recover(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.#store.listFunctions({ after, limit: 100 });
      for (const rec of page) {
        this.#cache.set(rec.name, rec);
        this.#trackReserved(rec.name, rec.reservedConcurrency);
        if (rec.pendingCode) this.#startPreparation(rec.name, rec.pendingCode);
      }
      if (page.length < 100) break;
      after = page[page.length - 1]!.name;
    }
  }

  /** Called with every change (create, update, state change, delete). */
  onChange(listener: (change: FunctionChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  arn(name: string, qualifier?: string): string {
    return functionArn(this, name, qualifier);
  }

  async create(cmd: CreateFunctionCommand): Promise<FunctionRecord> {
    checkSettings(cmd, { create: true, architectures: cmd.architectures });
    checkImageUri(cmd.imageUri);
    if (cmd.deadLetterTargetArn) checkDestination(cmd.deadLetterTargetArn, this, 'DeadLetterConfig.TargetArn');
    if (await this.#store.getFunction(cmd.functionName)) throw new ConflictError(`Function already exist: ${cmd.functionName}`);

    const architectures: Architecture[] = cmd.architectures ?? ['x86_64'];
    const pending: PendingCode = { imageUri: cmd.imageUri, architectures, kind: 'create', ...(cmd.publish ? { publish: true } : {}) };
    await this.#resolveInto(pending);
    const now = new Date().toISOString();
    const record: FunctionRecord = {
      name: cmd.functionName,
      version: LATEST,
      settings: {
        description: cmd.description ?? '',
        role: cmd.role,
        memorySize: cmd.memorySize ?? 128,
        timeout: cmd.timeout ?? 3,
        ephemeralStorage: cmd.ephemeralStorage ?? 512,
        environment: cmd.environment ?? {},
        architectures,
        imageConfig: cmd.imageConfig ?? {},
        logFormat: cmd.logFormat ?? 'Text',
        ...(cmd.logGroup !== undefined ? { logGroup: cmd.logGroup } : {}),
        tracingMode: cmd.tracingMode ?? 'PassThrough',
        ...(cmd.deadLetterTargetArn ? { deadLetterTargetArn: cmd.deadLetterTargetArn } : {}),
      },
      pendingCode: pending,
      state: 'Pending',
      stateReason: 'The function is being created.',
      stateReasonCode: 'Creating',
      lastUpdateStatus: 'InProgress',
      revisionId: randomUUID(),
      lastModified: now,
      createdAt: now,
      tags: cmd.tags ?? {},
    };
    await this.#store.createFunction(record);
    this.#changed(record);
    this.#startPreparation(record.name, pending);
    return record;
  }

  /** Qualifiers other than $LATEST are served by `versions` from now on. */
  useVersions(versions: QualifiedFunctions): void {
    this.#versions = versions;
  }

  /** The record an invoke of `ref` runs: weighted aliases pick a version per call. */
  async route(ref: FunctionRef): Promise<FunctionRecord> {
    if (ref.qualifier !== undefined && ref.qualifier !== LATEST && this.#versions) return this.#versions.route(ref);
    return this.get(ref);
  }

  /** The record for `ref`, or ResourceNotFoundException with AWS's message. */
  async get(ref: FunctionRef): Promise<FunctionRecord> {
    if (ref.qualifier !== undefined && ref.qualifier !== LATEST && this.#versions) return this.#versions.get(ref);
    const rec = this.#cache.get(ref.name) ?? (await this.#load(ref.name));
    if (!rec || (ref.qualifier !== undefined && ref.qualifier !== LATEST)) throw this.notFound(ref);
    return rec;
  }

  /** Synchronous cache lookup for the invoke hot path (undefined: ask `get`). */
  cached(name: string): FunctionRecord | undefined {
    return this.#cache.get(name);
  }

  notFound(ref: FunctionRef): NotFoundError {
    return new NotFoundError(`Function not found: ${this.arn(ref.name, ref.qualifier)}`, { name: ref.name });
  }

  async list(opts: { marker?: string; maxItems?: number }): Promise<{ functions: FunctionRecord[]; nextMarker?: string }> {
    const limit = Math.min(opts.maxItems ?? 50, 50);
    if (opts.maxItems !== undefined && (opts.maxItems < 1 || opts.maxItems > 10_000)) {
      throw new LambdaValidationError([{ value: opts.maxItems, path: 'maxItems', constraint: opts.maxItems < 1 ? 'Member must have value greater than or equal to 1' : 'Member must have value less than or equal to 10000' }]);
    }
    const after = opts.marker ? decodeMarker(opts.marker) : undefined;
    const page = await this.#store.listFunctions({ after, limit: limit + 1 });
    const functions = page.slice(0, limit);
    return page.length > limit ? { functions, nextMarker: encodeMarker(functions[functions.length - 1]!.name) } : { functions };
  }

  async updateCode(cmd: UpdateFunctionCodeCommand): Promise<FunctionRecord> {
    checkImageUri(cmd.imageUri);
    const v = new Violations();
    v.architectures(cmd.architectures);
    v.throwIfAny();
    const current = await this.get(cmd.ref);
    this.#checkUpdatable(current, cmd.revisionId);
    const pending: PendingCode = { imageUri: cmd.imageUri, architectures: cmd.architectures ?? current.settings.architectures, kind: 'update', ...(cmd.publish ? { publish: true } : {}) };
    await this.#resolveInto(pending);
    if (cmd.dryRun) return { ...current, pendingCode: pending };
    const next = await this.#update(cmd.ref, (cur) => {
      this.#checkUpdatable(cur, cmd.revisionId);
      const wasFailed = cur.state === 'Failed';
      if (wasFailed) checkStateTransition(cur.state, 'Pending');
      checkUpdateTransition(cur.lastUpdateStatus, 'InProgress');
      return {
        ...withoutUpdateReasons(cur),
        ...(wasFailed ? { state: 'Pending' as const, stateReason: 'The function is being created.', stateReasonCode: 'Creating' } : {}),
        pendingCode: wasFailed ? { ...pending, kind: 'create' as const } : pending,
        lastUpdateStatus: 'InProgress',
        lastUpdateStatusReason: 'The function is being created.',
        lastUpdateStatusReasonCode: 'Creating',
        revisionId: randomUUID(),
        lastModified: new Date().toISOString(),
      };
    });
    this.#startPreparation(next.name, next.pendingCode!);
    return next;
  }

  async updateConfiguration(cmd: UpdateFunctionConfigurationCommand): Promise<FunctionRecord> {
    checkSettings(cmd, { create: false });
    if (cmd.deadLetterTargetArn) checkDestination(cmd.deadLetterTargetArn, this, 'DeadLetterConfig.TargetArn');
    const current = await this.get(cmd.ref);
    this.#checkUpdatable(current, cmd.revisionId);
    // Configuration changes apply at once (no image work): the next invoke gets a new environment.
    return this.#update(cmd.ref, (cur) => {
      this.#checkUpdatable(cur, cmd.revisionId);
      const s = cur.settings;
      return {
        ...withoutUpdateReasons(cur),
        settings: {
          ...s,
          ...(cmd.role !== undefined ? { role: cmd.role } : {}),
          ...(cmd.description !== undefined ? { description: cmd.description } : {}),
          ...(cmd.memorySize !== undefined ? { memorySize: cmd.memorySize } : {}),
          ...(cmd.timeout !== undefined ? { timeout: cmd.timeout } : {}),
          ...(cmd.ephemeralStorage !== undefined ? { ephemeralStorage: cmd.ephemeralStorage } : {}),
          ...(cmd.environment !== undefined ? { environment: cmd.environment } : {}),
          ...(cmd.imageConfig !== undefined ? { imageConfig: cmd.imageConfig } : {}),
          ...(cmd.logFormat !== undefined ? { logFormat: cmd.logFormat } : {}),
          ...(cmd.logGroup !== undefined ? { logGroup: cmd.logGroup } : {}),
          ...(cmd.tracingMode !== undefined ? { tracingMode: cmd.tracingMode } : {}),
          ...(cmd.deadLetterTargetArn !== undefined ? { deadLetterTargetArn: cmd.deadLetterTargetArn } : {}),
        },
        lastUpdateStatus: 'Successful',
        revisionId: randomUUID(),
        lastModified: new Date().toISOString(),
      };
    });
  }

  async delete(ref: FunctionRef): Promise<void> {
    if (ref.qualifier !== undefined && this.#versions) return this.#versions.deleteVersion(ref);
    if (ref.qualifier !== undefined && ref.qualifier !== LATEST) throw this.notFound(ref);
    if (!(await this.#store.deleteFunction(ref.name))) throw this.notFound(ref);
    this.#cache.delete(ref.name);
    this.#trackReserved(ref.name, undefined);
    this.#emit({ name: ref.name, record: undefined });
  }

  async putConcurrency(ref: FunctionRef, reserved: number): Promise<number> {
    if (!Number.isInteger(reserved) || reserved < 0) {
      throw new LambdaValidationError([{ value: reserved, path: 'reservedConcurrentExecutions', constraint: 'Member must have value greater than or equal to 0' }]);
    }
    await this.get({ name: ref.name });
    const others = await this.#store.totalReservedConcurrency(ref.name);
    if (this.accountConcurrency - others - reserved < MIN_UNRESERVED) {
      throw new InvalidParameterError(
        `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED}].`,
      );
    }
    await this.#update({ name: ref.name }, (cur) => ({ ...cur, reservedConcurrency: reserved }));
    return reserved;
  }

  async getConcurrency(ref: FunctionRef): Promise<number | undefined> {
    return (await this.get({ name: ref.name })).reservedConcurrency;
  }

  async deleteConcurrency(ref: FunctionRef): Promise<void> {
    await this.get({ name: ref.name });
    await this.#update({ name: ref.name }, (cur) => {
      const { reservedConcurrency: _drop, ...rest } = cur;
      return rest;
    });
  }

  async accountSettings(): Promise<{ functionCount: number; totalCodeSize: number; unreserved: number }> {
    let total = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.#store.listFunctions({ after, limit: 500 });
      for (const r of page) total += r.code?.size ?? 0;
      if (page.length < 500) break;
      after = page[page.length - 1]!.name;
    }
    return {
      functionCount: await this.#store.countFunctions(),
      totalCodeSize: total,
      unreserved: this.accountConcurrency - (await this.#store.totalReservedConcurrency()),
    };
  }

  /** Waits for background image work (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#jobs.size) await Promise.allSettled([...this.#jobs.values()]);
  }

  /** Stops recording background outcomes; a pull still running is resumed by recover() on the next start. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkUpdatable(rec: FunctionRecord, revisionId: string | undefined): void {
    if (revisionId !== undefined && revisionId !== rec.revisionId) {
      throw new PreconditionFailedError('The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id');
    }
    if (rec.state === 'Pending') {
      throw new ConflictError(`The operation cannot be performed at this time. The function is currently in the following state: ${rec.state}`);
    }
    if (rec.lastUpdateStatus === 'InProgress') {
      throw new ConflictError(`The operation cannot be performed at this time. An update is in progress for resource: ${this.arn(rec.name)}`);
    }
  }

  /** Resolves the tag to a digest now, so images that do not exist are refused synchronously. */
  async #resolveInto(pending: PendingCode): Promise<void> {
    try {
      const r = await this.#images.resolve(pending.imageUri, { architecture: pending.architectures[0] ?? 'x86_64' });
      pending.digest = r.digest;
      pending.resolvedImageUri = r.resolvedImageUri;
    } catch (err) {
      if (err instanceof ImageError && err.reason === 'ImageDeleted') {
        throw new InvalidParameterError(`Source image ${pending.imageUri} does not exist. Provide a valid source image.`);
      }
      if (err instanceof ImageError && err.reason === 'InvalidImage') {
        throw new InvalidParameterError(`Source image ${pending.imageUri} is not valid. Provide a valid source image. ${err.message}`);
      }
      // Access problems and unreachable registries surface as the function's Failed state,
      // as Lambda reports them, once the background pull gives up.
      this.#log.warn('image resolve failed; continuing in the background', { imageUri: pending.imageUri, err });
    }
  }

  #startPreparation(name: string, pending: PendingCode): void {
    const job = this.#prepare(name, pending).finally(() => {
      if (this.#jobs.get(name) === job) this.#jobs.delete(name);
    });
    this.#jobs.set(name, job);
  }

  async #prepare(name: string, pending: PendingCode): Promise<void> {
    const ref = pending.resolvedImageUri ?? pending.imageUri;
    const arch = pending.architectures[0] ?? 'x86_64';
    const log = this.#log.child({ function: name, imageUri: pending.imageUri });
    const started = Date.now();
    let outcome: { ok: true; image: import('./model.js').PreparedImage } | { ok: false; code: string; message: string };
    try {
      const image = await this.#images.prepare(ref, { architecture: arch, ...(pending.digest ? { digest: pending.digest } : {}) });
      outcome = { ok: true, image: { ...image, imageUri: pending.imageUri } };
      log.info('image prepared', { digest: image.digest, ms: Date.now() - started });
    } catch (err) {
      const code = err instanceof ImageError ? err.reason : 'InternalError';
      const message = err instanceof ImageError ? err.message : `Lambda could not prepare the image: ${isLambdockError(err) || err instanceof Error ? err.message : String(err)}`;
      outcome = { ok: false, code, message };
      log.warn('image preparation failed', { reasonCode: code, err });
    }
    if (this.#closed) return;
    try {
      await this.#update({ name }, (cur) => {
        // Superseded (deleted and re-created, or another update): leave the newer work alone.
        if (!cur.pendingCode || cur.pendingCode.imageUri !== pending.imageUri || cur.pendingCode.digest !== pending.digest) return cur;
        const { pendingCode: _done, ...rest } = withoutUpdateReasons(cur);
        if (outcome.ok) {
          checkUpdateTransition(cur.lastUpdateStatus, 'Successful');
          const base = { ...rest, code: outcome.image, lastUpdateStatus: 'Successful' as const, lastModified: new Date().toISOString(), revisionId: randomUUID() };
          base.settings = { ...base.settings, architectures: pending.architectures };
          if (cur.state === 'Pending') {
            checkStateTransition('Pending', 'Active');
            const { stateReason: _r, stateReasonCode: _c, ...active } = base;
            return { ...active, state: 'Active' };
          }
          return base;
        }
        checkUpdateTransition(cur.lastUpdateStatus, 'Failed');
        const failed = { ...rest, lastUpdateStatus: 'Failed' as const, lastUpdateStatusReason: outcome.message, lastUpdateStatusReasonCode: outcome.code, revisionId: randomUUID() };
        if (cur.state === 'Pending') {
          checkStateTransition('Pending', 'Failed');
          return { ...failed, state: 'Failed', stateReason: outcome.message, stateReasonCode: outcome.code };
        }
        return failed;
      });
      if (outcome.ok && pending.publish) await this.#versions?.publishReady(name);
    } catch (err) {
      if (!(err instanceof NotFoundError)) log.error('could not record image preparation outcome', { err });
    }
  }

  async #load(name: string): Promise<FunctionRecord | undefined> {
    const rec = await this.#store.getFunction(name);
    if (rec) {
      this.#cache.set(name, rec);
      this.#trackReserved(name, rec.reservedConcurrency);
    }
    return rec;
  }

  async #update(ref: FunctionRef, fn: (cur: FunctionRecord) => FunctionRecord): Promise<FunctionRecord> {
    // Published versions are immutable: changes go to $LATEST only (`f:1` is refused, as Lambda does).
    if (ref.qualifier !== undefined && ref.qualifier !== LATEST) {
      throw new InvalidParameterError('Current operation does not support versions other than $LATEST. Please set function version to $LATEST or do not set it.');
    }
    let next: FunctionRecord;
    try {
      next = await this.#store.updateFunction(ref.name, fn);
    } catch (err) {
      if (err instanceof NotFoundError) throw this.notFound({ name: ref.name });
      throw err;
    }
    this.#changed(next);
    return next;
  }

  /** Sum of reserved concurrency over all functions, kept current for the invoke path. */
  reservedTotal(): number {
    return this.#reservedSum;
  }

  #trackReserved(name: string, n: number | undefined): void {
    this.#reservedSum -= this.#reserved.get(name) ?? 0;
    if (n === undefined) this.#reserved.delete(name);
    else {
      this.#reserved.set(name, n);
      this.#reservedSum += n;
    }
  }

  #changed(rec: FunctionRecord): void {
    this.#cache.set(rec.name, rec);
    this.#trackReserved(rec.name, rec.reservedConcurrency);
    this.#emit({ name: rec.name, record: rec });
  }

  #emit(change: FunctionChange): void {
    for (const l of this.#listeners) {
      try {
        l(change);
      } catch (err) {
        this.#log.error('function change listener failed', { err });
      }
    }
  }
}

function withoutUpdateReasons(rec: FunctionRecord): FunctionRecord {
  const { lastUpdateStatusReason: _a, lastUpdateStatusReasonCode: _b, ...rest } = rec;
  return rest;
}

// Markers are opaque to clients; base64url of the last name returned.
function encodeMarker(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

function decodeMarker(marker: string): string {
  return Buffer.from(marker, 'base64url').toString('utf8');
}

/**
 * The settings CreateFunction and UpdateFunctionConfiguration share, checked with AWS's
 * messages (every violation listed at once). Create also requires the role and carries
 * the architectures.
 */
function checkSettings(
  cmd: Pick<CreateFunctionCommand, 'memorySize' | 'timeout' | 'ephemeralStorage' | 'description' | 'imageConfig' | 'environment'> & { role?: string | undefined },
  opts: { create: boolean; architectures?: CreateFunctionCommand['architectures'] },
): void {
  const v = new Violations();
  v.role(cmd.role, opts.create);
  v.range(cmd.memorySize, 'memorySize', LIMITS.memoryMin, LIMITS.memoryMax);
  v.range(cmd.timeout, 'timeout', LIMITS.timeoutMin, LIMITS.timeoutMax);
  v.range(cmd.ephemeralStorage, 'ephemeralStorage.size', LIMITS.tmpMin, LIMITS.tmpMax);
  v.maxLength(cmd.description, 'description', LIMITS.descriptionMax);
  if (opts.create) v.architectures(opts.architectures);
  v.imageConfig(cmd.imageConfig);
  v.environment(cmd.environment);
  v.throwIfAny();
  checkEnvironment(cmd.environment);
}
