/**
 * An estate: several subscriptions under a management-group hierarchy, served by one simulator as ARM serves them
 * (one endpoint, one token). A single-subscription scenario is an estate of one subscription and no groups.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ManagementGroupIdSchema } from "../contracts/campaign";
import { parseWith } from "../contracts/parse";
import { ensureError, ValidationError } from "../errors";
import { BehaviourSchema, BucketSchema } from "./behaviourSchema";
import { ScenarioSchema, SubscriptionContents, type Scenario, type ScenarioInput } from "./scenario";
import { crossCheck } from "./scenarioChecks";
import { Guid, Iso } from "./scenarioResources";

const ManagementGroupSchema = z
  .object({
    id: ManagementGroupIdSchema,
    /** Default: the id. */
    displayName: z.string().min(1).optional(),
    /** The parent group's id; exactly one group (the root) has none. */
    parent: ManagementGroupIdSchema.optional(),
  })
  .strict();

/**
 * One subscription of an estate: a full single-subscription scenario plus the group it sits in directly. Its
 * behaviour has no clock (`startTime`, `timeScale`): the estate keeps one clock for every subscription.
 */
const EstateSubscriptionSchema = z
  .object({
    managementGroup: ManagementGroupIdSchema,
    ...SubscriptionContents,
    behaviour: BehaviourSchema.omit({ startTime: true, timeScale: true }).strict().prefault({}),
  })
  .strict()
  .superRefine(crossCheck);

/**
 * ARM's tenant-level budget (request-limits-and-throttling.md: tenant limits as the subscription's, reads bucket 250
 * refilled 25 per second), spent by tenant-level requests such as a management group's descendants.
 */
export const TenantThrottlingSchema = z
  .object({
    enabled: z.boolean().default(true),
    reads: BucketSchema.default({ capacity: 250, refillPerSecond: 25 }),
    writes: BucketSchema.default({ capacity: 200, refillPerSecond: 10 }),
  })
  .strict();

const EstateBehaviourSchema = z
  .object({
    /** Simulated time at start when the simulator keeps its own clock (default: now). */
    startTime: Iso.optional(),
    /** Simulated seconds per real second when the simulator keeps its own clock. */
    timeScale: z.number().positive().default(1),
    tenantThrottling: TenantThrottlingSchema.prefault({}),
  })
  .strict();

export const EstateSchema = z
  .object({
    /** The tenant of every group and subscription (default: generated from the seed). */
    tenantId: Guid.optional(),
    managementGroups: z.array(ManagementGroupSchema).min(1, "must declare at least the root management group"),
    subscriptions: z.array(EstateSubscriptionSchema).min(1, "must declare at least one subscription"),
    behaviour: EstateBehaviourSchema.prefault({}),
  })
  .strict()
  .superRefine(hierarchyCheck);

export type EstateInput = z.input<typeof EstateSchema>;
export type EstateScenario = z.output<typeof EstateSchema>;
export type EstateSubscriptionInput = z.input<typeof EstateSubscriptionSchema>;

type Ctx = z.RefinementCtx<z.output<z.ZodObject>>;

/** Groups unique with existing parents, one root, no cycle; subscriptions unique, each in a declared group, one tenant. */
function hierarchyCheck(
  e: {
    tenantId?: string | undefined;
    managementGroups: { id: string; parent?: string | undefined }[];
    subscriptions: { managementGroup: string; subscription: { id: string; tenantId?: string | undefined } }[];
  },
  ctx: Ctx,
): void {
  const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: "custom", path, message });
  const groups = new Map<string, { id: string; parent?: string | undefined }>();
  e.managementGroups.forEach((g, i) => {
    const k = g.id.toLowerCase();
    if (groups.has(k)) issue(["managementGroups", i, "id"], `duplicate management group "${g.id}"`);
    else groups.set(k, g);
  });
  const roots: number[] = [];
  e.managementGroups.forEach((g, i) => {
    if (g.parent === undefined) roots.push(i);
    else if (!groups.has(g.parent.toLowerCase()))
      issue(["managementGroups", i, "parent"], `management group "${g.parent}" is not declared in managementGroups`);
    else if (g.parent.toLowerCase() === g.id.toLowerCase())
      issue(["managementGroups", i, "parent"], `management group "${g.id}" cannot be its own parent`);
  });
  if (roots.length !== 1)
    issue(
      ["managementGroups"],
      roots.length === 0
        ? "needs exactly one root (a group without parent), found none"
        : `needs exactly one root (a group without parent), found ${roots.length}: ${roots.map((i) => e.managementGroups[i]?.id ?? "").join(", ")}`,
    );
  e.managementGroups.forEach((g, i) => {
    const seen = new Set<string>([g.id.toLowerCase()]);
    let parent = g.parent?.toLowerCase();
    while (parent !== undefined) {
      if (seen.has(parent)) {
        if (parent === g.id.toLowerCase() && parent !== g.parent?.toLowerCase())
          issue(["managementGroups", i, "parent"], `management group "${g.id}" is its own ancestor (a cycle)`);
        return;
      }
      seen.add(parent);
      parent = groups.get(parent)?.parent?.toLowerCase();
    }
  });
  const subs = new Set<string>();
  let tenant = e.tenantId;
  e.subscriptions.forEach((s, i) => {
    if (!groups.has(s.managementGroup.toLowerCase()))
      issue(
        ["subscriptions", i, "managementGroup"],
        `management group "${s.managementGroup}" is not declared in managementGroups`,
      );
    const k = s.subscription.id.toLowerCase();
    if (subs.has(k)) issue(["subscriptions", i, "subscription", "id"], `duplicate subscription "${s.subscription.id}"`);
    subs.add(k);
    // One endpoint, one token: one tenant. The estate's, else the first a subscription names.
    const t = s.subscription.tenantId;
    if (t !== undefined && tenant !== undefined && t.toLowerCase() !== tenant.toLowerCase())
      issue(
        ["subscriptions", i, "subscription", "tenantId"],
        `must be the estate's tenant ${tenant} (or left out): an estate is one tenant`,
      );
    tenant ??= t;
  });
}

