/**
 * The function app as a local stack loads it: where the package is, host.json's versioning settings, the
 * orchestrations' modules, and the activities and triggers registered bound to a composition root of the stack's own.
 */
import { readdirSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { versioningFromHostJson, type DurableHost, type VersioningSettings } from "../durable-host";
import { registerActivities } from "../../activities/binding";
import { createActivities } from "../../activities";
import type { ActivityDeps } from "../../activities/deps";
import { registerTriggers } from "../functions/binding";
import { createTriggers } from "../functions";
import type { AppRoot } from "../root";

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
export function adoptWithActivities(host: DurableHost, deps: ActivityDeps): void {
  registerActivities(createActivities(deps));
  host.adoptRegistrations();
}

/** As adoptWithActivities, with the HTTP and timer triggers bound to the same root: the whole app of one stack. */
export function adoptApp(host: DurableHost, root: AppRoot): void {
  registerActivities(createActivities(root));
  registerTriggers(createTriggers(root));
  host.adoptRegistrations();
}
