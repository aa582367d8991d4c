/**
 * An in-process async mutex per key. Blob commits, cross-repository mounts and
 * garbage collection take the digest's lock, so GC never deletes bytes between
 * "commit found the blob already there" and "link it into the repository".
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async with<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.#tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
