import type { ThrottleReason } from '../errors.js';

/**
 * Concurrency accounting as Lambda does it: a function with reserved concurrency
 * runs at most that many invokes at once; all other functions share what is left of
 * the account limit. Counting is per running invoke (= busy environment).
 */
export class ConcurrencyLimiter {
  readonly #running = new Map<string, number>();
  #unreservedRunning = 0;

  constructor(readonly accountLimit: number) {}

  /** Takes a slot or returns why not. `totalReserved` is the sum over all functions. */
  tryAcquire(name: string, reserved: number | undefined, totalReserved: number): ThrottleReason | undefined {
    const n = this.#running.get(name) ?? 0;
    if (reserved !== undefined) {
      if (n >= reserved) return 'ReservedFunctionConcurrentInvocationLimitExceeded';
    } else {
      if (this.#unreservedRunning >= this.accountLimit - totalReserved) return 'ConcurrentInvocationLimitExceeded';
      this.#unreservedRunning++;
    }
    this.#running.set(name, n + 1);
    return undefined;
  }

  release(name: string, reserved: number | undefined): void {
    const n = this.#running.get(name) ?? 0;
    if (n <= 1) this.#running.delete(name);
    else this.#running.set(name, n - 1);
    if (reserved === undefined) this.#unreservedRunning--;
  }

  running(name: string): number {
    return this.#running.get(name) ?? 0;
  }
}
