import { NotFoundError } from '@lambdock/common';
import type { FunctionService } from '../functions/function-service.js';
import type { FunctionRef } from '../functions/names.js';
import { parseFunctionRef } from '../functions/names.js';
import { LATEST } from '../functions/model.js';
import { InvalidParameterError, LambdaValidationError } from '../errors.js';
import type { EventInvokeConfig, EventInvokeConfigStore } from './config-store.js';

/** Lambda's defaults when no configuration exists. */
export const DEFAULT_MAX_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600;

export interface EventInvokeConfigInput {
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  /** undefined: not given; '' or null-ish handled by the handler as "remove". */
  onSuccess?: string;
  onFailure?: string;
}

/**
 * Put/Update/Get/Delete/ListFunctionEventInvokeConfigs: validation and the
 * configuration document as Lambda returns it. Never sees HTTP.
 */
export class EventInvokeConfigService {
  readonly #store: EventInvokeConfigStore;
  readonly #functions: FunctionService;

  constructor(opts: { store: EventInvokeConfigStore; functions: FunctionService }) {
    this.#store = opts.store;
    this.#functions = opts.functions;
  }

  /** Put replaces the whole configuration; update (`merge`) keeps what is not given. */
  async put(ref: FunctionRef, input: EventInvokeConfigInput, merge: boolean): Promise<EventInvokeConfig> {
    this.#validate(input);
    const qualifier = await this.#qualifier(ref);
    const previous = merge ? await this.#store.get(ref.name, qualifier) : undefined;
    if (merge && !previous) throw this.#missing(ref.name, qualifier);
    const next: EventInvokeConfig = { ...(previous ?? {}), functionName: ref.name, qualifier, lastModified: Date.now() };
    for (const k of ['maximumRetryAttempts', 'maximumEventAgeInSeconds', 'onSuccess', 'onFailure'] as const) {
      const v = input[k];
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    }
    // An empty destination removes it (the console and CLI send "" to clear one).
    if (next.onSuccess === '') delete next.onSuccess;
    if (next.onFailure === '') delete next.onFailure;
    try {
      await this.#store.put(next);
    } catch (err) {
      if (err instanceof NotFoundError) throw this.#functions.notFound(ref);
      throw err;
    }
    return next;
  }

  async get(ref: FunctionRef): Promise<EventInvokeConfig> {
    const qualifier = await this.#qualifier(ref);
    const c = await this.#store.get(ref.name, qualifier);
    if (!c) throw this.#missing(ref.name, qualifier);
    return c;
  }

  /** What the dispatcher applies: the qualifier's configuration, if any (no validation of existence). */
  async effective(name: string, qualifier: string): Promise<EventInvokeConfig | undefined> {
    return this.#store.get(name, qualifier);
  }

  async delete(ref: FunctionRef): Promise<void> {
    const qualifier = await this.#qualifier(ref);
    if (!(await this.#store.delete(ref.name, qualifier))) throw this.#missing(ref.name, qualifier);
  }

  async list(ref: FunctionRef, opts: { marker?: string; maxItems?: number }): Promise<{ configs: EventInvokeConfig[]; nextMarker?: string }> {
    if (opts.maxItems !== undefined && (opts.maxItems < 1 || opts.maxItems > 50)) {
      throw new LambdaValidationError([{ value: opts.maxItems, path: 'maxItems', constraint: opts.maxItems < 1 ? 'Member must have value greater than or equal to 1' : 'Member must have value less than or equal to 50' }]);
    }
    await this.#functions.get({ name: ref.name });
    const limit = opts.maxItems ?? 50;
    const after = opts.marker ? Buffer.from(opts.marker, 'base64url').toString('utf8') : undefined;
    const page = await this.#store.list(ref.name, { ...(after !== undefined ? { after } : {}), limit: limit + 1 });
    const configs = page.slice(0, limit);
    return page.length > limit ? { configs, nextMarker: Buffer.from(configs[configs.length - 1]!.qualifier, 'utf8').toString('base64url') } : { configs };
  }

  /** The FunctionEventInvokeConfig document (LastModified is epoch seconds on the wire). */
  toWire(c: EventInvokeConfig): Record<string, unknown> {
    const out: Record<string, unknown> = {
      LastModified: c.lastModified / 1000,
      FunctionArn: this.#functions.arn(c.functionName, c.qualifier),
    };
    if (c.maximumRetryAttempts !== undefined) out['MaximumRetryAttempts'] = c.maximumRetryAttempts;
    if (c.maximumEventAgeInSeconds !== undefined) out['MaximumEventAgeInSeconds'] = c.maximumEventAgeInSeconds;
    const dest: Record<string, unknown> = {};
    if (c.onSuccess) dest['OnSuccess'] = { Destination: c.onSuccess };
    if (c.onFailure) dest['OnFailure'] = { Destination: c.onFailure };
    out['DestinationConfig'] = { OnSuccess: {}, OnFailure: {}, ...dest };
    return out;
  }

  /** The qualifier the configuration is kept under; it must name $LATEST, a version or an alias that exists. */
  async #qualifier(ref: FunctionRef): Promise<string> {
    await this.#functions.get(ref);
    return ref.qualifier ?? LATEST;
  }

  #missing(name: string, qualifier: string): NotFoundError {
    return new NotFoundError(`The function ${this.#functions.arn(name, qualifier)} doesn't have an EventInvokeConfig`, { name });
  }

  #validate(input: EventInvokeConfigInput): void {
    const violations: Array<{ value: unknown; path: string; constraint: string }> = [];
    const r = input.maximumRetryAttempts;
    if (r !== undefined && (r < 0 || r > 2)) violations.push({ value: r, path: 'maximumRetryAttempts', constraint: r < 0 ? 'Member must have value greater than or equal to 0' : 'Member must have value less than or equal to 2' });
    const a = input.maximumEventAgeInSeconds;
    if (a !== undefined && (a < 60 || a > 21_600)) violations.push({ value: a, path: 'maximumEventAgeInSeconds', constraint: a < 60 ? 'Member must have value greater than or equal to 60' : 'Member must have value less than or equal to 21600' });
    if (violations.length) throw new LambdaValidationError(violations);
    for (const [key, arn] of [['OnSuccess', input.onSuccess], ['OnFailure', input.onFailure]] as const) {
      if (arn) checkDestination(arn, this.#functions, `DestinationConfig.${key}.Destination`);
    }
  }
}

/**
 * Destinations and dead-letter targets this platform can deliver to: Lambda functions
 * of this account and region (SQS, SNS, EventBridge and S3 are not part of Lambdock).
 * Returns the target function reference.
 */
export function checkDestination(arn: string, ctx: { account: string; region: string }, field: string): FunctionRef {
  const m = /^arn:(aws[a-zA-Z-]*):([a-z0-9-]+):/.exec(arn);
  if (!m) throw new InvalidParameterError(`The provided ${field} ${arn} is not a valid ARN.`);
  if (m[2] !== 'lambda' || !arn.includes(':function:')) {
    throw new InvalidParameterError(`The provided ${field} ${arn} is not supported: Lambdock delivers to Lambda functions (arn:aws:lambda:${ctx.region}:${ctx.account}:function:NAME).`);
  }
  try {
    return parseFunctionRef(arn, { ...ctx, field });
  } catch {
    throw new InvalidParameterError(`The provided ${field} ${arn} is not a valid function ARN of this account and region.`);
  }
}
