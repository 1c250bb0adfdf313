/**
 * Orchestration versioning as Durable Functions documents it (Learn, "Orchestration versioning in Durable Functions",
 * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-orchestration-versioning): an instance
 * gets a version for life when it is created (the start's version, else the worker's `defaultVersion`; sub-orchestrations
 * too), the orchestrator reads it as `context.df.version`, and a worker processes an instance only when its version
 * matches the worker's `defaultVersion` under `versionMatchStrategy`; otherwise `versionFailureStrategy` decides: leave
 * the instance as it is for a compatible worker (Reject), or fail it (Fail).
 */
import { z } from "zod";
import type { InstanceRecord } from "./store";
import { EventType } from "./wire";

export const VersionMatchStrategySchema = z.enum(["None", "Strict", "CurrentOrOlder"]);
export const VersionFailureStrategySchema = z.enum(["Reject", "Fail"]);

/** The versioning settings of host.json's `extensions.durableTask`, with the documented defaults. */
export const VersioningSettingsSchema = z.object({
  defaultVersion: z
    .string()
    .nullish()
    .transform((v) => v ?? ""),
  versionMatchStrategy: VersionMatchStrategySchema.default("CurrentOrOlder"),
  versionFailureStrategy: VersionFailureStrategySchema.default("Reject"),
});
export type VersioningSettings = z.output<typeof VersioningSettingsSchema>;
export type VersioningOptions = z.input<typeof VersioningSettingsSchema>;

/** The versioning settings of a parsed host.json (absent settings take the documented defaults). */
export function versioningFromHostJson(hostJson: unknown): VersioningSettings {
  const durableTask = z
    .object({ extensions: z.object({ durableTask: z.looseObject({}).optional() }).optional() })
    .parse(hostJson).extensions?.durableTask;
  return VersioningSettingsSchema.parse({
    defaultVersion: durableTask?.["defaultVersion"],
    versionMatchStrategy: durableTask?.["versionMatchStrategy"],
    versionFailureStrategy: durableTask?.["versionFailureStrategy"],
  });
}

/** `System.Version`'s text form: two to four non-negative integers separated by periods. */
const SYSTEM_VERSION = /^\d+(\.\d+){1,3}$/;

/**
 * The documented comparison: empty versions are equal, an empty version is older than any other, two versions that
 * parse as System.Version compare part by part, anything else compares as case-insensitive text.
 */
export function compareVersions(a: string, b: string): number {
  if (a === "" || b === "") return a === b ? 0 : a === "" ? -1 : 1;
  if (SYSTEM_VERSION.test(a) && SYSTEM_VERSION.test(b)) {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    // System.Version: an absent build or revision part is older than any present one.
    for (let i = 0; i < 4; i++) {
      const x = pa[i] ?? -1;
      const y = pb[i] ?? -1;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  }
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  return la === lb ? 0 : la < lb ? -1 : 1;
}

/** The version an instance was created with: its ExecutionStarted event's (stored, or still in its inbox). */
export function instanceVersion(record: Pick<InstanceRecord, "history" | "inbox">): string {
  const started =
    record.history.find((e) => e.EventType === EventType.ExecutionStarted) ??
    record.inbox.find((e) => e.EventType === EventType.ExecutionStarted);
  return started?.Version ?? "";
}

/** Whether a worker with these settings may process an instance of this version. */
export function versionAccepted(settings: VersioningSettings, version: string): boolean {
  switch (settings.versionMatchStrategy) {
    case "None":
      return true;
    case "Strict":
      return compareVersions(version, settings.defaultVersion) === 0;
    case "CurrentOrOlder":
      return compareVersions(version, settings.defaultVersion) <= 0;
  }
}

export function versionMismatchMessage(settings: VersioningSettings, version: string): string {
  return `The orchestration's version '${version}' is not processed by this worker (defaultVersion '${settings.defaultVersion}', versionMatchStrategy ${settings.versionMatchStrategy})`;
}
