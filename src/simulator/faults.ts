/** Fault specifications (scenario `behaviour.faults` or injected at run time) and the seeded engine that fires them. */
import { z } from "zod";
import { parseWith } from "../contracts/parse";
import type { Rng } from "./rng";

/** Every operation the simulator serves, by name: what faults and the request log match on. */
export const OPERATION_NAMES = [
  "getSubscription",
  "getBillingProperty",
  "listResourceGroups",
  "getResourceGroup",
  "listVms",
  "getVm",
  "getVmInstanceView",
  "listVmExtensions",
  "vmPowerOff",
  "vmDeallocate",
  "vmStart",
  "listScaleSets",
  "getScaleSet",
  "listScaleSetVms",
  "getScaleSetVm",
  "scaleSetPowerOff",
  "scaleSetDeallocate",
  "scaleSetStart",
  "listVnets",
  "getVnet",
  "listSubnets",
  "getSubnet",
  "putSubnet",
  "deleteSubnet",
  "listNetworkWatchers",
  "connectivityCheck",
  "getOperationStatus",
  "getOperationResult",
  "listActivityLog",
  "listLocks",
  "listPermissions",
  "listNics",
  "listRouteTables",
  "getEffectiveRouteTable",
] as const;
export type OperationName = (typeof OPERATION_NAMES)[number];
export const OperationNameSchema = z.enum(OPERATION_NAMES);

export type RequestKind = "read" | "write" | "delete";

/** Codes a start from deallocated can fail with when the region or zone has no capacity. */
const ALLOCATION_CODES = [
  "AllocationFailed",
  "ZonalAllocationFailed",
  "OverconstrainedAllocationRequest",
  "OverconstrainedZonalAllocationRequest",
] as const;

const MatchSchema = z
  .object({
    /** Only these operations (default depends on the fault kind). */
    operation: z.union([OperationNameSchema, z.array(OperationNameSchema).min(1)]).optional(),
    /** Only requests of this throttling kind. */
    kind: z.enum(["read", "write", "delete"]).optional(),
    /** Only requests whose path contains this text (case-insensitive), e.g. a VM name or resource id. */
    resource: z.string().min(1).optional(),
  })
  .strict();

const common = {
  match: MatchSchema.optional(),
  /** Chance that a matching request triggers the fault (seeded); default 1. */
  probability: z.number().min(0).max(1).optional(),
  /** Fire at most this many times; default unlimited. */
  count: z.number().int().positive().optional(),
};

export const FaultSpecSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("http5xx"),
      ...common,
      status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).default(503),
      code: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("throttleStorm"),
      ...common,
      /** Seconds (simulated) for Retry-After; `null` sends a 429 without the header. */
      retryAfterSeconds: z.number().int().nonnegative().nullable().default(1),
    })
    .strict(),
  z
    .object({
      kind: z.literal("conflict"),
      ...common,
      status: z.union([z.literal(409), z.literal(429)]).default(409),
      code: z.string().min(1).optional(),
      /** ARM's message, e.g. a quota refusal ("… exceeding approved standardDSv3Family Cores quota …"). */
      message: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({ kind: z.literal("lroFailed"), ...common, code: z.string().min(1).default("InternalExecutionError") })
    .strict(),
  z.object({ kind: z.literal("stuckTransition"), ...common }).strict(),
  z
    .object({
      kind: z.literal("allocationFailure"),
      ...common,
      /** The allocation code Compute gives (Azure/azure-cli#2401, MicrosoftDocs/azure-docs#41402). */
      code: z.enum(ALLOCATION_CODES).default("AllocationFailed"),
      /** Wrap it as some answers do: this code at the top, the allocation code only in `details`. */
      wrappedIn: z.enum(["ResourceOperationFailure", "ResourceDeploymentFailure"]).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("latencySpike"),
      ...common,
      /** Simulated seconds added to the operation's duration (long-running operations). */
      extraSeconds: z.number().nonnegative().default(300),
      /** Real milliseconds the HTTP response is held back. */
      responseDelayMs: z.number().int().nonnegative().max(60_000).default(0),
    })
    .strict(),
]);
export type FaultSpec = z.input<typeof FaultSpecSchema>;
export type ParsedFault = z.output<typeof FaultSpecSchema>;
type FaultKind = ParsedFault["kind"];

/** The long-running operations: every write the product sends, and the two POST actions it polls for a result. */
export const LRO_OPERATIONS: readonly OperationName[] = [
  "vmPowerOff",
  "vmDeallocate",
  "vmStart",
  "scaleSetPowerOff",
  "scaleSetDeallocate",
  "scaleSetStart",
  "putSubnet",
  "deleteSubnet",
  "connectivityCheck",
  "getEffectiveRouteTable",
];
/** The power actions on VMs and scale sets. */
export const POWER_OPERATIONS: readonly OperationName[] = LRO_OPERATIONS.filter(
  (o) => o.startsWith("vm") || o.startsWith("scaleSet"),
);

/** Operations a fault applies to when its `match.operation` is not given. */
const DEFAULT_OPERATIONS: Record<FaultKind, readonly OperationName[] | undefined> = {
  http5xx: undefined,
  throttleStorm: undefined,
  conflict: ["putSubnet", "deleteSubnet"],
  lroFailed: LRO_OPERATIONS,
  stuckTransition: POWER_OPERATIONS,
  allocationFailure: ["vmStart", "scaleSetStart"],
  latencySpike: undefined,
};

export interface RequestContext {
  operation: OperationName;
  kind: RequestKind;
  /** Lower-cased request path. */
  path: string;
}

interface ArmedFault {
  spec: ParsedFault;
  remaining: number;
}

/** Holds the armed faults; `take` decides (seeded) whether one fires for a request and consumes it. */
export class FaultEngine {
  private readonly faults: ArmedFault[] = [];
  readonly fired: Record<string, number> = {};

  constructor(private readonly rng: Rng) {}

  add(spec: FaultSpec | ParsedFault): void {
    const parsed = parseWith(FaultSpecSchema, spec, "fault");
    this.faults.push({ spec: parsed, remaining: parsed.count ?? Number.POSITIVE_INFINITY });
  }

  take<K extends FaultKind>(kind: K, ctx: RequestContext): Extract<ParsedFault, { kind: K }> | undefined {
    for (const f of this.faults) {
      if (f.spec.kind !== kind || f.remaining <= 0) continue;
      if (!matches(f.spec, ctx)) continue;
      if (f.spec.probability !== undefined && this.rng.next() >= f.spec.probability) continue;
      f.remaining -= 1;
      this.fired[kind] = (this.fired[kind] ?? 0) + 1;
      return f.spec as Extract<ParsedFault, { kind: K }>;
    }
    return undefined;
  }
}

function matches(spec: ParsedFault, ctx: RequestContext): boolean {
  const m = spec.match;
  const ops =
    m?.operation === undefined
      ? DEFAULT_OPERATIONS[spec.kind]
      : Array.isArray(m.operation)
        ? m.operation
        : [m.operation];
  if (ops !== undefined && !ops.includes(ctx.operation)) return false;
  if (m?.kind !== undefined && m.kind !== ctx.kind) return false;
  if (m?.resource !== undefined && !ctx.path.includes(m.resource.toLowerCase())) return false;
  return true;
}
