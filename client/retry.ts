// Backoff between attempts: exponential with full jitter (a random wait in
// [0, min(max, base·2^attempt)]), as Curator's ExponentialBackoffRetry and
// kazoo's KazooRetry spread retries so that many clients do not return at once.
import { ClientClosedError } from "./errors.js";

export interface RetryPolicy {
  /** Further attempts after the first; 0 disables retries. Default 5. */
  retries: number;
  /** Default 100 ms. */
  baseDelayMs: number;
  /** Default 2,000 ms. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseDelayMs: 100, maxDelayMs: 2000 };

/** The wait before retry number `attempt` (0 for the first retry). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new ClientClosedError("CLOSED", "aborted");
}
