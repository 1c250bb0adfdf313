/**
 * The state of one execution of a subscription's run (remediateSubscription.ts): its outcomes, its progress as
 * published in the custom status, its one cancel waiter, and the waits that keep hearing it. Rebuilt identically
 * on every replay.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import type { OutcomeTally } from "../src/contracts/durable/recordLaneOutcomes";
import { mergeTallies } from "../src/domain/summarize";
import { activityTask, parseActivityResult } from "./toolkit/calls";
import type { ActivityDefinition } from "../src/contracts/define";
import { addSeconds } from "../src/contracts/durable/clock";
import { CANCEL_EVENT } from "../src/contracts/names";
import { CancelEventSchema, cancellationDecision, type Decision } from "../src/contracts/events";
import { resourceKey } from "../src/contracts/ids";
import type { PlanEntry } from "../src/contracts/plan";
import type { ResourceOutcome } from "../src/contracts/outcome";
import type { Phase, Progress, RemediationInput } from "../src/contracts/remediation";
import { shortenForStatus } from "../src/contracts/statusText";
import type { ReplayMemo } from "./replayMemo";
import { nowIso, transientRetry, unexpectedOutcome } from "./shared";
import { awaitUnlessCancelled } from "./toolkit/cancelAwareWait";
import { awaitGroup } from "./toolkit/groupWait";

/**
 * What each replay of a run would otherwise redo over the whole fleet: parse the discovery, build the plan,
 * parse every finished lane's outcomes. Scoped by the run (see replayMemo.ts).
 */
export const MEMO_RUNS = 16;

/**
 * Longest message (JSON characters) the run's custom status carries: the summary's message names every resource
 * left down, which can pass the extension's 16 KB cap on custom status and fail the run; the summary, the audit and
 * the report keep it whole.
 */
const PROGRESS_MESSAGE_MAX = 1000;

/**
 * An approve or cancel event whose payload is not the endpoints' (raised some other way): it still counts, but who
 * sent it is not known, and the record says so rather than guess.
 */
export function unrecordedDecision(context: OrchestrationContext): Decision {
  return { by: "unknown (the event did not name its sender)", at: nowIso(context) };
}

/** Mutable state of one execution; rebuilt identically on every replay. */
export class Run {
  cancelRequested = false;
  phase: Phase = "verify";
  wave: number | undefined;
  waves: number | undefined;
  activeWaves: string[] = [];
  readonly outcomes = new Map<string, ResourceOutcome>();
  /** The tally of the outcomes lanes recorded themselves (cycleBatch.ts), and the resources they cover. */
  recorded: OutcomeTally | undefined;
  private readonly covered = new Set<string>();
  /** Whether the lanes write their own outcomes to the run's record (it took the run's start). */
  lanesRecord = false;
  /** Each plan entry's index in the plan: its place in the run's record. */
  planIndex: ReadonlyMap<string, number> = new Map();
  /** VMs of the subscription the plan counted (a hint to the fleet observer: see CycleResourceInput). */
  subscriptionVms: number | undefined;
  readonly warnings: string[] = [];
  total = 0;

  constructor(
    readonly context: OrchestrationContext,
    readonly input: RemediationInput,
  ) {}

  /** Outcomes recorded so far by kind, kept as they are recorded: progress is published thousands of times. */
  private readonly tally = { cycled: 0, skipped: 0, failed: 0 };
  /** Resources the run took down and could not bring back: counted apart, the figure an operator looks for first. */
  private leftDown = 0;

  record(o: ResourceOutcome): void {
    const key = resourceKey(o.resourceId);
    const before = this.outcomes.get(key);
    if (before !== undefined) {
      this.tally[before.outcome]--;
      if (before.leftDown !== undefined) this.leftDown--;
    }
    this.tally[o.outcome]++;
    if (o.leftDown !== undefined) this.leftDown++;
    this.outcomes.set(key, o);
  }

  /** Outcomes lanes recorded themselves: counted, and their resources accounted for, without holding them. */
  addRecorded(tally: OutcomeTally, entries: readonly PlanEntry[]): void {
    this.recorded = mergeTallies(this.recorded, tally);
    for (const e of entries) this.covered.add(resourceKey(e.resourceId));
  }

