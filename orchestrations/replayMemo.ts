/**
 * Values an orchestration derives from its own history (a parsed activity result, the plan built from it),
 * kept in this process between replays. An orchestrator replays its whole history on every wake-up; for a run
 * over thousands of VMs, re-parsing the discovery and every lane's outcomes and rebuilding the plan on each of
 * them made its cost grow with the square of the fleet. A memoised value is exactly what the replay would
 * compute again — the history under a given key never changes — so determinism is untouched: another process,
 * or this one after eviction, simply computes it afresh. Callers must treat the values as read-only.
 */
export class ReplayMemo<T> {
  private readonly scopes = new Map<string, Map<string, T>>();

  /** `maxScopes`: instances remembered at once; the least recently used is forgotten first. */
  constructor(private readonly maxScopes: number) {}

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
}
