// Lambda entry point of the producer: POST /ingest (API Gateway proxy) and S3 ObjectCreated on
// models/. Configuration: EFS_MOUNT_PATH (default /mnt/efs), BUCKET_NAME, LOG_LEVEL,
// POWERTOOLS_SERVICE_NAME or SERVICE_NAME, METRICS_NAMESPACE.
import { createS3Client } from '../aws/clients.js';
import { createProducerHandler } from '../ingest/producer-handler.js';
import { serviceName } from '../observe/function-logger.js';

/** The producer handler, configured from the environment at init. */
export const handler = createProducerHandler({
  mountPath: process.env.EFS_MOUNT_PATH || '/mnt/efs',
  bucket: process.env.BUCKET_NAME,
  s3: () => createS3Client(),
  service: serviceName('producer'),
});