  /** As countOutcomes over the recorded outcomes (one per resource), without walking them. */
  progressCounts(): Progress["counts"] {
    const r = this.recorded;
    const tally = {
      cycled: this.tally.cycled + (r?.cycled ?? 0),
      skipped: this.tally.skipped + (r?.skipped ?? 0),
      failed: this.tally.failed + (r?.failed ?? 0),
    };
    const done = tally.cycled + tally.skipped + tally.failed;
    return {
      total: Math.max(this.total, done),
      ...tally,
      pending: Math.max(0, this.total - done),
      leftDown: this.leftDown + (r?.leftDown.length ?? 0),
    };
  }

  /** Whether the resource has an outcome, held here or recorded by its lane. */
  has(id: string): boolean {
    return this.outcomes.has(resourceKey(id)) || this.covered.has(resourceKey(id));
  }

  publish(message?: string): void {
    const progress: Progress = {
      runId: this.input.runId,
      phase: this.phase,
      wave: this.wave,
      waves: this.waves,
      counts: this.progressCounts(),
      ...(message !== undefined ? { message: shortenForStatus(message, PROGRESS_MESSAGE_MAX) } : {}),
      ...(this.cancelRequested ? { cancelRequested: true } : {}),
      ...(this.activeWaves.length > 0 ? { activeWaves: this.activeWaves } : {}),
    };
    this.context.df.setCustomStatus(progress);
  }

  private cancelTask: Task | undefined;

  /**
   * The run's one "cancel" waiter. A single waiter (rather than a fresh one per wait) means the event is never
   * handed to a waiter nobody looks at any more: wherever the run is blocked when it arrives, this task records
   * it, and the run checks it before starting anything new.
   */
  cancel(): Task {
    this.cancelTask ??= this.context.df.waitForExternalEvent(CANCEL_EVENT);
    return this.cancelTask;
  }

  /** Who cancelled and when, once the cancel has arrived. */
  cancellation(): Decision | undefined {
    const task = this.cancel();
    if (!task.isCompleted) return undefined;
    const event = CancelEventSchema.safeParse(task.result);
    return event.success ? cancellationDecision(event.data) : unrecordedDecision(this.context);
  }

  /** Whether a cancel has arrived (and says so in the custom status the first time it is seen). */
  cancelled(): boolean {
    if (!this.cancelRequested && this.cancel().isCompleted) {
      this.cancelRequested = true;
      this.publish("cancel requested: finishing the work in flight");
    }
    return this.cancelRequested;
  }

  /** Waits for `task`, waking early on a cancel; the task is still awaited, so work in flight always finishes. */
  await(task: Task): Generator<Task, unknown, unknown> {
    return awaitUnlessCancelled(this.context, task, this.cancel(), () => this.cancelled());
  }

  *activity<I extends z.ZodType, O extends z.ZodType>(
    def: ActivityDefinition<I, O>,
    input: z.input<I>,
  ): Generator<Task, z.output<O>, unknown> {
    const raw = yield* this.await(activityTask(this.context, def, input, transientRetry()));
    return parseActivityResult(def, raw);
  }

  /** Memo scope of this execution (see replayMemo.ts): its listing's random id, once the listing is in. */
  memoScope: string | undefined;

  /** `compute()`, kept between replays when this execution has a memo scope. */
  memo<T>(memo: ReplayMemo<T>, key: string, compute: () => T): T {
    return this.memoScope === undefined ? compute() : memo.get(this.memoScope, key, compute);
  }

  *sleep(seconds: number): Generator<Task, void, unknown> {
    yield* this.await(
      this.context.df.createTimer(addSeconds(this.context.df.currentUtcDateTime, Math.max(1, seconds))),
    );
  }

  /**
   * Waits for a group of sub-orchestrations started together (toolkit/groupWait.ts), recording what each returns
   * and publishing progress as each finishes; one that fails (or returns what does not parse) leaves each of its
   * entries not otherwise accounted for failed, never lost.
   */
  *collect(
    entriesPerTask: readonly (readonly PlanEntry[])[],
    tasks: readonly Task[],
    parse: (raw: unknown, index: number) => ResourceOutcome[],
  ): Generator<Task, void, unknown> {
    yield* awaitGroup(this.context, tasks, this.cancelled() ? [] : [this.cancel()], {
      done: (raw, i) => {
        for (const o of parse(raw, i)) this.record(o);
      },
      failed: (e, i) => {
        for (const entry of entriesPerTask[i] ?? [])
          if (!this.has(entry.resourceId)) this.record(unexpectedOutcome(entry, e));
      },
      settled: () => {
        this.cancelled();
        this.publish();
      },
    });
  }
}
