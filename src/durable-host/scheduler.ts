/**
 * The loop and the virtual clock. Each round fires due timers, runs episodes until no instance has undelivered
 * messages, then runs the queued activities; when only timers remain the clock jumps to the earliest. Runs are
 * serialized, on demand (`runUntilIdle`) or in the background as work arrives.
 */
import { activityRunner } from "./activities";
import { assertOpen, isCurrent, persist, type ActivityItem, type HostState, type TimerItem } from "./hostState";
import { runEpisode } from "./replay";
import { instanceVersion, versionAccepted } from "./versioning";
import type { InstanceSummary, RunOptions, RunReport } from "./types";
import { EventType, isTerminal, iso } from "./wire";

export class Scheduler {
  private readonly runActivities: (batch: readonly ActivityItem[]) => Promise<void>;
  private chain: Promise<unknown> = Promise.resolve();
  private background: { stopRequested: boolean; loop: Promise<void> } | undefined;
  private wake: (() => void) | undefined;
  private dirty = false;

  constructor(private readonly state: HostState) {
    this.runActivities = activityRunner(state);
  }

  /** Runs until nothing can happen without the outside world; serialized with every other run. */
  runUntilIdle(opts: RunOptions = {}): Promise<RunReport> {
    return this.exclusive(() => this.runLoop(opts));
  }

  /** Runs the loop in the background, picking up work as it arrives (e.g. starts through the client API). */
  start(opts: RunOptions = {}): void {
    assertOpen(this.state);
    if (this.background) return;
    const bg = { stopRequested: false, loop: Promise.resolve() };
    this.background = bg;
    bg.loop = (async () => {
      while (!bg.stopRequested && !this.state.closed) {
        await this.runUntilIdle(opts);
        if (bg.stopRequested || this.state.closed) break;
        await this.waitForWork();
      }
    })();
  }

  async stop(): Promise<void> {
    const bg = this.background;
    if (!bg) return;
    bg.stopRequested = true;
    this.notifyWork();
    await bg.loop;
    this.background = undefined;
  }

  /** Stops the background loop, lets the current run finish, and marks the host closed. */
  async close(): Promise<void> {
    await this.stop();
    await this.exclusive(() => Promise.resolve());
    this.state.closed = true;
  }

