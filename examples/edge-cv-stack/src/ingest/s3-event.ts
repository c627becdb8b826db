// S3 event notifications carry object keys URL-encoded the way HTML forms are: "%2F" for "/",
// and "+" for a space. A key has to be decoded before it can be fetched.
import type { S3Event } from 'aws-lambda';

/** One object an S3 notification announced under models/. */
export interface AnnouncedModel {
  /** The bucket the object is in. */
  bucket: string;
  /** The decoded object key (`models/...`). */
  objectKey: string;
  /** The key below `models/`, i.e. the model key. */
  modelKey: string;
  /** The event name, e.g. `ObjectCreated:Put`. */
  eventName: string;
}

/** Decodes an S3 event key: `+` is a space, then percent-decoding. */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** Encodes a key the way S3 notifications do (the inverse of {@link decodeS3EventKey}). */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** True when `event` is an S3 notification rather than an API Gateway request. */
export function isS3Event(event: unknown): event is S3Event {
  const records = (event as { Records?: unknown }).Records;
  return Array.isArray(records) && records.every((r) => (r as { eventSource?: unknown }).eventSource === 'aws:s3');
}

/**
 * The ObjectCreated records of `event` under models/, decoded. "Folder" placeholder objects
 * (keys ending in `/`) and other prefixes are left out: the notification filter should not send
 * them, but a misconfigured one must not make the producer write outside models/.
 */
export function announcedModels(event: S3Event): AnnouncedModel[] {
  const models: AnnouncedModel[] = [];
  for (const record of event.Records) {
    if (!record.eventName.startsWith('ObjectCreated:')) continue;
    const objectKey = decodeS3EventKey(record.s3.object.key);
    if (!objectKey.startsWith('models/') || objectKey.endsWith('/')) continue;
    models.push({ bucket: record.s3.bucket.name, objectKey, modelKey: objectKey.slice('models/'.length), eventName: record.eventName });
  }
  return models;
}
