// Not enough disk for an operation: the bytes needed and free, where, and the setting to raise.
import { ceilGiB, formatBytes } from '../units.js';
import { StorageError, type StorageErrorOptions } from './storage-error.js';

/** Fields of an {@link InsufficientStorageError}. */
export interface InsufficientStorageErrorFields extends StorageErrorOptions {
  /** Bytes the operation needs. */
  requiredBytes: number;
  /** Bytes free (less any reservations) when it was checked. */
  availableBytes: number;
  /** The directory whose disk is short. */
  path: string;
  /** The disk's total size, when known: used to suggest an ephemeral-storage size. */
  totalBytes?: number;
  /** What needed the space ("extracting model.tar.gz"). */
  operation?: string;
}

/**
 * There is not enough free disk for an operation, checked before it writes or raised in
 * place of a raw `ENOSPC` when a disk fills anyway. Carries the numbers and what to try.
 *
 * @example
 * ```ts
 * const error = new InsufficientStorageError({ requiredBytes: 3.1 * GiB, availableBytes: 1.2 * GiB, path: '/tmp' });
 * error.message; // "needs 3.1 GiB in /tmp but 1.2 GiB is free; raise ..."
 * ```
 */
export class InsufficientStorageError extends StorageError {
  static override readonly kind: string = 'InsufficientStorageError';

  /** Bytes the operation needs. */
  readonly requiredBytes: number;
  /** Bytes that were free. */
  readonly availableBytes: number;
  /** The directory whose disk is short. */
  readonly path: string;

  constructor(fields: InsufficientStorageErrorFields) {
    const { requiredBytes, availableBytes, path, totalBytes, operation } = fields;
    const shortfall = Math.max(0, requiredBytes - availableBytes);
    // A Lambda's disk is the ephemeral storage setting; what is in use stays in use, so the
    // size to ask for is what is used now plus what this operation needs.
    const wanted = totalBytes === undefined ? requiredBytes : totalBytes - availableBytes + requiredBytes;
    const suggestion =
      fields.suggestion ??
      `raise the function's ephemeral storage to at least ${ceilGiB(wanted)} GiB, ` +
        `or stream with repackage() or entries() so no scratch disk is used`;
    const what = operation ? `${operation} needs` : 'needs';
    super(
      'INSUFFICIENT_STORAGE',
      `${what} ${formatBytes(requiredBytes)} in ${path} but ${formatBytes(availableBytes)} is free; ${suggestion}`,
      {
        cause: fields.cause,
        suggestion,
        details: {
          ...fields.details,
          requiredBytes,
          availableBytes,
          shortfallBytes: shortfall,
          path,
          ...(totalBytes === undefined ? {} : { totalBytes }),
          ...(operation === undefined ? {} : { operation }),
        },
      },
    );
    this.requiredBytes = requiredBytes;
    this.availableBytes = availableBytes;
    this.path = path;
  }
}
