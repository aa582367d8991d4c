import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '@lambdock/common';
import type { Logger } from '@lambdock/common';
import type { FunctionService, QualifiedFunctions } from '../functions/function-service.js';
import type { FunctionRecord } from '../functions/model.js';
import { LATEST } from '../functions/model.js';
import type { FunctionRef } from '../functions/names.js';
import { InvalidParameterError, LambdaValidationError, PreconditionFailedError } from '../errors.js';
import type { AliasRecord, VersionStore } from './version-store.js';

const ALIAS_NAME = /^(?!^[0-9]+$)[a-zA-Z0-9\-_]{1,128}$/;
const VERSION = /^(\$LATEST|[0-9]{1,10})$/;

export interface PublishVersionInput {
  codeSha256?: string;
  revisionId?: string;
  description?: string;
}

export interface AliasInput {
  functionVersion?: string;
  description?: string;
  /** undefined: unchanged (update) / none (create); {}: no routing. */
  additionalVersionWeights?: Record<string, number>;
  revisionId?: string;
}

/**
 * Versions and aliases: PublishVersion, ListVersionsByFunction, the alias operations,
 * and qualifier resolution for every other operation (FunctionService delegates
 * qualifiers to it). Versions are immutable, so resolved records are cached for the
 * invoke path; a change of the function (reserved concurrency, deletion) drops them.
 */
export class VersionService implements QualifiedFunctions {
  readonly #store: VersionStore;
  readonly #functions: FunctionService;
  readonly #log: Logger;
  readonly #onRemoved: (name: string, version: string) => void;
  readonly #onAliasRemoved: (name: string, alias: string) => void;
  readonly #versions = new Map<string, FunctionRecord>();
  readonly #aliases = new Map<string, AliasRecord>();

  /** `onVersionRemoved`/`onAliasRemoved`: what hangs off a qualifier goes with it (environments, event-invoke configs). */
  constructor(opts: {
    store: VersionStore;
    functions: FunctionService;
    logger: Logger;
    onVersionRemoved?: (name: string, version: string) => void;
    onAliasRemoved?: (name: string, alias: string) => void;
  }) {
    this.#store = opts.store;
    this.#functions = opts.functions;
    this.#log = opts.logger;
    this.#onRemoved = opts.onVersionRemoved ?? (() => undefined);
    this.#onAliasRemoved = opts.onAliasRemoved ?? (() => undefined);
    this.#functions.onChange(({ name }) => this.#forget(name));
  }

