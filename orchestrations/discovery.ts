/**
 * Discovery as an orchestration step: everything but the VMs in one activity, the VMs page by page (model, then
 * statusOnly), the canaries' extensions last. A throttled page ends its activity with the pages read and where to
 * go on; the orchestration waits ARM's Retry-After on a durable timer and continues from that page. Each activity's
 * output holds only its own pages, so the history holds the fleet once.
 */
import type { Task } from "durable-functions";
import { z } from "zod";
import type { ActivityDefinition } from "../src/contracts/define";
import type { VmPowerStatus } from "../src/contracts/azure";
import type { Discovery, VmInfo } from "../src/contracts/discovery";
import { ArmFailureSchema, type ArmFailure } from "../src/contracts/durable/common";
import { discoverResourcesActivity } from "../src/contracts/durable/discoverResources";
import { listVmPagesActivity } from "../src/contracts/durable/listVmPages";
import { readCanaryAgentsActivity } from "../src/contracts/durable/readCanaryAgents";
import type { RemediationOptions } from "../src/contracts/options";
import { parseActivityResult } from "./toolkit/calls";
import { joinVmListings, withAgents, withListedGroupNames } from "../src/domain/discovery";
import { canaryReads } from "../src/domain/planResources";
import { ReplayMemo } from "./replayMemo";
import { backoffSeconds } from "./shared";

/** The listings of recent instances, kept between replays (replayMemo.ts); scoped by the listing's random id. */
export const discoveryMemo = new ReplayMemo<Discovery>(16);
const candidatesMemo = new ReplayMemo<{ vmIds: string[]; wanted: number }>(16);

/** What discovery needs from the orchestration it runs in. */
interface DiscoverySteps {
  /** Calls an activity and returns its raw result. */
  call(def: ActivityDefinition, input: unknown): Generator<Task, unknown, unknown>;
  sleep(seconds: number): Generator<Task, void, unknown>;
  /** Orchestration time, in milliseconds. */
  nowMs(): number;
  /** True when the run was cancelled: discovery stops waiting. */
  cancelled(): boolean;
}

interface Discovered {
  discovery: Discovery;
  /** The listing's random id: the memo scope of what the run derives from it. */
  listingId: string | undefined;
}

/** The fields of a listVmPages result that say where to go on, read without parsing its pages. */
const PageHeadSchema = z.object({
  status: z.string(),
  nextLink: z.string().optional(),
  retryAfterSeconds: z.number().min(0).optional(),
});

/**
 * Lists the subscription's resources, waiting out throttling and conflicts; throws when a read fails for good or
 * the waits without progress would pass `budgetSeconds`.
 */
export function* discoverSubscription(
  steps: DiscoverySteps,
  subscriptionId: string,
  options: RemediationOptions,
  budgetSeconds: number,
): Generator<Task, Discovered, unknown> {
  let since = steps.nowMs();
  let attempt = 0;
  const waitOut = function* (out: ArmFailure): Generator<Task, void, unknown> {
    attempt++;
    const wait = backoffSeconds(attempt, out.retryAfterSeconds);
    const spent = (steps.nowMs() - since) / 1000;
    if (
      (out.status !== "throttled" && out.status !== "conflict") ||
      spent + wait > budgetSeconds ||
      steps.cancelled()
    ) {
      throw new Error(
        `listing the subscription's resources failed after ${attempt} attempt(s) over ${Math.round(spent / 60)} min: ${out.code}: ${out.message}`,
      );
    }
    yield* steps.sleep(wait);
  };
  const progressed = (): void => {
    attempt = 0;
    since = steps.nowMs();
  };

  // Everything but the VMs.
  let restRaw: unknown;
  for (;;) {
    restRaw = yield* steps.call(discoverResourcesActivity, { subscriptionId, options, vms: "separately" });
    if (isOk(restRaw)) break;
    yield* waitOut(ArmFailureSchema.parse(restRaw));
  }
  progressed();
  const listingId = listingIdOf(restRaw);

  // The VMs, page by page: their models, then their power states.
  const pages: unknown[] = [];
  for (const view of ["model", "status"] as const) {
    let nextLink: string | undefined;
    for (;;) {
      const raw = yield* steps.call(listVmPagesActivity, { subscriptionId, view, nextLink });
      const head = PageHeadSchema.parse(raw);
      if (head.status !== "ok") {
        yield* waitOut(ArmFailureSchema.parse(raw));
        continue;
      }
      pages.push(raw);
      progressed();
      if (head.nextLink === undefined) break;
      nextLink = head.nextLink;
      if (head.retryAfterSeconds !== undefined) {
        if (steps.cancelled()) throw new Error("listing the subscription's resources stopped: the run was cancelled");
        yield* steps.sleep(Math.max(1, Math.ceil(head.retryAfterSeconds)));
      }
    }
  }

  const memo = <T>(m: ReplayMemo<T>, key: string, compute: () => T): T =>
    listingId === undefined ? compute() : m.get(listingId, key, compute);
  const listed = memo(discoveryMemo, "listed", () => {
    const rest = parseActivityResult(discoverResourcesActivity, restRaw);
    if (rest.status !== "ok") throw new Error("unreachable: discovery result is not ok");
    const models: VmInfo[] = [];
    const statuses: VmPowerStatus[] = [];
    for (const raw of pages) {
      const page = parseActivityResult(listVmPagesActivity, raw);
      if (page.status !== "ok") continue;
      models.push(...page.vms);
      statuses.push(...page.statuses);
    }
    return withListedGroupNames({ ...rest.discovery, vms: joinVmListings(models, statuses) });
  });

  // The canaries' extensions.
  const reads = memo(candidatesMemo, "candidates", () => canaryReads(listed, options));
  if (reads.vmIds.length === 0) return { discovery: listed, listingId };
  for (;;) {
    const raw = yield* steps.call(readCanaryAgentsActivity, { vmIds: reads.vmIds, wanted: reads.wanted });
    const out = parseActivityResult(readCanaryAgentsActivity, raw);
    if (out.status === "ok")
      return { discovery: memo(discoveryMemo, "discovery", () => withAgents(listed, out.agents)), listingId };
    yield* waitOut(out);
  }
}

function isOk(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && "status" in raw && raw.status === "ok";
}

/** The listing id of a raw discoverResources result, read without parsing it. */
function listingIdOf(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null || !("listingId" in raw)) return undefined;
  return typeof raw.listingId === "string" && raw.listingId.length > 0 ? raw.listingId : undefined;
}
