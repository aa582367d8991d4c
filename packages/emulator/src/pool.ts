import type { Logger } from '@lambdock/common';
import type { EmulatorConfig } from './config.js';
import { Slot, type Job } from './slot.js';

/**
 * Up to `maxConcurrency` execution environments. An invoke runs on an idle warm
 * slot if there is one, else an idle cold one, else waits in FIFO order: concurrent
 * invokes are always served, never refused.
 */
export class Pool {
  readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];

  constructor(
    private readonly config: EmulatorConfig,
    private readonly logger: Logger,
    private readonly out: (line: string) => void,
    private readonly extensionPaths: readonly string[],
  ) {}

  /** Opens every slot's Runtime API (slot 0 on the configured address) and starts the first runtime. */
  async open(): Promise<void> {
    for (let i = 0; i < this.config.maxConcurrency; i++) {
      const slot = new Slot(i, {
        config: this.config,
        logger: this.logger.child({ slot: i }),
        out: this.out,
        extensionPaths: this.extensionPaths,
        onIdle: (s) => this.onIdle(s),
      });
      await slot.listen(this.config.runtimeApiHost, i === 0 ? this.config.runtimeApiPort : 0);
      this.slots.push(slot);
    }
    // Init starts right away so the first invoke finds the runtime ready; its Init Duration is reported on that invoke.
    this.slots[0]!.start();
  }

  submit(job: Job): void {
    let cold: Slot | undefined;
    for (const s of this.slots) {
      if (s.busy) continue;
      if (s.env) return s.run(job);
      cold ??= s;
    }
    if (cold) cold.run(job);
    else this.queue.push(job);
  }

  /** Waiting invokes (not yet handed to a runtime). */
  get queued(): number {
    return this.queue.length;
  }

  restartAll(): void {
    for (const s of this.slots) s.restart();
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.close()));
  }

  private onIdle(slot: Slot): void {
    const job = this.queue.shift();
    if (job) slot.run(job);
  }
}
