/**
 * Activity: up to `maxPages` pages of the subscription's VM listing (model or statusOnly), from the start or a
 * nextLink. Throttling after some pages ends the call with those pages, the nextLink of the one refused and ARM's
 * Retry-After; throttling before any page comes back as the usual ARM failure.
 */
import type { z } from "zod";
import type { VmPowerStatus } from "../src/contracts/azure";
import type { VmInfo } from "../src/contracts/discovery";
import { listVmPagesActivity } from "../src/contracts/durable/listVmPages";
import { bindActivity, type BoundActivity } from "./binding";
import { toArmFailure } from "./armFailure";
import type { ActivityDeps } from "./deps";

/** Wait asked for when ARM throttles without saying how long. */
const DEFAULT_RETRY_AFTER_SECONDS = 10;

export function listVmPages({ gateway }: ActivityDeps): BoundActivity {
  return bindActivity(listVmPagesActivity, async (input): Promise<z.input<typeof listVmPagesActivity.output>> => {
    const vms: VmInfo[] = [];
    const statuses: VmPowerStatus[] = [];
    let nextLink = input.nextLink;
    let pages = 0;
    while (pages < input.maxPages) {
      try {
        if (input.view === "model") {
          const page = await gateway.listVmModelPage(input.subscriptionId, nextLink);
          vms.push(...page.items);
          nextLink = page.nextLink;
        } else {
          const page = await gateway.listVmStatusPage(input.subscriptionId, nextLink, input.rereadUnknown);
          statuses.push(...page.items);
          nextLink = page.nextLink;
        }
      } catch (e) {
        const failure = toArmFailure(e);
        if (pages === 0 || (failure.status !== "throttled" && failure.status !== "conflict")) return failure;
        const retryAfterSeconds = failure.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
        return { status: "ok", vms, statuses, pages, nextLink, retryAfterSeconds };
      }
      pages++;
      if (nextLink === undefined) break;
    }
    return { status: "ok", vms, statuses, pages, nextLink };
  });
}
