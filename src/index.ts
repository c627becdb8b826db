// The public surface of storage-safe-archive. Re-exports only: each folder is one concept
// (see DESIGN.md) and owns its own index.
export * from './errors/index.js';
export { KiB, MiB, GiB, formatBytes } from './units.js';
export * from './observe/index.js';
export * from './storage/index.js';
export * from './cleanup/index.js';
export * from './retry/index.js';
export * from './extract/index.js';
export * from './zip/index.js';
export * from './repackage/index.js';
export * from './s3/layout.js';