/** A management group as the simulator serves it. */
export interface EstateGroup {
  id: string;
  displayName: string;
  /** The parent's id; undefined for the root. */
  parent?: string | undefined;
}

/** What the simulator runs: one scenario per subscription (each World's own), the hierarchy and one clock. */
export interface Estate {
  kind: "estate";
  tenantId: string | undefined;
  managementGroups: EstateGroup[];
  subscriptions: { managementGroup: string | undefined; scenario: Scenario }[];
  clock: { startTime: string | undefined; timeScale: number };
  tenantThrottling: z.output<typeof TenantThrottlingSchema>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An estate file is told from a single-subscription scenario by its `managementGroups` or `subscriptions`. */
export function isEstateInput(v: unknown): boolean {
  return isRecord(v) && ("managementGroups" in v || "subscriptions" in v);
}

function fromEstate(e: EstateScenario): Estate {
  // The estate's tenant, else the one a subscription names (hierarchyCheck refuses a second).
  const tenantId = (
    e.tenantId ?? e.subscriptions.find((s) => s.subscription.tenantId !== undefined)?.subscription.tenantId
  )?.toLowerCase();
  return {
    kind: "estate",
    tenantId,
    managementGroups: e.managementGroups.map((g) => ({
      id: g.id,
      displayName: g.displayName ?? g.id,
      parent: g.parent,
    })),
    subscriptions: e.subscriptions.map(({ managementGroup, behaviour, ...contents }) => {
      const clock = { timeScale: e.behaviour.timeScale, startTime: e.behaviour.startTime };
      const subscription = tenantId === undefined ? contents.subscription : { ...contents.subscription, tenantId };
      return { managementGroup, scenario: { ...contents, subscription, behaviour: { ...behaviour, ...clock } } };
    }),
    clock: { startTime: e.behaviour.startTime, timeScale: e.behaviour.timeScale },
    tenantThrottling: e.behaviour.tenantThrottling,
  };
}

function fromScenario(s: Scenario): Estate {
  return {
    kind: "estate",
    tenantId: s.subscription.tenantId?.toLowerCase(),
    managementGroups: [],
    subscriptions: [{ managementGroup: undefined, scenario: s }],
    clock: { startTime: s.behaviour.startTime, timeScale: s.behaviour.timeScale },
    tenantThrottling: TenantThrottlingSchema.parse({ enabled: s.behaviour.throttling.enabled }),
  };
}

/** Parses a parsed JSON document that is either an estate or a single-subscription scenario. */
export function parseEstate(raw: unknown, what: string): Estate {
  return parseAny(raw, what);
}

function parseAny(raw: unknown, what: string): Estate {
  return isEstateInput(raw)
    ? fromEstate(parseWith(EstateSchema, raw, what))
    : fromScenario(parseWith(ScenarioSchema, raw, what));
}

/**
 * The simulator's one front door for what it serves: an estate (object or JSON file) or a single-subscription
 * scenario; errors name the offending field.
 */
export function loadEstate(input: string | Estate | EstateInput | EstateScenario | ScenarioInput | Scenario): Estate {
  if (typeof input !== "string") {
    if ("kind" in input && input.kind === "estate") return input;
    return parseAny(input, isEstateInput(input) ? "estate" : "scenario");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(input, "utf8"));
  } catch (e) {
    const err = ensureError(e);
    throw new ValidationError(`scenario file ${input}`, [{ path: "", message: err.message }], err);
  }
  return parseAny(raw, `${isEstateInput(raw) ? "estate" : "scenario"} file ${input}`);
}

/** The root of a management-group hierarchy (none for a single subscription's scenario). */
export function rootGroup<G extends { id: string; parent?: string | undefined }>(groups: readonly G[]): G | undefined {
  return groups.find((g) => g.parent === undefined);
}

/** When every exempted subscription of the estate is exempted: the latest exemption's effective time, if any. */
export function latestExemption(estate: Estate): string | undefined {
  return estate.subscriptions
    .flatMap((s) => (s.scenario.exemption.effectiveAt !== undefined ? [s.scenario.exemption.effectiveAt] : []))
    .sort()
    .at(-1);
}
