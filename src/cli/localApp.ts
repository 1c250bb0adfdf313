/**
 * The function app as a local stack loads it: where the package is, host.json's versioning settings, the
 * orchestrations' modules, the activities and triggers registered bound to a composition root of the stack's own,
 * and the app settings that root is built from.
 */
import { readdirSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { versioningFromHostJson, type DurableHost, type VersioningSettings } from "../durable-host";
import { registerActivities, type BoundActivity } from "../../activities/binding";
import { createActivities } from "../../activities";
import type { ActivityDeps } from "../../activities/deps";
import { registerTriggers } from "../functions/binding";
import { createTriggers } from "../functions";
import type { AppRoot } from "../root";
import type { SimulatorHandle } from "../simulator";
import type { LocalAzurite } from "../audit/localAzurite";

/** The package root, whether running from src (tsx, vitest) or from dist (node). */
const ROOT = __dirname.split(/[\\/]/).includes("dist") ? resolve(__dirname, "../../..") : resolve(__dirname, "../..");
const CODE_ROOT = __dirname.split(/[\\/]/).includes("dist") ? resolve(ROOT, "dist") : ROOT;
const SOURCE_EXT = extname(__filename);

export function packageRoot(): string {
  return ROOT;
}

/**
 * host.json's orchestration versioning settings (defaultVersion, versionMatchStrategy, versionFailureStrategy): the
 * local host applies them as the Durable extension does on Azure (docs/architecture.md).
 */
export function appVersioning(): VersioningSettings {
  return versioningFromHostJson(JSON.parse(readFileSync(join(packageRoot(), "host.json"), "utf8")));
}

/**
 * Every module of the function app under the given folders (default: the orchestrations). Neither the activities
 * nor the triggers are imported from their folders: a stack registers them bound to its own root (adoptApp below).
 */
export function appModules(dirs: readonly string[] = ["orchestrations"]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(join(CODE_ROOT, dir))
      .filter((f) => extname(f) === SOURCE_EXT && !f.endsWith(".d.ts"))
      .sort()
      .map((f) => join(CODE_ROOT, dir, f)),
  );
}

/**
 * Registers activities bound to `deps` and has `host` take them. Registration goes through the process-wide
 * registry the Functions programming model has (one app per worker process); each durable host keeps its own copy
 * of the handlers, taken when it adopts them. Registering and adopting in one synchronous step means no other
 * stack's registration can come between them, so every host runs the activities of its own stack.
 */
export function adoptWithActivities(host: DurableHost, deps: ActivityDeps): readonly BoundActivity[] {
  const activities = createActivities(deps);
  registerActivities(activities);
  host.adoptRegistrations();
  return activities;
}

/** As adoptWithActivities, with the HTTP and timer triggers bound to the same root: the whole app of one stack. */
export function adoptApp(host: DurableHost, root: AppRoot): void {
  registerActivities(createActivities(root));
  registerTriggers(createTriggers(root));
  host.adoptRegistrations();
}

/** App settings a stack always sets for itself: its simulator's, never the caller's. */
const ARM_KEYS: readonly string[] = ["PORT25_ARM_ENDPOINT", "PORT25_ARM_CA_FILE", "PORT25_ARM_STATIC_TOKEN"];
/** The audit settings, the stack's own Azurite's when it has one (else the caller's, or none). */
const AUDIT_KEYS: readonly string[] = ["PORT25_AUDIT_TABLE_CONNECTION", "PORT25_AUDIT_TABLE_ENDPOINT"];

/**
 * The stack's app settings: the caller's, its own ARM (and audit) settings, and those App Service itself would add.
 * The local stack's HTTP front end plays App Service authentication (it hands the triggers the client-principal
 * headers of loopback callers), so with PORT25_AUTH_ENABLED on it says so as the platform does,
 * WEBSITE_AUTH_ENABLED=True, unless the caller set that signal itself.
 */
export function stackSettings(
  given: Readonly<Record<string, string | undefined>> = {},
  sim: SimulatorHandle,
  azurite: LocalAzurite | undefined,
): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) {
    if (v !== undefined && !ARM_KEYS.includes(k) && !(azurite !== undefined && AUDIT_KEYS.includes(k))) settings[k] = v;
  }
  const auth = settings.PORT25_AUTH_ENABLED;
  if ((auth === "true" || auth === "1") && settings.WEBSITE_AUTH_ENABLED === undefined)
    settings.WEBSITE_AUTH_ENABLED = "True";
  return {
    ...settings,
    PORT25_ARM_ENDPOINT: sim.endpoint,
    PORT25_ARM_CA_FILE: sim.caFile,
    PORT25_ARM_STATIC_TOKEN: sim.token,
    ...(azurite ? { PORT25_AUDIT_TABLE_CONNECTION: azurite.connectionString } : {}),
  };
}
