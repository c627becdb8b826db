// The reader + policy half of the extractor: raw entries in, checked ArchiveEntry out.
// Nothing here touches the destination; the writer and entries() both build on it.
import { Readable } from 'node:stream';
import { ExtractionError } from '../errors/index.js';
import { checkEntry, type CheckedEntry, type LinkPolicy } from './policy/check-entry.js';
import { checkHardlinkTarget } from './policy/check-link-target.js';
import { assertWithinLimit, type ExtractionLimits } from './policy/limits.js';
import { normalizeEntryPath } from './policy/normalize-entry-path.js';
import { checkStripCount, stripComponents } from './policy/strip-components.js';
import type { RawEntry } from './readers/raw-entry.js';
import { readTarEntries } from './readers/tar-reader.js';
import { readZipEntries } from './readers/zip-reader.js';
import { openArchive, type OpenedArchive } from './sources/open-archive.js';
import type { ArchiveEntry, ArchiveSource } from './types.js';

/** What {@link iterateEntries} needs. */
export interface EntryIterationOptions {
  /** Resolved limits. */
  limits: ExtractionLimits;
  /** Link policy. */
  links: LinkPolicy;
  /** Cancels the iteration. */
  signal?: AbortSignal;
  /** Leading folders removed from every name, as `tar --strip-components`; entries left with no name are dropped. */
  stripComponents?: number;
  /** Inflate a tar.gz on a worker thread (see `StreamingExtractorOptions.gunzipWorker`). */
  gunzipWorker?: boolean;
  /** Called once the format is known, before the first entry. */
  onOpen?: (opened: OpenedArchive) => void;
}

/** An {@link ArchiveEntry} plus what the writer needs to know. */
export interface IteratedEntry extends ArchiveEntry {
  /** The policy's verdict (resolved link target). */
  readonly checked: CheckedEntry;
  /** The archive's own spelling of the name, for messages. */
  readonly rawName: string;
  /**
   * The body as chunks: pulled straight from the reader where it can (no stream, no per-entry
   * stream machinery), else read from {@link ArchiveEntry.body}. Use one or the other.
   */
  chunks(): AsyncIterable<Buffer>;
  /**
   * The body as a stream that stays open when the next entry is asked for, so that several are
   * read at once; `undefined` where the reader cannot (tar, which is one stream) or the body was
   * already opened. The iteration ends only once such bodies have closed.
   */
  detachBody(): Readable | undefined;
}

/** Bytes asked of the reader at a time when a body is pulled. */
const PULL_BYTES = 256 * 1024;

/** Throws `ABORTED` when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, entryPath?: string): void {
  if (signal?.aborted) {
    throw new ExtractionError('cancelled by its AbortSignal', { reason: 'ABORTED', ...(entryPath === undefined ? {} : { entryPath }), cause: signal.reason });
  }
}

function rawEntries(opened: OpenedArchive, limits: ExtractionLimits): AsyncGenerator<RawEntry, void, undefined> {
  return opened.format === 'zip' ? readZipEntries(opened.source, limits, opened.label) : readTarEntries(opened.reader, limits);
}

function emptyBody(): Readable {
  return Readable.from([]);
}

/**
 * Opens `archive` and yields its entries one at a time, each checked by the safety policy.
 * Bodies are opened lazily: a body never touched (or skipped) is never decompressed, and for
 * a zip never read at all.
 *
 * @example
 * ```ts
 * for await (const entry of iterateEntries('model.tar.gz', { limits: DEFAULT_LIMITS, links: 'reject' })) await entry.skip();
 * ```
 */
export async function* iterateEntries(archive: ArchiveSource, options: EntryIterationOptions): AsyncGenerator<IteratedEntry, void, undefined> {
  throwIfAborted(options.signal);
  const opened = await openArchive(archive, options.limits, { gunzipWorker: options.gunzipWorker === true });
  options.onOpen?.(opened);
  yield* checkEntries(rawEntries(opened, options.limits), options);
}

/**
 * The policy stage: raw entries from any reader in, checked entries out. Every name, link and
 * limit is decided here once, and what was resolved (a link's target) travels with the entry.
 */
export async function* checkEntries(raws: AsyncIterable<RawEntry>, options: EntryIterationOptions): AsyncGenerator<IteratedEntry, void, undefined> {
  const { limits, links, signal } = options;
  const strip = checkStripCount(options.stripComponents);
  let count = 0;
  let declaredBytes = 0;
  let previous: PolicyEntry | undefined;
  const iterator = raws[Symbol.asyncIterator]();
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const raw = next.value;
      previous?.stopBody();
      previous = undefined;
      throwIfAborted(signal, raw.name);
      assertWithinLimit('maxEntries', ++count, limits.maxEntries, raw.name);
      const stripped = strip === 0 ? raw : stripEntry(raw, strip, limits);
      if (stripped === undefined) continue;
      const checked = checkEntry(stripped, limits, links);
      if (checked.path === '') continue; // "./": the destination itself
      declaredBytes += checked.size;
      if (typeof limits.maxTotalBytes === 'number') assertWithinLimit('maxTotalBytes', declaredBytes, limits.maxTotalBytes, raw.name);
      previous = new PolicyEntry(raw, checked, signal);
      yield previous;
    }
  } finally {
    previous?.stopBody();
    await iterator.return?.(undefined);
  }
}

