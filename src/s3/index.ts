// The `storage-safe-archive/s3` entry: everything that talks to S3 or DynamoDB through the AWS
// SDK (an optional peer dependency, loaded on first use). Kept apart from the root entry so a
// project that never touches S3 compiles and runs without the SDK installed. The S3 key builder
// needs no SDK and is in the root entry (`./layout.ts`).
export { s3UploadStream } from './upload-stream.js';
export type { S3UploadStreamOptions, S3UploadResult, S3UploadStream } from './upload-stream.js';
export { s3ResumableUploadStream, findOpenUpload } from './resumable-upload.js';
export type { S3ResumableUploadOptions, S3ResumableUploadResult, S3ResumableUploadStream } from './resumable-upload.js';
export { s3RandomAccessSource } from './random-access-source.js';
export type { S3RandomAccessSource, S3RandomAccessSourceOptions } from './random-access-source.js';
export { s3RangedReadStream } from './ranged-read-stream.js';
export type { S3RangedReadStreamOptions, S3RangedReadStats, S3RangedReadStream } from './ranged-read-stream.js';
export { readThrough, type ReadThroughOptions, type ReadThroughResult } from './read-through.js';
export * from './migration/index.js';
