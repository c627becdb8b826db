// Bounded concurrency: at most `limit` tasks in flight. On abort no new task starts; tasks in
// flight finish or fail on their own signal, and then the abort reason is thrown.

/**
 * Runs `task` over `items` with at most `limit` at once. The first failure stops new tasks,
 * waits for those in flight, and is rethrown.
 *
 * @example
 * ```ts
 * await forEachConcurrent(keys, 8, async (key) => { await copy(key); }, signal);
 * ```
 */
export async function forEachConcurrent<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      if (signal?.aborted) {
        failure ??= { error: signal.reason };
        return;
      }
      const index = next++;
      try {
        await task(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  if (signal?.aborted) throw signal.reason;
}
