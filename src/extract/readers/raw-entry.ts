import type { Readable } from 'node:stream';

/** Every kind a reader can meet; the policy turns the last four into refusals. */
export type RawEntryKind =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'hardlink'
  | 'character-device'
  | 'block-device'
  | 'fifo'
  | 'unknown';

/**
 * An entry as a reader decoded it, before the safety policy: the final name (after PAX,
 * GNU long names or the zip Unicode Path field), but nothing checked yet. Readers produce
 * these and know nothing of where they go.
 */
export interface RawEntry {
  /** The final name, as the archive gives it. */
  name: string;
  /** What the header says the entry is. */
  kind: RawEntryKind;
  /** Declared uncompressed size. */
  size: number;
  /** Mode bits as stored (may include setuid and friends). */
  mode: number;
  /** Modification time. */
  mtime: Date;
  /** For links: the target as stored. */
  linkTarget?: string;
  /** For unknown kinds: the raw type flag, for the error message. */
  typeFlag?: string;
  /**
   * Opens the body. Verified as it is read (exact size; CRC-32 for zip); errors are
   * {@link ExtractionError}s. Called at most once, and only for files.
   */
  openBody(): Readable;
  /**
   * Pulls the body's next bytes (at most `maxBytes`; `null` at its end) without a stream:
   * verified like {@link openBody}, and cheaper for thousands of small entries. A reader may
   * leave it out; a body is read one way or the other, never both.
   */
  readBody?(maxBytes: number): Promise<Buffer | null>;
  /**
   * Opens the body as one that outlives the iteration step: it is not destroyed when the next
   * entry is asked for, so several bodies can be read at once. Only readers with random access
   * (zip) offer it; the reader waits for such bodies to close before it closes the archive.
   */
  openDetachedBody?(): Readable;
}
