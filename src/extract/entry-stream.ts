// The reader + policy half of the extractor: raw entries in, checked ArchiveEntry out.
// Nothing here touches the destination; the writer and entries() both build on it.
import { Readable } from 'node:stream';
import { ExtractionError } from '../errors.js';
import { checkEntry, type CheckedEntry, type LinkPolicy } from './policy/check-entry.js';
import { assertWithinLimit, type ExtractionLimits } from './policy/limits.js';
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
  /** Called once the format is known, before the first entry. */
  onOpen?: (opened: OpenedArchive) => void;
}

/** An {@link ArchiveEntry} plus what the writer needs to know. */
export interface IteratedEntry extends ArchiveEntry {
  /** The policy's verdict (resolved link target). */
  readonly checked: CheckedEntry;
  /** The archive's own spelling of the name, for messages. */
  readonly rawName: string;
}

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
  const { limits, links, signal } = options;
  throwIfAborted(signal);
  const opened = await openArchive(archive, limits);
  options.onOpen?.(opened);
  let count = 0;
  let declaredBytes = 0;
  let previousBody: Readable | undefined;
  const generator = rawEntries(opened, limits);
  try {
    for await (const raw of generator) {
      if (previousBody !== undefined && !previousBody.readableEnded) previousBody.destroy();
      previousBody = undefined;
      throwIfAborted(signal, raw.name);
      assertWithinLimit('maxEntries', ++count, limits.maxEntries, raw.name);
      const checked = checkEntry(raw, limits, links);
      if (checked.path === '') continue; // "./": the destination itself
      declaredBytes += checked.size;
      if (typeof limits.maxTotalBytes === 'number') assertWithinLimit('maxTotalBytes', declaredBytes, limits.maxTotalBytes, raw.name);
      let body: Readable | undefined;
      const openBody = (): Readable => {
        if (body !== undefined) return body;
        body = checked.type === 'file' ? raw.openBody() : emptyBody();
        if (signal !== undefined) {
          const opened = body;
          const onAbort = () => opened.destroy(new ExtractionError('cancelled by its AbortSignal', { reason: 'ABORTED', entryPath: raw.name }));
          signal.addEventListener('abort', onAbort, { once: true });
          opened.once('close', () => signal.removeEventListener('abort', onAbort));
        }
        previousBody = body;
        return body;
      };
      const entry: IteratedEntry = {
        path: checked.path,
        type: checked.type,
        size: checked.size,
        mode: checked.mode,
        mtime: raw.mtime,
        ...(checked.linkTarget === undefined ? {} : { linkTarget: checked.linkTarget }),
        checked,
        rawName: raw.name,
        get body() {
          return openBody();
        },
        async skip() {
          if (body === undefined) {
            // Never opened: the reader skips it when the next entry is asked for (without reading, where it can).
            body = emptyBody();
            return;
          }
          if (body.readableEnded || body.destroyed) return;
          const readable = body;
          await new Promise<void>((resolve, reject) => {
            readable.once('end', resolve);
            readable.once('error', reject);
            readable.resume();
          });
        },
      };
      yield entry;
    }
  } finally {
    if (previousBody !== undefined && !previousBody.readableEnded) previousBody.destroy();
    await generator.return(undefined);
  }
}
