// Lambda entry point of the consumer: POST /predict (API Gateway proxy). Configuration:
// EFS_MOUNT_PATH (default /mnt/efs), BUCKET_NAME (results archived to outputs/ when set),
// LOG_LEVEL, POWERTOOLS_SERVICE_NAME or SERVICE_NAME, METRICS_NAMESPACE.
import { createS3Client } from '../aws/clients.js';
import { createConsumerHandler } from '../predict/consumer-handler.js';
import { serviceName } from '../observe/function-logger.js';

/** The consumer handler, configured from the environment at init. */
export const handler = createConsumerHandler({
  mountPath: process.env.EFS_MOUNT_PATH || '/mnt/efs',
  bucket: process.env.BUCKET_NAME,
  s3: () => createS3Client(),
  service: serviceName('consumer'),
});
