/**
 * The timers the .NET side builds around the SDK's actions: a durable timer longer than the short-timer limit becomes
 * a chain of sub-timers (replay schema V3), and a retried call becomes DTFx's RetryInterceptor (a timer after every
 * failed attempt, then the next attempt). Every timer takes the next sequence id from the replay, so a retry's
 * timers and a long timer's links are matched against history like any other scheduling call.
 */
import { ExtensionError, NetTask } from "./netTask";
import { ReplaySchema, timeSpan, type Action, type ReplaySchemaVersion, type WireRetryOptions } from "./wire";

const DEFAULT_MAX_RETRY_INTERVAL_MS = 6 * 24 * 3600 * 1000;

/** A timer as the replay scheduled it: its sequence id and the task its firing settles. */
export interface ScheduledTimer {
  readonly id: number;
  readonly task: NetTask;
}

/** What the timers need of the replay: the episode's clock and the next timer in sequence. */
export interface TimerScheduler {
  readonly schema: ReplaySchemaVersion;
  readonly maximumShortTimerMs: number;
  readonly longRunningTimerIntervalMs: number;
  /** The orchestration's current time (the last OrchestratorStarted applied). */
  now(): number;
  timer(fireAt: number): ScheduledTimer;
  /** DTFx forgets a canceled timer's task, but the timer itself stays scheduled and still fires later. */
  cancel(timer: ScheduledTimer): void;
}

/** A CreateTimer action: one timer, or a chain of them when it is longer than the short-timer limit. */
export function durableTimer(action: Action, s: TimerScheduler): NetTask {
  const fireAt = Date.parse(action.fireAt ?? "");
  if (!Number.isFinite(fireAt))
    throw new ExtensionError(`CreateTimer action has an invalid fireAt: ${String(action.fireAt)}`);
  const canceled = action.isCanceled === true;
  const tooLong = fireAt - s.now() > s.maximumShortTimerMs;
  if (tooLong && s.schema < ReplaySchema.V3) {
    throw new ExtensionError(
      `Durable timers longer than ${timeSpan(s.maximumShortTimerMs)} need replay schema V3; ` +
        `this timer is ${timeSpan(fireAt - s.now())} long.`,
    );
  }
  if (!tooLong) {
    const timer = s.timer(fireAt);
    if (canceled) s.cancel(timer);
    return timer.task;
  }
  // Long timer: a chain of sub-timers, each at most the long-running interval, the last one at fireAt.
  const outer = new NetTask();
  let current: ScheduledTimer | undefined;
  const next = (): void => {
    if (s.now() >= fireAt) {
      outer.resolve();
      return;
    }
    const remaining = fireAt - s.now();
    const at = remaining <= s.maximumShortTimerMs ? fireAt : s.now() + s.longRunningTimerIntervalMs;
    const timer = s.timer(at);
    current = timer;
    timer.task.whenDone(() => {
      if (timer.task.state === "completed") next();
      else outer.cancel();
    });
  };
  next();
  if (canceled && current) s.cancel(current);
  return outer;
}

/** DTFx RetryInterceptor: a timer after every failed attempt (the last one included), then the next attempt. */
export function retried(options: WireRetryOptions, attempt: () => NetTask, s: TimerScheduler): NetTask {
  const result = new NetTask();
  const firstAttemptAt = s.now();
  const maxAttempts = options.maxNumberOfAttempts;
  let retryCount = 0;
  const run = (): void => {
    if (retryCount >= maxAttempts) {
      result.reject(new Error("retry attempts exhausted"));
      return;
    }
    const task = attempt();
    task.whenDone(() => {
      if (task.state === "completed") {
        result.resolve();
        return;
      }
      const lastError = task.error ?? new Error("attempt canceled");
      const delay = nextRetryDelay(options, retryCount, firstAttemptAt, s.now());
      if (delay <= 0) {
        result.reject(lastError);
        return;
      }
      const timer = s.timer(s.now() + delay);
      timer.task.whenDone(() => {
        retryCount += 1;
        if (retryCount < maxAttempts) run();
        else result.reject(lastError);
      });
    });
  };
  run();
  return result;
}

function nextRetryDelay(options: WireRetryOptions, retryCount: number, firstAttemptAt: number, now: number): number {
  const timeout = options.retryTimeoutInMilliseconds;
  const expiration = timeout !== undefined && timeout > 0 ? firstAttemptAt + timeout : Number.POSITIVE_INFINITY;
  if (now >= expiration) return 0;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, retryCount);
  const cap = options.maxRetryIntervalInMilliseconds ?? DEFAULT_MAX_RETRY_INTERVAL_MS;
  return Math.round(delay < cap ? delay : cap);
}
