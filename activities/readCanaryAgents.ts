/**
 * Activity: the extensions of canary candidates, read in order until enough have the Network Watcher agent; or,
 * with `readiness`, each canary's instance view: whether its VM agent and Network Watcher agent report ready.
 */
import { bindActivity, type BoundActivity } from "./binding";
import { readCanaryAgentsActivity } from "../src/contracts/durable/readCanaryAgents";
import { readAgents } from "../src/azure/discover";
import type { ArmGateway } from "../src/azure/gateway";
import { callArm, callArmPaced } from "./armFailure";
import type { ActivityDeps } from "./deps";

async function readReadiness(
  arm: ArmGateway,
  vmIds: readonly string[],
): Promise<{ id: string; agent: boolean; ready: boolean; detail: string }[]> {
  const out: { id: string; agent: boolean; ready: boolean; detail: string }[] = [];
  for (const id of vmIds) {
    const r = await arm.getVmAgentReadiness(id);
    const ready = r.exists && r.powerState === "running" && r.vmAgent === "ready" && r.networkWatcherAgent === "ready";
    out.push({
      id,
      agent: r.networkWatcherAgent !== "absent",
      ready,
      detail: r.exists ? `${r.powerState}; ${r.detail}` : r.detail,
    });
  }
  return out;
}

export function readCanaryAgents({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(readCanaryAgentsActivity, (input) =>
    input.readiness === true
      ? // Read again later on the same VM: its Low Cost Get budget's pace comes back with the answer.
        callArmPaced(gateway, async (arm) => ({ status: "ok" as const, agents: await readReadiness(arm, input.vmIds) }))
      : callArm(gateway, async (arm) => ({
          status: "ok" as const,
          agents: await readAgents(arm, input.vmIds, input.wanted),
        })),
  );
}
