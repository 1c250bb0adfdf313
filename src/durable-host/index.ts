/** Public entry of the local durable host; see README.md next to this file. */
export { createDurableHost, DurableHost } from "./host";
export type {
  ActivityCompletionInfo,
  DurableHostOptions,
  HostProgressEvent,
  HostStats,
  InstanceQuery,
  InstanceStatus,
  InstanceSummary,
  RunOptions,
  RunReport,
  SchemaName,
} from "./types";
export { createVirtualClock, type VirtualClock } from "./clock";
export { InstanceStore, type FinishedArchive, type InstanceRecord, type FailureDetails } from "./store";
export { SpillArchive } from "./spillArchive";
export { instanceFileName, STATE_FORMAT_VERSION } from "./stateDir";
export { DurableHostError, isDurableHostError } from "./hostError";
export { installFunctionsCore } from "./functionsCore";
export type { DurableClientData } from "./clientRpc";
export { EventType, type HistoryEvent, type RuntimeStatus } from "./wire";
export { compareVersions, versioningFromHostJson, type VersioningOptions, type VersioningSettings } from "./versioning";
