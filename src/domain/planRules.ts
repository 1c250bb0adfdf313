/** What every kind of resource is planned by: its tags (names case-insensitive), the owner of a managed group, and the skips they share. */
import type { ResourceGroupInfo } from "../contracts/discovery";
import { tryParseArmResourceId } from "../contracts/ids";
import { TAGS } from "../contracts/options";
import type { ReasonCode } from "../contracts/outcome";
import type { PlanEntry } from "../contracts/plan";

export const TRANSITIONAL_PROVISIONING = ["creating", "deleting"];

export type Tags = Readonly<Record<string, string>>;

/** ARM tag names are case-insensitive. */
export function tagValue(tags: Tags, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(tags)) if (k.toLowerCase() === wanted) return v.trim();
  return undefined;
}

export function hasSkipTag(tags: Tags): boolean {
  return tagValue(tags, TAGS.skip)?.toLowerCase() === "skip";
}

export function hasCanaryTag(tags: Tags): boolean {
  return tagValue(tags, TAGS.canary)?.toLowerCase() === "true";
}

/** The wave tag: absent, a wave number, or the invalid text. */
export function readWaveTag(tags: Tags): { wave?: number; invalid?: string } {
  const raw = tagValue(tags, TAGS.wave);
  if (raw === undefined) return {};
  if (/^[0-9]{1,9}$/.test(raw)) return { wave: Number(raw) };
  return { invalid: raw };
}

export interface Owner {
  description: string;
  manualAction: string;
}

/** Names the service that owns a managed resource group, from its managedBy id. */
export function describeOwner(managedBy: string): Owner {
  const parsed = tryParseArmResourceId(managedBy);
  if (typeof parsed === "string")
    return { description: `"${managedBy}"`, manualAction: "cycle its VMs through the owning service" };
  const type = parsed.type.toLowerCase();
  const name = `"${parsed.name}"`;
  if (type === "microsoft.containerservice/managedclusters")
    return {
      description: `AKS cluster ${name}`,
      manualAction: "stop and start the cluster or its node pools (az aks stop/start, az aks nodepool stop/start)",
    };
  if (type === "microsoft.databricks/workspaces")
    return {
      description: `Azure Databricks workspace ${name}`,
      manualAction: "restart the workspace's clusters from Databricks",
    };
  if (type === "microsoft.solutions/applications")
    return {
      description: `managed application ${name}`,
      manualAction: "ask the application's publisher, or restart it through the application",
    };
  if (type === "microsoft.redhatopenshift/openshiftclusters")
    return {
      description: `Azure Red Hat OpenShift cluster ${name}`,
      manualAction: "cycle the nodes through OpenShift",
    };
  if (type === "microsoft.servicefabric/managedclusters")
    return {
      description: `Service Fabric managed cluster ${name}`,
      manualAction: "restart the node types through Service Fabric",
    };
  return { description: `${parsed.type} ${name}`, manualAction: "cycle its VMs through the owning service" };
}

export interface Common {
  resourceId: string;
  kind: PlanEntry["kind"];
  name: string;
  resourceGroup: string;
  location: string;
}

/** A listed resource's part of its plan entry, its group as the resource-group list spells it. */
export function commonOf(
  resource: { id: string; name: string; resourceGroup: string; location: string },
  kind: Common["kind"],
  rg: ResourceGroupInfo | undefined,
): Common {
  // Microsoft.Compute upper-cases the group in ids; the resource-group list keeps the spelling its owner chose.
  return {
    resourceId: resource.id,
    kind,
    name: resource.name,
    resourceGroup: rg?.name ?? resource.resourceGroup,
    location: resource.location,
  };
}

/** A planned entry's part that a later rule keeps when it turns the entry into a skip. */
export function commonOfEntry(entry: PlanEntry): Common {
  return {
    resourceId: entry.resourceId,
    kind: entry.kind,
    name: entry.name,
    resourceGroup: entry.resourceGroup,
    location: entry.location,
  };
}

export function skip(common: Common, reason: ReasonCode, message: string, extra: Partial<PlanEntry> = {}): PlanEntry {
  return { ...common, ...extra, action: "skip", steps: [], canary: false, skipReason: reason, skipMessage: message };
}

/** Skips shared by VMs and scale sets; undefined when none applies. */
export function commonSkip(
  common: Common,
  what: string,
  tags: Tags,
  rg: ResourceGroupInfo | undefined,
  provisioningState: string,
  ephemeralOsDisk: boolean,
  extra: Partial<PlanEntry>,
): PlanEntry | undefined {
  if (hasSkipTag(tags)) return skip(common, "skipTag", `${what} is tagged ${TAGS.skip}=skip`, extra);
  const wave = readWaveTag(tags);
  if (wave.invalid !== undefined)
    return skip(
      common,
      "invalidWaveTag",
      `${what} has tag ${TAGS.wave}="${wave.invalid}", which is not an integer ≥ 0; fix the tag and run again`,
      extra,
    );
  if (rg?.managedBy !== undefined && rg.managedBy.trim() !== "") {
    const owner = describeOwner(rg.managedBy);
    return skip(
      common,
      "managedResourceGroup",
      `resource group ${common.resourceGroup} is managed by ${owner.description} (${rg.managedBy}); ${owner.manualAction}`,
      extra,
    );
  }
  const prov = provisioningState.trim().toLowerCase();
  if (prov === "failed")
    return skip(
      common,
      "provisioningFailed",
      `${what} has provisioning state Failed; repair it, then cycle it manually or re-run`,
      extra,
    );
  if (TRANSITIONAL_PROVISIONING.includes(prov))
    return skip(
      common,
      "transitionalState",
      `${what} is being ${prov === "creating" ? "created" : "deleted"} (provisioning state ${provisioningState})`,
      extra,
    );
  if (ephemeralOsDisk)
    return skip(
      common,
      "ephemeralOsDisk",
      `${what} has an ephemeral OS disk, which cannot be deallocated; redeploy or reimage it manually (whether that applies the new network policy is unverified)`,
      extra,
    );
  return undefined;
}
