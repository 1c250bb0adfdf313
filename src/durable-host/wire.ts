/** Wire shapes shared with the durable-functions SDK: history events, actions and the orchestrator state. */
import { z } from "zod";

/** DTFx history event types (the numbers the SDK switches on). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
} as const;

/** DTFx OrchestrationStatus values carried by ExecutionCompleted. */
export const OrchestrationStatusCode = {
  Running: 0,
  Completed: 1,
  ContinuedAsNew: 2,
  Failed: 3,
  Canceled: 4,
  Terminated: 5,
  Pending: 6,
} as const;

export interface WireFailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable?: boolean;
  Properties?: Record<string, unknown>;
}

/** One DTFx history event in the PascalCase form the extension sends (only the fields this host uses). */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string;
  Version?: string;
  Result?: string | undefined;
  Reason?: string | undefined;
  Details?: string | undefined;
  FailureDetails?: WireFailureDetails;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationStatus?: number;
  ParentInstance?: { Name: string; OrchestrationInstance: { InstanceId: string }; TaskScheduleId: number };
}

/** OOProc action types as the SDK encodes them. */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  ScheduledSignalEntity: 10,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

/** The replay schemas the SDK understands; the extension this host plays speaks V1–V3. */
export const ReplaySchema = { V1: 0, V2: 1, V3: 2 } as const;
export type ReplaySchemaVersion = (typeof ReplaySchema)[keyof typeof ReplaySchema];

export const RetryOptionsSchema = z.object({
  firstRetryIntervalInMilliseconds: z.number(),
  maxNumberOfAttempts: z.number(),
  backoffCoefficient: z.number().optional(),
  maxRetryIntervalInMilliseconds: z.number().optional(),
  retryTimeoutInMilliseconds: z.number().optional(),
});
export type WireRetryOptions = z.infer<typeof RetryOptionsSchema>;

export interface Action {
  actionType: number;
  functionName?: string | undefined;
  input?: unknown;
  retryOptions?: WireRetryOptions | undefined;
  instanceId?: string | undefined;
  version?: string | undefined;
  fireAt?: string | undefined;
  isCanceled?: boolean | undefined;
  externalEventName?: string | undefined;
  compoundActions?: Action[] | undefined;
}

export const ActionSchema: z.ZodType<Action> = z.lazy(() =>
  z.object({
    actionType: z.number().int(),
    functionName: z.string().optional(),
    input: z.unknown().optional(),
    retryOptions: RetryOptionsSchema.optional(),
    instanceId: z.string().optional(),
    version: z.string().optional(),
    fireAt: z.string().optional(),
    isCanceled: z.boolean().optional(),
    externalEventName: z.string().optional(),
    compoundActions: z.array(ActionSchema).optional(),
  }),
);

/** What the SDK's orchestrator handler returns (or embeds in its failure message), after the JSON round trip. */
export const OrchestratorStateSchema = z.object({
  isDone: z.boolean(),
  actions: z.array(z.array(ActionSchema)),
  output: z.unknown().optional(),
  error: z.string().optional(),
  customStatus: z.unknown().optional(),
  schemaVersion: z.number().int(),
});
export type OrchestratorState = z.infer<typeof OrchestratorStateSchema>;

/** The label the SDK puts between an orchestrator's error message and its state JSON. */
export const OUT_OF_PROC_DATA_LABEL = "\n\n$OutOfProcData$:";

/** Durable runtime statuses as the client API spells them. */
export const RuntimeStatusSchema = z.enum([
  "Pending",
  "Running",
  "Completed",
  "ContinuedAsNew",
  "Failed",
  "Canceled",
  "Terminated",
  "Suspended",
]);
export type RuntimeStatus = z.infer<typeof RuntimeStatusSchema>;

export function isTerminal(status: RuntimeStatus): boolean {
  return status === "Completed" || status === "Failed" || status === "Terminated" || status === "Canceled";
}

/** Parses JSON text the way the Functions worker treats string inputs: JSON when it parses, the raw string otherwise. */
export function tryJsonParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** JSON text of a value as the extension stores it; `undefined` becomes `null` so the SDK can always parse it. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value) ?? "null";
}

/** Parses stored JSON text; an absent value reads as `null`, as the SDK sees it. */
export function parseJsonText(text: string | undefined): unknown {
  if (text === undefined) return null;
  return JSON.parse(text) as unknown;
}

/** An event timestamp: ISO 8601 text of virtual epoch milliseconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export const DAY_MS = 86_400_000;

/** .NET TimeSpan text ("d.hh:mm:ss"), the form the extension sends timer settings and durations in. */
export function timeSpan(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  return `${days}.${new Date(ms % DAY_MS).toISOString().slice(11, 19)}`;
}
