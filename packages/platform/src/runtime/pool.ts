import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import type { Logger } from '@lambdock/common';
import type { FunctionRecord } from '../functions/model.js';
import type { ImageService } from '../images/image-service.js';
import { logGroupName } from '../functions/configuration.js';
import { ExecutionEnvironment } from './environment.js';
import type { EnvironmentDeps } from './environment.js';

export interface PoolOptions {
  /**
   * Idle time after which a warm environment is frozen (cgroup freezer). Default 1 s: an
   * environment in steady use is never frozen between invokes (a freeze polls the cgroup
   * until every task stopped, which under load costs far more than the thaw it saves).
   */
  freezeAfterMs?: number;
  /** Idle time after which an environment is shut down. Default 5 minutes. */
  idleTimeoutMs?: number;
  /**
   * Environments starting at once; more cold starts queue. Default 4 per CPU: a burst
   * of hundreds of simultaneous runtime inits would only thrash the CPUs and run into
   * the 10 s init limit, while queued ones start as soon as a slot frees up.
   */
  maxConcurrentStarts?: number;
}

interface FunctionPool {
  /** Code + settings the environments were started with; a change retires them. */
  signature: string;
  idle: ExecutionEnvironment[];
  all: Set<ExecutionEnvironment>;
}

/**
 * Warm execution environments per function. An invoke takes the most recently used
 * idle environment (warmest caches) or starts a new one — requests never wait for
 * another request's environment. Environments whose function changed (code or
 * configuration) or was deleted are retired; crashed ones are dropped. A sweeper
 * freezes environments idle for `freezeAfterMs` and reaps those idle for `idleTimeoutMs`.
 */
export class EnvironmentPool {
  readonly #pools = new Map<string, FunctionPool>();
  readonly #deps: EnvironmentDeps;
  readonly #images: ImageService;
  readonly #log: Logger;
  readonly #freezeAfterMs: number;
  readonly #idleTimeoutMs: number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #starting = new Set<Promise<unknown>>();
  readonly #maxStarts: number;
  #activeStarts = 0;
  readonly #startQueue: Array<() => void> = [];
  /** Environments being torn down; close() waits for them so no mount outlives the pool. */
  readonly #destroying = new Set<Promise<void>>();
  /** Every environment started and not yet destroyed, whichever pool (or none) holds it. */
  readonly #live = new Set<ExecutionEnvironment>();