/**
 * A checked entry. A class, not an object literal with a `get body()` and closures: measured on
 * 100,000 tiny entries, with the literal each entry's closures (and all they held) outlived young
 * collections and were freed only by full ones, about 1.7 KB of garbage an entry and some 20 MiB
 * of peak RSS (docs/performance.md, "Memory"). test/repackage/flat-memory.test.ts guards it.
 */
class PolicyEntry implements IteratedEntry {
  readonly path: string;
  readonly type: IteratedEntry['type'];
  readonly size: number;
  readonly mode: number;
  readonly mtime: Date;
  readonly linkTarget?: string;
  readonly checked: CheckedEntry;
  readonly rawName: string;
  readonly #raw: RawEntry;
  readonly #signal: AbortSignal | undefined;
  #body: Readable | undefined;
  /** True once the body is the caller's to keep open past the next entry. */
  #detached = false;
  #pulled = false;
  #skipped = false;

  constructor(raw: RawEntry, checked: CheckedEntry, signal: AbortSignal | undefined) {
    this.path = checked.path;
    this.type = checked.type;
    this.size = checked.size;
    this.mode = checked.mode;
    this.mtime = raw.mtime;
    if (checked.linkTarget !== undefined) this.linkTarget = checked.linkTarget;
    this.checked = checked;
    this.rawName = raw.name;
    this.#raw = raw;
    this.#signal = signal;
  }

  get body(): Readable {
    return this.#openBody(false);
  }

  chunks(): AsyncIterable<Buffer> {
    const raw = this.#raw;
    const readBody = raw.readBody;
    if (this.#body !== undefined || this.#pulled || this.#skipped || this.type !== 'file' || readBody === undefined) return this.#openBody(false);
    this.#pulled = true;
    const signal = this.#signal;
    return pullChunks((max) => {
      throwIfAborted(signal, raw.name);
      return readBody.call(raw, max);
    });
  }

  detachBody(): Readable | undefined {
    if (this.#body !== undefined || this.#pulled || this.#skipped || this.type !== 'file' || this.#raw.openDetachedBody === undefined) return undefined;
    return this.#openBody(true);
  }

  async skip(): Promise<void> {
    // Pulled, or never opened: the reader skips what is left when the next entry is asked for
    // (without reading, where it can).
    if (this.#pulled) return;
    const body = this.#body;
    if (body === undefined) {
      this.#skipped = true;
      return;
    }
    if (body.readableEnded || body.destroyed) return;
    await new Promise<void>((resolve, reject) => {
      body.once('end', resolve);
      body.once('error', reject);
      body.resume();
    });
  }

  /** Called when the next entry is asked for: a body left open (and not detached) is stopped. */
  stopBody(): void {
    if (this.#body !== undefined && !this.#detached && !this.#body.readableEnded) this.#body.destroy();
  }

  #openBody(detached: boolean): Readable {
    if (this.#body !== undefined) return this.#body;
    const raw = this.#raw;
    const body = this.type !== 'file' || this.#skipped ? emptyBody() : detached && raw.openDetachedBody ? raw.openDetachedBody() : raw.openBody();
    this.#body = body;
    this.#detached = detached;
    const signal = this.#signal;
    if (signal !== undefined) {
      const onAbort = () => body.destroy(new ExtractionError('cancelled by its AbortSignal', { reason: 'ABORTED', entryPath: raw.name }));
      signal.addEventListener('abort', onAbort, { once: true });
      body.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return body;
  }
}

/** An async iterable over `read`, with nothing but the calls themselves. */
function pullChunks(read: (max: number) => Promise<Buffer | null>): AsyncIterable<Buffer> {
  const done = { done: true, value: undefined } as const;
  const iterator: AsyncIterator<Buffer> = {
    next: async () => {
      const chunk = await read(PULL_BYTES);
      return chunk === null ? done : { done: false, value: chunk };
    },
    return: async () => done,
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/**
 * `raw` with `strip` leading folders removed from its name (and from a hard link's target, which
 * names another entry of the archive), or `undefined` when nothing is left of either.
 */
function stripEntry(raw: RawEntry, strip: number, limits: ExtractionLimits): RawEntry | undefined {
  const name = stripComponents(normalizeEntryPath(raw.name, limits), strip);
  if (name === undefined) return undefined;
  if (raw.kind !== 'hardlink') return { ...raw, name };
  const target = stripComponents(checkHardlinkTarget(name, raw.linkTarget ?? '', limits), strip);
  return target === undefined ? undefined : { ...raw, name, linkTarget: target };
}
