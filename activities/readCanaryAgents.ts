/** Activity: the extensions of canary candidates, read in order until enough have the Network Watcher agent. */
import { bindActivity, type BoundActivity } from "../src/functions/registerActivity";
import { readCanaryAgentsActivity } from "../src/contracts/functions/readCanaryAgents";
import { readAgents } from "../src/azure/discover";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function readCanaryAgents({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(readCanaryAgentsActivity, (input) =>
    callArm(gateway, async (arm) => ({ status: "ok" as const, agents: await readAgents(arm, input.vmIds, input.wanted) })),
  );
}