  constructor(deps: EnvironmentDeps, images: ImageService, opts: PoolOptions = {}) {
    this.#deps = deps;
    this.#images = images;
    this.#log = deps.logger;
    this.#freezeAfterMs = opts.freezeAfterMs ?? 1000;
    this.#idleTimeoutMs = opts.idleTimeoutMs ?? 5 * 60_000;
    this.#maxStarts = opts.maxConcurrentStarts ?? Math.max(4, availableParallelism() * 4);
    const every = Math.max(10, Math.min(this.#freezeAfterMs / 2, 1000));
    this.#sweeper = setInterval(() => this.#sweep(), every);
    this.#sweeper.unref();
  }

  /** An environment for `rec` (warm when one is idle), marked busy by its invoke. */
  async acquire(rec: FunctionRecord): Promise<ExecutionEnvironment> {
    const pool = this.#poolFor(rec);
    const warm = takeIdle(pool);
    if (warm) return warm;
    const image = rec.code!;
    const start = (async (): Promise<ExecutionEnvironment> => {
      await this.#startSlot();
      try {
        // While this request queued for a start slot, an environment may have become free.
        const freed = this.#pools.get(poolKey(rec)) === pool ? takeIdle(pool) : undefined;
        if (freed) return freed;
        const lowerDirs = await this.#images.lowerDirs(image);
        const env = await ExecutionEnvironment.start(rec, image, lowerDirs, logGroupName(rec), this.#deps);
        this.#live.add(env);
        env.onDead(() => {
          this.#live.delete(env);
          this.#drop(env);
        });
        // Added even when the pool was retired meanwhile: it serves this request, then goes on release.
        pool.all.add(env);
        return env;
      } finally {
        this.#releaseStartSlot();
      }
    })();
    this.#starting.add(start);
    try {
      return await start;
    } finally {
      this.#starting.delete(start);
    }
  }

  /** Returns an environment after its invoke. */
  release(env: ExecutionEnvironment): void {
    const pool = this.#pools.get(poolKey(env));
    if (!env.alive) {
      pool?.all.delete(env);
      return;
    }
    if (!pool || !pool.all.has(env)) {
      this.#destroy(env);
      return;
    }
    env.release();
    pool.idle.push(env);
  }

  /** The function changed or was deleted: environments started from the old settings go. */
  functionChanged(name: string, rec: FunctionRecord | undefined): void {
    if (!rec) this.versionsRemoved(name);
    const pool = this.#pools.get(name);
    if (!pool) return;
    if (rec && rec.code && signature(rec) === pool.signature) return;
    this.#retire(name, pool);
  }

  /** A published version was deleted, or its whole function (`version` undefined): its environments go. */
  versionsRemoved(name: string, version?: string): void {
    for (const [key, pool] of [...this.#pools]) {
      if (version === undefined ? key.startsWith(`${name}:`) : key === `${name}:${version}`) this.#retire(key, pool);
    }
  }

  /** Environments per function, for the console and tests. */
  stats(): Record<string, { total: number; idle: number; frozen: number }> {
    const out: Record<string, { total: number; idle: number; frozen: number }> = {};
    for (const [name, p] of this.#pools) out[name] = { total: p.all.size, idle: p.idle.length, frozen: p.idle.filter((e) => e.state === 'frozen').length };
    return out;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.allSettled([...this.#starting]);
    for (const e of this.#live) this.#destroy(e);
    this.#pools.clear();
    while (this.#destroying.size) await Promise.allSettled([...this.#destroying]);
  }

  #destroy(env: ExecutionEnvironment): void {
    this.#live.delete(env);
    const p = env.destroy().finally(() => this.#destroying.delete(p));
    this.#destroying.add(p);
  }

  #startSlot(): Promise<void> {
    if (this.#activeStarts < this.#maxStarts) {
      this.#activeStarts++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#startQueue.push(resolve));
  }

  #releaseStartSlot(): void {
    const next = this.#startQueue.shift();
    if (next) next();
    else this.#activeStarts--;
  }

  #poolFor(rec: FunctionRecord): FunctionPool {
    const sig = signature(rec);
    const key = poolKey(rec);
    let pool = this.#pools.get(key);
    if (pool && pool.signature !== sig) {
      this.#retire(key, pool);
      pool = undefined;
    }
    if (!pool) {
      pool = { signature: sig, idle: [], all: new Set() };
      this.#pools.set(key, pool);
    }
    return pool;
  }

  #retire(name: string, pool: FunctionPool): void {
    if (this.#pools.get(name) === pool) this.#pools.delete(name);
    // Idle ones go now; busy ones finish their invoke and go on release.
    for (const env of pool.idle) this.#destroy(env);
    pool.idle = [];
    pool.all.clear();
  }

  #drop(env: ExecutionEnvironment): void {
    const pool = this.#pools.get(poolKey(env));
    if (!pool) return;
    pool.all.delete(env);
    const i = pool.idle.indexOf(env);
    if (i >= 0) pool.idle.splice(i, 1);
  }

  #sweep(): void {
    const now = performance.now();
    // Freezing polls the cgroup through the file system; a few per sweep keep the libuv
    // thread pool (log writes, stats) responsive when many environments go idle at once.
    let freezes = 0;
    for (const pool of this.#pools.values()) {
      for (let i = pool.idle.length - 1; i >= 0; i--) {
        const env = pool.idle[i]!;
        const idleFor = now - env.idleSince;
        if (idleFor >= this.#idleTimeoutMs || !env.alive) {
          pool.idle.splice(i, 1);
          pool.all.delete(env);
          if (env.alive) this.#log.debug('reaping idle environment', { environment: env.id, idleMs: Math.round(idleFor) });
          this.#destroy(env);
        } else if (idleFor >= this.#freezeAfterMs && env.state === 'idle' && freezes < FREEZES_PER_SWEEP) {
          freezes++;
          env.freeze();
        }
      }
    }
  }
}

/** The most recently used idle environment that is not frozen; a frozen one only when no other is left. */
function takeIdle(pool: FunctionPool): ExecutionEnvironment | undefined {
  for (let i = pool.idle.length - 1; i >= 0; i--) {
    const env = pool.idle[i]!;
    if (env.state === 'idle') {
      pool.idle.splice(i, 1);
      return env;
    }
  }
  while (pool.idle.length) {
    const env = pool.idle.pop()!;
    if (env.alive) return env;
  }
  return undefined;
}

const FREEZES_PER_SWEEP = 4;

/** Each published version has environments of its own, apart from $LATEST's: `name` or `name:version`. */
function poolKey(x: { name?: string; functionName?: string; version: string }): string {
  const name = (x.name ?? x.functionName)!;
  return x.version === '$LATEST' ? name : `${name}:${x.version}`;
}

const signatures = new WeakMap<FunctionRecord, string>();
/** What an environment depends on: the prepared image and every setting that shapes the process. */
function signature(rec: FunctionRecord): string {
  let s = signatures.get(rec);
  if (s === undefined) {
    s = `${rec.code?.digest ?? ''}|${JSON.stringify(rec.settings)}`;
    signatures.set(rec, s);
  }
  return s;
}
