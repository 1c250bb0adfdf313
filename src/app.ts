/**
 * The Functions app's entry (package.json "main", with the orchestrations): the composition root built once from the
 * process's app settings, then the activities and the HTTP and timer triggers registered bound to it. A local stack
 * builds a root of its own and registers the same functions with it instead (src/cli/localStack.ts).
 */
import { configFromEnvironment } from "./config";
import { appRootFrom } from "./root";
import { registerActivities } from "../activities/binding";
import { createActivities } from "../activities";
import { registerTriggers } from "./functions/binding";
import { createTriggers } from "./functions";

const root = appRootFrom(configFromEnvironment());
registerActivities(createActivities(root));
registerTriggers(createTriggers(root));
