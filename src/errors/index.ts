// Every error the library throws: one base class (StorageError) and one subclass per kind of
// failure, each in its own module. Match on `code` (and `reason`), never on the message; the
// table of codes, reasons and suggestions is in docs/errors.md.
export { isStorageError, StorageError, type StorageErrorCode, type StorageErrorOptions } from './storage-error.js';
export { InsufficientStorageError, type InsufficientStorageErrorFields } from './insufficient-storage-error.js';
export { CleanupFailedError, type CleanupFailure } from './cleanup-failed-error.js';
export { EXTRACTION_REASONS, ExtractionError, type ExtractionErrorFields, type ExtractionReason } from './extraction-error.js';
export { COMPRESSION_REASONS, CompressionError, type CompressionErrorFields, type CompressionReason } from './compression-error.js';
export { ConfigurationError } from './configuration-error.js';
export { InvalidS3KeyError, MigrationError } from './s3-errors.js';
