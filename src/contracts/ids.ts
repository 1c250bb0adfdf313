/** Identifiers: subscription GUIDs and ARM resource ids, parsed rather than passed around as loose strings. */
import { z } from "zod";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A subscription id: a GUID, normalised to lower case. */
export const SubscriptionIdSchema = z
  .string()
  .regex(GUID, "must be a subscription GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
  .transform((s) => s.toLowerCase());

export interface ArmResourceId {
  subscriptionId: string;
  resourceGroup: string;
  /** e.g. "Microsoft.Compute" */
  provider: string;
  /** Full type, e.g. "Microsoft.Compute/virtualMachines" or "Microsoft.Network/virtualNetworks/subnets". */
  type: string;
  /** Last name segment, e.g. the VM's or the subnet's name. */
  name: string;
  /** Name segments from the top-level resource down, e.g. ["vnet1", "subnet1"]. */
  names: string[];
  /** The id in canonical form (as given, without a trailing slash). */
  id: string;
}

const NAME_SEGMENT = /^[^/?#\s][^/?#]*$/;
const RG_NAME = /^[-\w._()]{1,90}$/;

/** Parses an ARM resource id, or returns a message saying what is wrong with it. */
export function tryParseArmResourceId(value: string): ArmResourceId | string {
  const trimmed = value.replace(/\/+$/, "");
  const parts = trimmed.split("/");
  if (parts[0] !== "") return "must start with /subscriptions/";
  const seg = parts.slice(1);
  if (seg[0]?.toLowerCase() !== "subscriptions" || seg[1] === undefined) return "must start with /subscriptions/{id}";
  if (!GUID.test(seg[1])) return "has a subscription segment that is not a GUID";
  if (seg[2]?.toLowerCase() !== "resourcegroups" || seg[3] === undefined) return "must name a resource group";
  if (!RG_NAME.test(seg[3]) || seg[3].endsWith(".")) return "has an invalid resource group name";
  if (seg[4]?.toLowerCase() !== "providers" || seg[5] === undefined) return "must name a provider";
  const rest = seg.slice(6);
  if (rest.length < 2 || rest.length % 2 !== 0) return "must have type/name pairs after the provider";
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const t = rest[i] ?? "";
    const n = rest[i + 1] ?? "";
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(t)) return `has an invalid type segment "${t}"`;
    if (!NAME_SEGMENT.test(n) || n.length > 260) return `has an invalid name segment "${n}"`;
    types.push(t);
    names.push(n);
  }
  return {
    subscriptionId: seg[1].toLowerCase(),
    resourceGroup: seg[3],
    provider: seg[5],
    type: [seg[5], ...types].join("/"),
    name: names[names.length - 1] ?? "",
    names,
    id: trimmed,
  };
}

/** An ARM resource id kept as a string on the wire, validated on parse. */
export const ArmResourceIdSchema = z.string().superRefine((value, ctx) => {
  const r = tryParseArmResourceId(value);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: `not an ARM resource id: ${r}` });
});

/** Case-insensitive comparison key for ARM ids (ARM treats them case-insensitively). */
export function resourceKey(id: string): string {
  return id.replace(/\/+$/, "").toLowerCase();
}
