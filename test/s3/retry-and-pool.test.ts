import { describe, expect, it } from 'vitest';
import { isRetryableAwsError } from '../../src/s3/index.js';
import { classifyFailure, CONNECTION_ERROR_CODES, SERVER_ERROR_NAMES, THROTTLING_ERROR_NAMES } from '../../src/retry/index.js';
import { forEachConcurrent } from '../../src/s3/migration/pool.js';
import { retryThrottled } from '../../src/s3/migration/retry.js';

const throttled = () => Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });

describe('retryThrottled', () => {
  it('retries throttling with backoff until it succeeds', async () => {
    let calls = 0;
    const started = Date.now();
    const value = await retryThrottled(async () => {
      calls++;
      if (calls < 3) throw throttled();
      return 'ok';
    }, { retries: 5, minDelayMs: 20 });
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(20 + 40);
  });

  it('passes other errors through at once, cause intact', async () => {
    let calls = 0;
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(retryThrottled(async () => {
      calls++;
      throw denied;
    }, { retries: 5, minDelayMs: 1 })).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('gives up after the configured retries', async () => {
    let calls = 0;
    await expect(retryThrottled(async () => {
      calls++;
      throw throttled();
    }, { retries: 2, minDelayMs: 1 })).rejects.toMatchObject({ name: 'SlowDown' });
    expect(calls).toBe(3);
  });

  it('classifies AWS errors', () => {
    expect(isRetryableAwsError({ name: 'ProvisionedThroughputExceededException' })).toBe(true);
    expect(isRetryableAwsError({ name: 'X', $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isRetryableAwsError({ code: 'ECONNRESET' })).toBe(true);
    expect(isRetryableAwsError({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })).toBe(false);
    expect(isRetryableAwsError({ name: 'AbortError' })).toBe(false);
  });

  it('agrees with classifyFailure (one list of AWS codes): every throttling, connection and server name is retried, nothing else', () => {
    for (const name of THROTTLING_ERROR_NAMES) expect([name, isRetryableAwsError({ name })]).toEqual([name, true]);
    for (const code of CONNECTION_ERROR_CODES) expect([code, isRetryableAwsError({ code })]).toEqual([code, true]);
    for (const name of SERVER_ERROR_NAMES) {
      expect(classifyFailure({ name })).toBe('server');
      expect(isRetryableAwsError({ name })).toBe(true);
    }
    // The names the migration engine used to list on its own are all still retried.
    for (const name of ['SlowDown', 'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestLimitExceeded', 'RequestThrottled', 'TooManyRequestsException', 'ProvisionedThroughputExceededException', 'InternalError', 'ServiceUnavailable', 'RequestTimeout', 'RequestTimeTooSkewed']) {
      expect([name, isRetryableAwsError({ name })]).toEqual([name, true]);
    }
    for (const name of ['AccessDenied', 'NoSuchBucket', 'ValidationException', 'ConditionalCheckFailedException']) expect(isRetryableAwsError({ name, $metadata: { httpStatusCode: 400 } })).toBe(false);
  });
});

describe('forEachConcurrent', () => {
  it('never runs more than the limit at once and visits every item once', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachConcurrent(Array.from({ length: 50 }, (_, i) => i), 4, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      seen.push(i);
      running--;
    });
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('stops starting tasks on abort and throws the reason', async () => {
    const controller = new AbortController();
    let started = 0;
    const run = forEachConcurrent(Array.from({ length: 100 }, (_, i) => i), 2, async () => {
      started++;
      if (started === 10) controller.abort(new Error('stop'));
      await new Promise((r) => setTimeout(r, 1));
    }, controller.signal);
    await expect(run).rejects.toThrow('stop');
    expect(started).toBeLessThanOrEqual(11);
  });
});