  async publish(ref: FunctionRef, input: PublishVersionInput): Promise<{ record: FunctionRecord; created: boolean }> {
    const latest = await this.#functions.get({ name: ref.name });
    if (latest.state === 'Pending' || !latest.code) {
      throw new ConflictError(`The operation cannot be performed at this time. The function is currently in the following state: ${latest.state}`);
    }
    if (latest.lastUpdateStatus === 'InProgress') {
      throw new ConflictError(`The operation cannot be performed at this time. An update is in progress for resource: ${this.#functions.arn(ref.name)}`);
    }
    const sha = latest.code.digest.replace(/^sha256:/, '');
    if (input.codeSha256 !== undefined && input.codeSha256 !== sha) {
      throw new InvalidParameterError(`CodeSHA256 (${input.codeSha256}) is different from current CodeSHA256 in $LATEST (${sha}). Please try again with the CodeSHA256 in $LATEST.`);
    }
    if (input.revisionId !== undefined && input.revisionId !== latest.revisionId) {
      throw new PreconditionFailedError('The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id');
    }
    const code = latest.code;
    const shape = snapshotShape(latest);
    try {
      const out = await this.#store.publish(
        ref.name,
        (version) => {
          const { pendingCode: _p, lastUpdateStatusReason: _a, lastUpdateStatusReasonCode: _b, stateReason: _c, stateReasonCode: _d, ...rest } = latest;
          return {
            ...rest,
            version,
            code,
            settings: { ...latest.settings, description: input.description ?? latest.settings.description },
            state: 'Active',
            lastUpdateStatus: 'Successful',
            revisionId: randomUUID(),
            lastModified: new Date().toISOString(),
          };
        },
        (last) => last.code?.digest === code.digest && snapshotShape(last) === shape,
      );
      if (out.created) this.#log.info('version published', { function: ref.name, version: out.record.version, digest: code.digest });
      return out;
    } catch (err) {
      if (err instanceof NotFoundError) throw this.#functions.notFound({ name: ref.name });
      throw err;
    }
  }

  async publishReady(name: string): Promise<void> {
    try {
      await this.publish({ name }, {});
    } catch (err) {
      this.#log.warn('could not publish after the image became ready', { function: name, err });
    }
  }

  /** $LATEST first, then published versions in order; `marker` continues after a page. */
  async listVersions(ref: FunctionRef, opts: { marker?: string; maxItems?: number }): Promise<{ versions: FunctionRecord[]; nextMarker?: string }> {
    if (opts.maxItems !== undefined && (!Number.isInteger(opts.maxItems) || opts.maxItems < 1 || opts.maxItems > 10_000)) {
      throw new LambdaValidationError([{ value: opts.maxItems, path: 'maxItems', constraint: opts.maxItems < 1 ? 'Member must have value greater than or equal to 1' : 'Member must have value less than or equal to 10000' }]);
    }
    const latest = await this.#functions.get({ name: ref.name });
    const limit = Math.min(opts.maxItems ?? 50, 50);
    const after = opts.marker ? Number(Buffer.from(opts.marker, 'base64url').toString('utf8')) : undefined;
    if (after !== undefined && !Number.isInteger(after)) throw new InvalidParameterError('Invalid Marker.');
    const head = after === undefined ? [latest] : [];
    const page = await this.#store.listVersions(ref.name, { ...(after !== undefined ? { after } : {}), limit: limit - head.length + 1 });
    const all = [...head, ...page];
    const versions = all.slice(0, limit);
    if (all.length <= limit) return { versions };
    return { versions, nextMarker: Buffer.from(versions[versions.length - 1]!.version === LATEST ? '0' : versions[versions.length - 1]!.version).toString('base64url') };
  }

  async get(ref: FunctionRef): Promise<FunctionRecord> {
    const q = ref.qualifier;
    if (q === undefined || q === LATEST) return this.#functions.get({ name: ref.name });
    if (/^[0-9]+$/.test(q)) return this.#version(ref.name, q, ref);
    const alias = await this.#alias(ref.name, q);
    if (!alias) throw this.#functions.notFound(ref);
    return this.#target(ref.name, alias.functionVersion, ref);
  }

  async route(ref: FunctionRef): Promise<FunctionRecord> {
    const q = ref.qualifier;
    if (q === undefined || q === LATEST || /^[0-9]+$/.test(q)) return this.get(ref);
    const alias = await this.#alias(ref.name, q);
    if (!alias) throw this.#functions.notFound(ref);
    let version = alias.functionVersion;
    if (alias.additionalVersionWeights) {
      let r = Math.random();
      for (const [v, w] of Object.entries(alias.additionalVersionWeights)) {
        if (r < w) {
          version = v;
          break;
        }
        r -= w;
      }
    }
    return this.#target(ref.name, version, ref);
  }

  async deleteVersion(ref: FunctionRef): Promise<void> {
    const q = ref.qualifier!;
    if (q === LATEST) throw new InvalidParameterError('$LATEST version cannot be deleted without deleting the function.');
    if (!/^[0-9]+$/.test(q)) throw new InvalidParameterError('Deletion of aliases is not currently supported.');
    await this.#functions.get({ name: ref.name });
    if (!(await this.#store.deleteVersion(ref.name, q))) throw this.#functions.notFound(ref);
    this.#versions.delete(`${ref.name}\0${q}`);
    this.#onRemoved(ref.name, q);
  }

  async createAlias(ref: FunctionRef, name: string, input: AliasInput): Promise<AliasRecord> {
    checkAliasName(name);
    if (input.functionVersion === undefined) throw new LambdaValidationError([{ value: null, path: 'functionVersion', constraint: 'Member must not be null' }]);
    await this.#functions.get({ name: ref.name });
    await this.#checkRouting(ref.name, input.functionVersion, input.additionalVersionWeights);
    const alias: AliasRecord = {
      functionName: ref.name,
      name,
      functionVersion: input.functionVersion,
      description: input.description ?? '',
      ...(input.additionalVersionWeights && Object.keys(input.additionalVersionWeights).length ? { additionalVersionWeights: input.additionalVersionWeights } : {}),
      revisionId: randomUUID(),
    };
    try {
      await this.#store.createAlias(alias);
    } catch (err) {
      if (err instanceof ConflictError) throw new ConflictError(`Alias already exists: ${this.#functions.arn(ref.name, name)}`);
      if (err instanceof NotFoundError) throw this.#functions.notFound({ name: ref.name });
      throw err;
    }
    this.#aliases.delete(`${ref.name}\0${name}`);
    return alias;
  }

  async getAlias(ref: FunctionRef, name: string): Promise<AliasRecord> {
    checkAliasName(name);
    await this.#functions.get({ name: ref.name });
    const a = await this.#store.getAlias(ref.name, name);
    if (!a) throw this.#aliasNotFound(ref.name, name);
    return a;
  }

  async updateAlias(ref: FunctionRef, name: string, input: AliasInput): Promise<AliasRecord> {
    const current = await this.getAlias(ref, name);
    const check = (cur: AliasRecord): void => {
      if (input.revisionId !== undefined && input.revisionId !== cur.revisionId) {
        throw new PreconditionFailedError('The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id');
      }
    };
    check(current);
    const version = input.functionVersion ?? current.functionVersion;
    const weights = input.additionalVersionWeights ?? current.additionalVersionWeights;
    await this.#checkRouting(ref.name, version, weights);
    try {
      const next = await this.#store.updateAlias(ref.name, name, (cur) => {
        check(cur);
        const { additionalVersionWeights: _w, ...rest } = cur;
        return {
          ...rest,
          functionVersion: version,
          description: input.description ?? cur.description,
          ...(weights && Object.keys(weights).length ? { additionalVersionWeights: weights } : {}),
          revisionId: randomUUID(),
        };
      });
      this.#aliases.delete(`${ref.name}\0${name}`);
      return next;
    } catch (err) {
      if (err instanceof NotFoundError) throw this.#aliasNotFound(ref.name, name);
      throw err;
    }
  }

  async deleteAlias(ref: FunctionRef, name: string): Promise<void> {
    checkAliasName(name);
    await this.#functions.get({ name: ref.name });
    // Lambda answers 204 whether or not the alias existed.
    if (await this.#store.deleteAlias(ref.name, name)) this.#onAliasRemoved(ref.name, name);
    this.#aliases.delete(`${ref.name}\0${name}`);
  }

  async listAliases(ref: FunctionRef, opts: { marker?: string; maxItems?: number; functionVersion?: string }): Promise<{ aliases: AliasRecord[]; nextMarker?: string }> {
    if (opts.maxItems !== undefined && (!Number.isInteger(opts.maxItems) || opts.maxItems < 1 || opts.maxItems > 10_000)) {
      throw new LambdaValidationError([{ value: opts.maxItems, path: 'maxItems', constraint: 'Member must have value greater than or equal to 1' }]);
    }
    if (opts.functionVersion !== undefined && !VERSION.test(opts.functionVersion)) {
      throw new LambdaValidationError([{ value: opts.functionVersion, path: 'functionVersion', constraint: 'Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)' }]);
    }
    await this.#functions.get({ name: ref.name });
    const limit = Math.min(opts.maxItems ?? 50, 50);
    const after = opts.marker ? Buffer.from(opts.marker, 'base64url').toString('utf8') : undefined;
    const page = await this.#store.listAliases(ref.name, { ...(after !== undefined ? { after } : {}), limit: limit + 1, ...(opts.functionVersion !== undefined ? { functionVersion: opts.functionVersion } : {}) });
    const aliases = page.slice(0, limit);
    return page.length > limit ? { aliases, nextMarker: Buffer.from(aliases[aliases.length - 1]!.name).toString('base64url') } : { aliases };
  }

  /** The AliasConfiguration document. */
  aliasToWire(a: AliasRecord): Record<string, unknown> {
    const out: Record<string, unknown> = {
      AliasArn: this.#functions.arn(a.functionName, a.name),
      Name: a.name,
      FunctionVersion: a.functionVersion,
      Description: a.description,
      RevisionId: a.revisionId,
    };
    if (a.additionalVersionWeights) out['RoutingConfig'] = { AdditionalVersionWeights: a.additionalVersionWeights };
    return out;
  }

  async close(): Promise<void> {
    await this.#store.close();
  }

  async #checkRouting(name: string, primary: string, weights: Record<string, number> | undefined): Promise<void> {
    if (!VERSION.test(primary)) {
      throw new LambdaValidationError([{ value: primary, path: 'functionVersion', constraint: 'Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)' }]);
    }
    const entries = Object.entries(weights ?? {});
    if (entries.length > 1) {
      throw new LambdaValidationError([{ value: weights, path: 'routingConfig.additionalVersionWeights', constraint: 'Member must have length less than or equal to 1' }]);
    }
    for (const [v, w] of entries) {
      if (typeof w !== 'number' || !(w >= 0 && w <= 1)) {
        throw new LambdaValidationError([{ value: weights, path: 'routingConfig.additionalVersionWeights', constraint: 'Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]' }]);
      }
      if (!/^[0-9]{1,10}$/.test(v)) {
        throw new LambdaValidationError([{ value: weights, path: 'routingConfig.additionalVersionWeights', constraint: 'Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [0-9]+]' }]);
      }
    }
    if (entries.length && primary === LATEST) throw new InvalidParameterError('$LATEST is not supported for an alias pointing to more than 1 version');
    for (const [v] of entries) {
      if (v === primary) throw new InvalidParameterError(`Invalid function version ${v}. Function version ${v} is already included in routing configuration.`);
    }
    for (const v of [primary, ...entries.map(([v]) => v)]) {
      if (v !== LATEST && !(await this.#store.getVersion(name, v))) throw this.#functions.notFound({ name, qualifier: v });
    }
  }

  async #version(name: string, version: string, asked: FunctionRef): Promise<FunctionRecord> {
    const key = `${name}\0${version}`;
    let rec = this.#versions.get(key);
    if (!rec) {
      await this.#functions.get({ name });
      rec = await this.#store.getVersion(name, version);
      if (!rec) throw this.#functions.notFound(asked);
      this.#versions.set(key, rec);
    }
    return rec;
  }

  #target(name: string, version: string, asked: FunctionRef): Promise<FunctionRecord> {
    return version === LATEST ? this.#functions.get({ name }) : this.#version(name, version, asked);
  }

  async #alias(name: string, alias: string): Promise<AliasRecord | undefined> {
    const key = `${name}\0${alias}`;
    let a = this.#aliases.get(key);
    if (!a) {
      a = await this.#store.getAlias(name, alias);
      if (a) this.#aliases.set(key, a);
    }
    return a;
  }

  #aliasNotFound(name: string, alias: string): NotFoundError {
    return new NotFoundError(`Cannot find alias arn: ${this.#functions.arn(name, alias)}`, { name, alias });
  }

  #forget(name: string): void {
    for (const m of [this.#versions, this.#aliases] as Map<string, unknown>[]) {
      for (const k of m.keys()) if (k.startsWith(`${name}\0`)) m.delete(k);
    }
  }
}

function checkAliasName(name: string): void {
  if (!ALIAS_NAME.test(name)) {
    throw new LambdaValidationError([{ value: name, path: 'name', constraint: 'Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)' }]);
  }
}

/** What makes two versions the same for PublishVersion: code and every setting but the description. */
function snapshotShape(rec: FunctionRecord): string {
  const { description: _d, ...settings } = rec.settings;
  return stable(settings);
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
