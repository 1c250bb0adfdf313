/**
 * What the extension side of a replay (`shim.ts`) is given and gives back: the instance it replays, the work an
 * episode scheduled, and how the orchestration stands after it.
 */
import type { ReplaySchemaVersion } from "./wire";

export interface ShimEnvironment {
  readonly instanceId: string;
  readonly orchestrationName: string;
  readonly schema: ReplaySchemaVersion;
  readonly maximumShortTimerMs: number;
  readonly longRunningTimerIntervalMs: number;
  isActivity(name: string): boolean;
  isOrchestration(name: string): boolean;
}

export type ScheduledWork =
  | { readonly kind: "activity"; readonly id: number; readonly name: string; readonly input: unknown }
  | { readonly kind: "timer"; readonly id: number; readonly fireAt: number }
  | {
      readonly kind: "subOrchestration";
      readonly id: number;
      readonly name: string;
      readonly instanceId: string;
      readonly input: unknown;
      /** The version the orchestrator asked for; undefined: the host's defaultVersion. */
      readonly version: string | undefined;
    };

export type ShimOutcome =
  | { readonly kind: "running"; readonly waitingForEvents: readonly string[] }
  | { readonly kind: "completed"; readonly output: unknown }
  | { readonly kind: "continuedAsNew"; readonly input: unknown }
  | { readonly kind: "failed"; readonly errorType: string; readonly message: string; readonly details: string };

export interface ShimResult {
  /** Work the orchestrator scheduled in this episode, in sequence-id order. */
  readonly newWork: readonly ScheduledWork[];
  readonly outcome: ShimOutcome;
  /** The custom status the SDK reported, when it reported one (otherwise the previous value stands). */
  readonly customStatus: unknown;
}

/** The SDK's own failure, when its handler threw (state recovered from the `$OutOfProcData$` payload). */
export interface SdkFailure {
  readonly message: string;
  readonly stack: string | undefined;
}
