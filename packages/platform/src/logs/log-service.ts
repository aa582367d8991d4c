import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Function logs as CloudWatch Logs models them: groups (`/aws/lambda/<fn>`) of streams
 * (one per execution environment, `YYYY/MM/DD/[$LATEST]<32 hex>`) of events
 * (timestamp + message). Kept on disk so they outlive environments and restarts:
 *
 *   <root>/
 *     <encodeURIComponent(group)>/
 *       <encodeURIComponent(stream)>.ndjson    one `[timestampMs, message]` per line
 *
 * Appends are batched per stream and written in order off the invoke's hot path.
 * Readers (the CLI's `logs`, the CloudWatch Logs API of issue #7) use listGroups,
 * listStreams, getEvents, filterEvents and subscribe (follow).
 */
export interface LogEvent {
  timestamp: number;
  message: string;
}

export interface StoredLogEvent extends LogEvent {
  ingestionTime: number;
}

export interface LogStreamInfo {
  logStreamName: string;
  creationTime: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  storedBytes: number;
}

export interface GetEventsOptions {
  startTime?: number;
  endTime?: number;
  limit?: number;
  /** From a previous page: `f/<index>` (forward) or `b/<index>` (backward). */
  nextToken?: string;
  /** Without a token: oldest first when true, newest page when false (CloudWatch's default). */
  startFromHead?: boolean;
}

export interface FilterEventsOptions {
  logStreamNames?: string[];
  logStreamNamePrefix?: string;
  startTime?: number;
  endTime?: number;
  /** CloudWatch's simple term syntax: space-separated terms that must all occur; `"quoted phrase"`; `-term` excludes. */
  filterPattern?: string;
  limit?: number;
  nextToken?: string;
}

export interface FilteredLogEvent extends StoredLogEvent {
  logStreamName: string;
  eventId: string;
}

export type LogListener = (e: { group: string; stream: string; events: StoredLogEvent[] }) => void;

/** Stream name for a new execution environment, as Lambda names them. */
export function newStreamName(version: string, now = new Date()): string {
  const d = now.toISOString().slice(0, 10).replace(/-/g, '/');
  return `${d}/[${version}]${randomBytes(16).toString('hex')}`;
}

const FLUSH_MS = 20;
const HANDLE_IDLE_MS = 30_000;

export class LogService {
  readonly #root: string;
  readonly #pending = new Map<string, { group: string; stream: string; lines: string[]; events: StoredLogEvent[] }>();
  readonly #writing = new Map<string, Promise<void>>();
  readonly #listeners = new Set<{ group?: string; fn: LogListener }>();
  readonly #knownDirs = new Set<string>();
  #flushScheduled = false;
  readonly #handles = new Map<string, { fh: Promise<FileHandle>; usedAt: number }>();
  readonly #closer: NodeJS.Timeout;

  constructor(root: string) {
    this.#root = root;
    mkdirSync(root, { recursive: true });
    this.#closer = setInterval(() => this.#closeIdle(), HANDLE_IDLE_MS / 2);
    this.#closer.unref();
  }

  /** Queues events for a stream; they are on disk shortly after (see flush). */
  append(group: string, stream: string, events: LogEvent[]): void {
    if (events.length === 0) return;
    const key = `${group}\u0000${stream}`;
    let p = this.#pending.get(key);
    if (!p) {
      p = { group, stream, lines: [], events: [] };
      this.#pending.set(key, p);
    }
    const now = Date.now();
    for (const e of events) {
      p.lines.push(JSON.stringify([e.timestamp, e.message]));
      p.events.push({ timestamp: e.timestamp, message: e.message, ingestionTime: now });
    }
    if (!this.#flushScheduled) {
      // One write per stream per FLUSH_MS, not per invoke; readers flush before they read.
      this.#flushScheduled = true;
      setTimeout(() => void this.flush(), FLUSH_MS).unref();
    }
  }

  /** Writes everything queued so far; resolves when it is on disk. */
  async flush(): Promise<void> {
    this.#flushScheduled = false;
    const batches = [...this.#pending.values()];
    this.#pending.clear();
    await Promise.all(
      batches.map((b) => {
        const key = `${b.group}\u0000${b.stream}`;
        const prev = this.#writing.get(key) ?? Promise.resolve();
        const next = prev.then(async () => {
          const fh = await this.#handle(key, b.group, b.stream);
          await fh.write(b.lines.join('\n') + '\n');
        });
        const settled = next.catch(() => undefined);
        this.#writing.set(key, settled);
        void settled.then(() => {
          if (this.#writing.get(key) === settled) this.#writing.delete(key);
        });
        for (const l of this.#listeners) if (!l.group || l.group === b.group) l.fn({ group: b.group, stream: b.stream, events: b.events });
        return next;
      }),
    );
    await Promise.all([...this.#writing.values()]);
  }

  /** Follow new events (of one group, or all); returns the unsubscribe function. */
  subscribe(group: string | undefined, fn: LogListener): () => void {
    const entry = { ...(group ? { group } : {}), fn };
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  async listGroups(): Promise<Array<{ logGroupName: string; creationTime: number; storedBytes: number }>> {
    await this.flush();
    const out = [];
    for (const name of (await readdir(this.#root).catch(() => [])).sort()) {
      const st = await stat(join(this.#root, name));
      if (!st.isDirectory()) continue;
      let bytes = 0;
      for (const f of await readdir(join(this.#root, name))) bytes += (await stat(join(this.#root, name, f))).size;
      out.push({ logGroupName: decodeURIComponent(name), creationTime: Math.floor(st.birthtimeMs || st.ctimeMs), storedBytes: bytes });
    }
    return out;
  }

  /** Streams of a group, most recently written last. */
  async listStreams(group: string): Promise<LogStreamInfo[]> {
    await this.flush();
    const dir = join(this.#root, encodeURIComponent(group));
    const files = await readdir(dir).catch(() => [] as string[]);
    const out: LogStreamInfo[] = [];
    for (const f of files) {
      if (!f.endsWith('.ndjson')) continue;
      const name = decodeURIComponent(f.slice(0, -'.ndjson'.length));
      const st = await stat(join(dir, f));
      const events = await this.#read(group, name);
      const info: LogStreamInfo = { logStreamName: name, creationTime: Math.floor(st.birthtimeMs || st.ctimeMs), storedBytes: st.size };
      if (events.length) {
        info.firstEventTimestamp = events[0]!.timestamp;
        info.lastEventTimestamp = events[events.length - 1]!.timestamp;
        info.lastIngestionTime = Math.floor(st.mtimeMs);
      }
      out.push(info);
    }
    return out.sort((a, b) => (a.lastEventTimestamp ?? a.creationTime) - (b.lastEventTimestamp ?? b.creationTime));
  }

  async getEvents(group: string, stream: string, opts: GetEventsOptions = {}): Promise<{ events: StoredLogEvent[]; nextForwardToken: string; nextBackwardToken: string }> {
    await this.flush();
    const all = (await this.#read(group, stream)).filter((e) => inRange(e.timestamp, opts.startTime, opts.endTime));
    const limit = Math.min(opts.limit ?? 10_000, 10_000);
    let start: number;
    let end: number;
    const tok = opts.nextToken ? /^([fb])\/(\d+)$/.exec(opts.nextToken) : null;
    if (tok && tok[1] === 'f') {
      start = Number(tok[2]);
      end = Math.min(all.length, start + limit);
    } else if (tok) {
      end = Number(tok[2]);
      start = Math.max(0, end - limit);
    } else if (opts.startFromHead) {
      start = 0;
      end = Math.min(all.length, limit);
    } else {
      end = all.length;
      start = Math.max(0, end - limit);
    }
    return { events: all.slice(start, end), nextForwardToken: `f/${end}`, nextBackwardToken: `b/${start}` };
  }

  async filterEvents(group: string, opts: FilterEventsOptions = {}): Promise<{ events: FilteredLogEvent[]; nextToken?: string }> {
    await this.flush();
    const streams = (await this.listStreams(group))
      .map((s) => s.logStreamName)
      .filter((s) => (!opts.logStreamNames || opts.logStreamNames.includes(s)) && (!opts.logStreamNamePrefix || s.startsWith(opts.logStreamNamePrefix)));
    const match = compilePattern(opts.filterPattern);
    const all: FilteredLogEvent[] = [];
    for (const s of streams) {
      const events = await this.#read(group, s);
      events.forEach((e, i) => {
        if (inRange(e.timestamp, opts.startTime, opts.endTime) && match(e.message)) {
          all.push({ ...e, logStreamName: s, eventId: `${e.timestamp}-${Buffer.from(s).toString('base64url')}-${i}` });
        }
      });
    }
    all.sort((a, b) => a.timestamp - b.timestamp);
    const offset = opts.nextToken ? Number(opts.nextToken) || 0 : 0;
    const limit = Math.min(opts.limit ?? 10_000, 10_000);
    const page = all.slice(offset, offset + limit);
    return offset + limit < all.length ? { events: page, nextToken: String(offset + limit) } : { events: page };
  }

  /** Removes a stream and its events (retention); false when it did not exist. */
  async deleteStream(group: string, stream: string): Promise<boolean> {
    await this.flush();
    const file = join(this.#root, encodeURIComponent(group), `${encodeURIComponent(stream)}.ndjson`);
    // Close a kept-open handle first, so later events start a new file instead of vanishing.
    const key = `${group}\u0000${stream}`;
    const h = this.#handles.get(key);
    if (h) {
      this.#handles.delete(key);
      await h.fh.then((fh) => fh.close()).catch(() => undefined);
    }
    return rm(file).then(() => true, () => false);
  }

  async close(): Promise<void> {
    await this.flush();
    this.#listeners.clear();
    clearInterval(this.#closer);
    const open = [...this.#handles.values()];
    this.#handles.clear();
    await Promise.allSettled(open.map(async (h) => (await h.fh).close()));
  }

  /** Streams keep their file open while written to (no open/close per flush); idle ones are closed. */
  #handle(key: string, group: string, stream: string): Promise<FileHandle> {
    let h = this.#handles.get(key);
    if (!h) {
      const fh = (async () => {
        const dir = join(this.#root, encodeURIComponent(group));
        if (!this.#knownDirs.has(dir)) {
          await mkdir(dir, { recursive: true });
          this.#knownDirs.add(dir);
        }
        return open(join(dir, `${encodeURIComponent(stream)}.ndjson`), 'a');
      })();
      h = { fh, usedAt: 0 };
      this.#handles.set(key, h);
      fh.catch(() => this.#handles.delete(key));
    }
    h.usedAt = Date.now();
    return h.fh;
  }

  #closeIdle(): void {
    const cutoff = Date.now() - HANDLE_IDLE_MS;
    for (const [key, h] of this.#handles) {
      if (h.usedAt < cutoff && !this.#writing.has(key)) {
        this.#handles.delete(key);
        void h.fh.then((fh) => fh.close()).catch(() => undefined);
      }
    }
  }

  async #read(group: string, stream: string): Promise<StoredLogEvent[]> {
    const file = join(this.#root, encodeURIComponent(group), `${encodeURIComponent(stream)}.ndjson`);
    const text = await readFile(file, 'utf8').catch(() => '');
    const ingestion = text ? Math.floor((await stat(file)).mtimeMs) : 0;
    const out: StoredLogEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const [timestamp, message] = JSON.parse(line) as [number, string];
        out.push({ timestamp, message, ingestionTime: ingestion });
      } catch {
        // a torn last line after a crash: skip it
      }
    }
    return out;
  }
}

function inRange(t: number, start?: number, end?: number): boolean {
  return (start === undefined || t >= start) && (end === undefined || t <= end);
}

function compilePattern(pattern: string | undefined): (msg: string) => boolean {
  if (!pattern || !pattern.trim()) return () => true;
  const terms: Array<{ text: string; negate: boolean }> = [];
  const re = /(-?)(?:"([^"]*)"|(\S+))/g;
  for (const m of pattern.matchAll(re)) terms.push({ negate: m[1] === '-', text: m[2] ?? m[3] ?? '' });
  return (msg) => terms.every((t) => msg.includes(t.text) !== t.negate);
}