  /** New work arrived from outside the loop: wakes the background loop. */
  notifyWork(): void {
    this.dirty = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private waitForWork(): Promise<void> {
    if (this.dirty) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private async runLoop(opts: RunOptions): Promise<RunReport> {
    const totals = this.state.totals;
    this.dirty = false;
    const start = { ...totals };
    const limit = opts.advanceTimersUpTo === undefined ? undefined : new Date(opts.advanceTimersUpTo).getTime();
    const budget = opts.maxEpisodes === undefined ? Number.POSITIVE_INFINITY : start.episodes + opts.maxEpisodes;
    let stoppedBy: RunReport["stoppedBy"] = "idle";
    for (;;) {
      if (this.state.closed) {
        stoppedBy = "closed";
        break;
      }
      const step = await this.runRound(limit, budget);
      if (step === "idle") break;
      if (step === "budget") {
        stoppedBy = "maxEpisodes";
        break;
      }
    }
    if (!this.state.closed) persist(this.state);
    return {
      stoppedBy,
      episodes: totals.episodes - start.episodes,
      activitiesRun: totals.activitiesRun - start.activitiesRun,
      timersFired: totals.timersFired - start.timersFired,
      virtualTime: this.state.clock.now(),
      ...this.idleReport(),
    };
  }

  private async runRound(limit: number | undefined, budget: number): Promise<"progress" | "idle" | "budget"> {
    const state = this.state;
    this.fireDueTimers();
    while (state.ready.size > 0) {
      if (state.totals.episodes >= budget) return "budget";
      const next = state.ready.values().next();
      if (next.done === true) break;
      const id = next.value;
      state.ready.delete(id);
      const record = state.store.live(id);
      if (!record || record.inbox.length === 0) continue;
      await runEpisode(state, record);
    }
    // The episodes' histories, scheduled work and messages reach the disk before any of that work runs.
    persist(state);
    if (state.activityQueue.length > 0) {
      const batch = state.activityQueue;
      state.activityQueue = [];
      await this.runActivities(batch);
      // The results are in their instances' inboxes on disk before the next episode sees them.
      persist(state);
      return "progress";
    }
    state.timers = state.timers.filter((t) => isCurrent(state, t.instanceId, t.executionId));
    if (state.timers.length === 0) return "idle";
    let earliest = Number.POSITIVE_INFINITY;
    for (const t of state.timers) earliest = Math.min(earliest, t.fireAt);
    if (limit !== undefined && earliest > limit) {
      this.advanceClock(limit);
      return "idle";
    }
    this.advanceClock(earliest);
    return "progress";
  }

  private advanceClock(to: number): void {
    const clock = this.state.clock;
    const from = clock.now();
    if (to <= from) return;
    clock.advanceTo(to);
    this.state.progress.emit({ type: "clockAdvanced", from, to: clock.now() });
  }

  private fireDueTimers(): void {
    const state = this.state;
    const now = state.clock.now();
    const keep: TimerItem[] = [];
    for (const t of state.timers) {
      if (t.fireAt > now) {
        keep.push(t);
        continue;
      }
      if (!isCurrent(state, t.instanceId, t.executionId)) continue;
      const record = state.store.live(t.instanceId);
      if (!record) continue;
      state.store.touch(t.instanceId);
      record.inbox.push({
        EventType: EventType.TimerFired,
        EventId: -1,
        IsPlayed: false,
        Timestamp: iso(now),
        TimerId: t.timerId,
        FireAt: iso(t.fireAt),
      });
      state.ready.add(t.instanceId);
      state.totals.timersFired += 1;
      state.progress.emit({ type: "timerFired", instanceId: t.instanceId, timerId: t.timerId, fireAt: t.fireAt });
    }
    state.timers = keep;
  }

  /** The running instances that wait for an event, and those that wait for nothing and can never finish. */
  private idleReport(): Pick<RunReport, "waitingForEvents" | "stuck" | "rejectedByVersion"> {
    const state = this.state;
    const busy = new Set<string>();
    for (const id of state.ready) busy.add(id);
    for (const a of state.activityQueue) busy.add(a.instanceId);
    for (const t of state.timers) busy.add(t.instanceId);
    // Finished instances wait for nothing; only the live ones (all in memory) are looked at.
    const records = [...state.store.instances.values()];
    for (const r of records) {
      if (r.inbox.length > 0) busy.add(r.instanceId);
      if (r.parent && !isTerminal(r.runtimeStatus)) busy.add(r.parent.instanceId);
    }
    const waitingForEvents: (InstanceSummary & { events: string[] })[] = [];
    const stuck: InstanceSummary[] = [];
    const rejectedByVersion: (InstanceSummary & { version: string })[] = [];
    for (const r of records) {
      if (
        !isTerminal(r.runtimeStatus) &&
        r.inbox.length > 0 &&
        !versionAccepted(state.versioning, instanceVersion(r))
      ) {
        rejectedByVersion.push({
          instanceId: r.instanceId,
          name: r.name,
          runtimeStatus: r.runtimeStatus,
          version: instanceVersion(r),
        });
      }
    }
    for (const r of records) {
      if (isTerminal(r.runtimeStatus) || r.inbox.length > 0) continue;
      const summary = { instanceId: r.instanceId, name: r.name, runtimeStatus: r.runtimeStatus };
      // Waiting for an event counts even with a deadline timer pending: that is when a test raises it.
      if (r.waitingForEvents.length > 0) waitingForEvents.push({ ...summary, events: [...r.waitingForEvents] });
      else if (!busy.has(r.instanceId)) stuck.push(summary);
    }
    return { waitingForEvents, stuck, rejectedByVersion };
  }
}
