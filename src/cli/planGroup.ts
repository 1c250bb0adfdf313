/**
 * `port25 plan --management-group`: the read-only plan of every subscription under a management group, as a
 * campaign would take them: each classified, each exemptible one discovered and planned (the per-subscription plan
 * code), a few subscriptions at a time (ARM's read budgets are per subscription; the token and the machine are not).
 */
import { mapLimit } from "../concurrency";
import type { ArmGateway, ManagementGroupSubscription } from "../azure/gateway";
import { discoverSubscription } from "../azure/discover";
import type { Classification } from "../contracts/classification";
import type { RemediationOptions } from "../contracts/options";
import type { Plan } from "../contracts/plan";
import { classifySubscription } from "../domain/classify";
import { buildPlan } from "../domain/planWaves";
import { ensureError } from "../errors";
import { plural } from "../contracts/plural";
import { formatTable } from "./table";

/** Subscriptions read and planned at once. */
const PLAN_GROUP_CONCURRENCY = 4;

/** One subscription of the group: its verdict and, when exemptible, its plan; or why it could not be read. */
interface GroupPlanEntry {
  subscriptionId: string;
  displayName: string;
  parentManagementGroupId?: string | undefined;
  classification?: Classification;
  plan?: Plan;
  /** The subscription (or its resources) could not be read: the error, in one line. */
  error?: string;
}

interface GroupPlanTotals {
  subscriptions: number;
  /** Exemptible and planned: a campaign would run these. */
  exemptible: number;
  /** Left alone by a campaign: not exemptible or unknown (refused), not blocked (nothing to do). */
  notExemptible: number;
  unknown: number;
  notBlocked: number;
  /** Could not be read or planned. */
  errors: number;
  toCycle: number;
  toRefresh: number;
  skipped: number;
}

interface GroupPlan {
  managementGroupId: string;
  subscriptions: GroupPlanEntry[];
  totals: GroupPlanTotals;
}

async function planOne(
  arm: ArmGateway,
  s: ManagementGroupSubscription,
  options: RemediationOptions,
  rethrow: (e: unknown) => boolean,
): Promise<GroupPlanEntry> {
  const entry: GroupPlanEntry = {
    subscriptionId: s.subscriptionId,
    displayName: s.displayName,
    parentManagementGroupId: s.parentManagementGroupId,
  };
  try {
    const [subscription, billing] = await Promise.all([
      arm.getSubscription(s.subscriptionId),
      arm.getBillingProperty(s.subscriptionId),
    ]);
    const classification = classifySubscription(billing, subscription);
    if (subscription.displayName !== "") entry.displayName = subscription.displayName;
    entry.classification = classification;
    if (classification.category !== "exemptible") return entry;
    entry.plan = buildPlan(await discoverSubscription(arm, s.subscriptionId, options), options);
    return entry;
  } catch (e) {
    if (rethrow(e)) throw e;
    return { ...entry, error: ensureError(e).message.split("\n")[0] ?? "" };
  }
}

/**
 * Plans every subscription of the list (a management group's, as listed). A failure of one subscription is that
 * subscription's row; an error `rethrow` picks (no credential at all) ends the whole plan.
 */
export async function planSubscriptions(
  arm: ArmGateway,
  managementGroupId: string,
  subscriptions: readonly ManagementGroupSubscription[],
  options: RemediationOptions,
  rethrow: (e: unknown) => boolean = () => false,
  concurrency = PLAN_GROUP_CONCURRENCY,
): Promise<GroupPlan> {
  const entries = await mapLimit(subscriptions, concurrency, (s) => planOne(arm, s, options, rethrow));
  const totals: GroupPlanTotals = {
    subscriptions: entries.length,
    exemptible: 0,
    notExemptible: 0,
    unknown: 0,
    notBlocked: 0,
    errors: 0,
    toCycle: 0,
    toRefresh: 0,
    skipped: 0,
  };
  for (const e of entries) {
    if (e.error !== undefined) totals.errors++;
    else if (e.classification?.category === "exemptible") totals.exemptible++;
    else if (e.classification?.category === "blockedNotExemptible") totals.notExemptible++;
    else if (e.classification?.category === "unknown") totals.unknown++;
    else if (e.classification?.category === "notBlocked") totals.notBlocked++;
    if (e.plan) {
      totals.toCycle += e.plan.counts.toCycle;
      totals.toRefresh += e.plan.counts.toRefresh;
      totals.skipped += e.plan.counts.skipped;
    }
  }
  return { managementGroupId, subscriptions: entries, totals };
}

/** Why a campaign would leave the subscription alone (or why it could not be planned); undefined when it is planned. */
function reasonOf(e: GroupPlanEntry): string | undefined {
  if (e.error !== undefined) return `could not be read: ${e.error}`;
  const c = e.classification;
  if (!c || e.plan) return undefined;
  const why = `${c.reason}${c.missingPermission !== undefined ? ` (missing permission ${c.missingPermission})` : ""}`;
  return c.category === "notBlocked" ? `nothing to do: ${why}` : why;
}

/** One row per subscription (the id never cut: it is what `plan --subscription` takes), the reasons, the totals. */
export function renderGroupPlan(g: GroupPlan, maxWidth?: number): string {
  const t = g.totals;
  const table = formatTable(
    ["name", "id", "category", "to cycle", "VNets to refresh", "skipped"],
    g.subscriptions.map((e) => [
      e.displayName,
      e.subscriptionId,
      e.error !== undefined ? "error" : (e.classification?.category ?? ""),
      e.plan ? e.plan.counts.toCycle : "",
      e.plan ? e.plan.counts.toRefresh : "",
      e.plan ? e.plan.counts.skipped : "",
    ]),
    maxWidth,
    [1],
  );
  const reasons = g.subscriptions.flatMap((e) => {
    const r = reasonOf(e);
    return r === undefined ? [] : [`  ${e.displayName} (${e.subscriptionId}): ${r}`];
  });
  const leftAlone = t.notExemptible + t.unknown + t.notBlocked;
  return [
    `Management group ${g.managementGroupId}: ${plural(t.subscriptions, "subscription")}`,
    "",
    table,
    ...(reasons.length > 0 ? ["", "Left alone, and why:", ...reasons] : []),
    "",
    `Exemptible: ${t.exemptible} — ${t.toCycle} to cycle, ${plural(t.toRefresh, "VNet")} to refresh, ${t.skipped} skipped`,
    `Left alone: ${leftAlone} (not exemptible ${t.notExemptible}, unknown ${t.unknown}, not blocked ${t.notBlocked})${t.errors > 0 ? `; could not be read: ${t.errors}` : ""}`,
    t.exemptible === 0
      ? "A campaign would remediate nothing here: no subscription is exemptible."
      : `A campaign on this group would run ${plural(t.exemptible, "remediation")} and leave ${leftAlone + t.errors} subscription(s) alone.`,
  ].join("\n");
}
