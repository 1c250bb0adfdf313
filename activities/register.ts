/**
 * The Functions app's activities: their dependencies built once from the app settings, then registered. The
 * Functions worker loads this with the rest of the app (package.json "main"); a local stack registers the same
 * activities with dependencies of its own instead (src/cli/localStack.ts).
 */
import { getConfig } from "../src/config";
import { registerActivities } from "./binding";
import { activityDepsFrom } from "./deps";
import { createActivities } from "./index";

registerActivities(createActivities(activityDepsFrom(getConfig())));
