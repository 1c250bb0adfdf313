/** Activity: start a Network Watcher connectivity check from the canary VM to the probe host on TCP 25. */
import { bindActivity, type BoundActivity } from "./binding";
import { beginSmtpProbeActivity } from "../src/contracts/durable/beginSmtpProbe";
import { callArm } from "./armFailure";
import type { ActivityDeps } from "./deps";

export function beginSmtpProbe({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(beginSmtpProbeActivity, (input) =>
    callArm(gateway, (arm) => arm.beginConnectivityCheck(input.watcher, input.vmId, input.host, input.port)),
  );
}
