export { IncrementalZipper, DETERMINISTIC_MTIME } from './incremental-zipper.js';
export type { IncrementalZipperOptions, ZipEntryOptions, ZipResult } from './zip-types.js';
export { createZipStreaming } from './create-zip-streaming.js';
export type { CreateZipStreamingOptions, ZipStorage, ZipReserveOptions, ZipReservation } from './create-zip-streaming.js';
export type { ZipCompression, AutoCompressionOptions } from './compression-choice.js';
export type { ZipOutput } from './zip-output.js';
export type { MemoryGovernorOptions } from './memory-governor.js';
export { checkZipEntryName } from './zip-entry-name.js';
export { defaultDeflateWorkers } from './deflate-pool.js';
