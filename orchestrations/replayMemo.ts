/**
 * Values an orchestration derives from its own history (a parsed activity result, the plan built from it),
 * kept in this process between replays. An orchestrator replays its whole history on every wake-up; for a run
 * over thousands of VMs, re-parsing the discovery and every lane's outcomes and rebuilding the plan on each of
 * them made its cost grow with the square of the fleet. A memoised value is exactly what the replay would
 * compute again — the history under a given key never changes — so determinism is untouched: another process,
 * or this one after eviction, simply computes it afresh. Callers must treat the values as read-only.
 */

/** Every memo of the process (a handful, created at import), so that a test can start every replay cold. */
const every = new Set<{ clear(): void; readonly size: number }>();

export class ReplayMemo<T> {
  private readonly scopes = new Map<string, Map<string, T>>();

  /** `maxScopes`: instances remembered at once; the least recently used is forgotten first. */
  constructor(private readonly maxScopes: number) {
    every.add(this);
  }

  /** The value under (`scope`, `key`), computed by `compute` the first time. */
  get(scope: string, key: string, compute: () => T): T {
    let values = this.scopes.get(scope);
    if (values === undefined) {
      values = new Map();
      if (this.scopes.size >= this.maxScopes) {
        const oldest = this.scopes.keys().next();
        if (oldest.done !== true) this.scopes.delete(oldest.value);
      }
    } else {
      this.scopes.delete(scope);
    }
    this.scopes.set(scope, values);
    const hit = values.get(key);
    if (hit !== undefined) return hit;
    const value = compute();
    values.set(key, value);
    return value;
  }

  /** Forgets a finished instance's values. */
  drop(scope: string): void {
    this.scopes.delete(scope);
  }

  /** Values held, over every scope. */
  get size(): number {
    let n = 0;
    for (const values of this.scopes.values()) n += values.size;
    return n;
  }

  /** Forgets everything. */
  clear(): void {
    this.scopes.clear();
  }
}

/**
 * Forgets every memoised value, as if the next replay ran in another worker (or after this one evicted them);
 * returns how many values were dropped. The product never calls it: tests do, before every replay, to prove the
 * orchestrations give the same results without the memo.
 */
export function forgetReplayMemos(): number {
  let dropped = 0;
  for (const memo of every) {
    dropped += memo.size;
    memo.clear();
  }
  return dropped;
}
