/**
 * The demand tier of the request being processed, for the checks that run
 * where Apollo Server passes no request context: graphql's parser (its
 * `maxTokens` option) and validation rules. The gateway's HTTP handler runs
 * each request inside `withRequestTier`, and context creation records the
 * principal's tier; the parser and the ceiling rule read it through
 * AsyncLocalStorage, so an anonymous caller's 20,000-token document stops at
 * the parser's 2,000th token instead of being parsed and validated first.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DemandTier } from '../../config/env';

const scope = new AsyncLocalStorage<{ tier?: DemandTier }>();

/** Runs one request's handling with a place for its tier. */
export function withRequestTier<T>(handle: () => T): T {
  return scope.run({}, handle);
}

/** Records the tier of the request being handled (no-op outside `withRequestTier`). */
export function setRequestTier(tier: DemandTier): void {
  const store = scope.getStore();
  if (store) store.tier = tier;
}

/** The tier of the request being handled; undefined outside a request or before its principal is known. */
export function requestTier(): DemandTier | undefined {
  return scope.getStore()?.tier;
}
