/**
 * port25 plan: read-only classification and per-resource plan of a subscription, or of every subscription under a
 * management group (real Azure or the simulator).
 */
import { existsSync } from "node:fs";
import { z } from "zod";
import { camelKeys, environment, parseFlags, parseFlagValues, UsageError } from "../args";
import { parseConfig, subnetGrantOf } from "../../config";
import { createArmGateway } from "../../azure/clients";
import { discoverSubscription } from "../../azure/discover";
import { SubscriptionIdSchema } from "../../contracts/ids";
import { ManagementGroupIdSchema } from "../../contracts/campaign";
import type { ArmGateway } from "../../azure/gateway";
import type { RemediationOptions } from "../../contracts/options";
import { planSubscriptions, renderGroupPlan } from "../planGroup";
import {
  AvailabilitySetRuleSchema,
  MAX_SELECTED_RESOURCE_GROUPS,
  RemediationOptionsSchema,
  ResourceGroupNameSchema,
  RunningVmCycleSchema,
} from "../../contracts/options";
import { classifySubscription } from "../../domain/classify";
import { buildPlan } from "../../domain/planWaves";
import { renderClassification, renderGrantCommands, renderPlan } from "../render";
import { fitLines } from "../table";
import type { CommandResult } from "../command";

/** --resource-group RG (repeatable, or comma-separated): the run option resourceGroups. */
export const ResourceGroupsFlag = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== ""),
  )
  .pipe(z.array(ResourceGroupNameSchema).min(1).max(MAX_SELECTED_RESOURCE_GROUPS));

const PlanFlags = z
  .object({
    subscription: SubscriptionIdSchema.optional(),
    managementGroup: ManagementGroupIdSchema.optional(),
    armEndpoint: z.url({ protocol: /^https$/ }).optional(),
    ca: z.string().min(1).optional(),
    maxConcurrency: z.coerce.number().int().min(1).max(1000).optional(),
    runningVmCycle: RunningVmCycleSchema.optional(),
    availabilitySetRule: AvailabilitySetRuleSchema.optional(),
    resourceGroup: ResourceGroupsFlag.optional(),
    all: z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .strict();

export async function planCommand(argv: string[]): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    subscription: { type: "string" },
    "management-group": { type: "string" },
    "arm-endpoint": { type: "string" },
    ca: { type: "string" },
    "max-concurrency": { type: "string" },
    "running-vm-cycle": { type: "string" },
    "availability-set-rule": { type: "string" },
    "resource-group": { type: "string", multiple: true },
    all: { type: "boolean" },
    json: { type: "boolean" },
  });
  const given = ["subscription", "management-group"].filter((k) => values[k] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      `--subscription, --management-group: give exactly one (${given.length === 0 ? "none given" : "got both"})`,
    );
  }
  const f = parseFlagValues(PlanFlags, camelKeys(values));
  // The CA file is the user's flag: a missing one is named as the flag (usage, exit 2), not as an app setting.
  if (f.ca !== undefined && !existsSync(f.ca)) throw new UsageError(`--ca: no such file: ${f.ca}`);
  const config = parseConfig({
    ...environment(),
    ...(f.armEndpoint ? { PORT25_ARM_ENDPOINT: f.armEndpoint } : {}),
    ...(f.ca ? { PORT25_ARM_CA_FILE: f.ca } : {}),
  });
  const arm = createArmGateway(config);
  const loopback =
    f.armEndpoint !== undefined && /^https:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(f.armEndpoint);
  const signIn = (e: unknown): never => {
    throw isSignInFailure(e) ? new Error(signInAdvice(loopback)) : e;
  };
  const options = RemediationOptionsSchema.parse({
    maxConcurrency: f.maxConcurrency,
    runningVmCycle: f.runningVmCycle,
    availabilitySetRule: f.availabilitySetRule,
    resourceGroups: f.resourceGroup,
  });
  if (f.managementGroup !== undefined) return planGroup(arm, f.managementGroup, options, f.all, f.json, signIn);
  const subscriptionId = f.subscription ?? "";
  const [subscription, billing] = await Promise.all([
    arm.getSubscription(subscriptionId),
    arm.getBillingProperty(subscriptionId),
  ]).catch(signIn);
  const classification = classifySubscription(billing, subscription);
  const discovery = await discoverSubscription(arm, subscriptionId, options, subnetGrantOf(config));
  const plan = buildPlan(discovery, options);
  const refused = classification.category === "blockedNotExemptible" || classification.category === "unknown";
  if (f.json) {
    process.stdout.write(`${JSON.stringify({ subscription, classification, plan }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `${fitLines(`${subscription.displayName} (${subscription.subscriptionId})\n${renderClassification(classification)}\n\n${renderPlan(plan, f.all)}`)}\n`,
    );
    const grants = renderGrantCommands(plan);
    if (grants !== "") process.stdout.write(`\n${grants}\n`);
    if (refused) process.stdout.write("\nA run would be refused: nothing would be changed.\n");
  }
  return { exitCode: refused ? 1 : 0 };
}

/**
 * Every subscription under the group, classified, and each exemptible one planned. Exit 0 when at least one is
 * exemptible (the others are what a campaign would leave alone), 1 when none is (or the group has none).
 */
async function planGroup(
  arm: ArmGateway,
  managementGroupId: string,
  options: RemediationOptions,
  all: boolean,
  json: boolean,
  signIn: (e: unknown) => never,
): Promise<CommandResult> {
  const listed = await arm.listManagementGroupSubscriptions(managementGroupId).catch(signIn);
  const group = await planSubscriptions(arm, managementGroupId, listed, options, isSignInFailure).catch(signIn);
  if (json) {
    process.stdout.write(`${JSON.stringify(group, null, 2)}\n`);
  } else {
    const details = all
      ? group.subscriptions.flatMap((e) =>
          e.plan ? ["", `${e.displayName} (${e.subscriptionId})`, renderPlan(e.plan, true)] : [],
        )
      : [];
    process.stdout.write(`${fitLines([renderGroupPlan(group), ...details].join("\n"))}\n`);
    const grants = group.subscriptions.flatMap((e) => {
      const text = e.plan ? renderGrantCommands(e.plan) : "";
      return text === "" ? [] : [`${e.displayName} (${e.subscriptionId})`, text];
    });
    if (grants.length > 0) process.stdout.write(`\n${grants.join("\n")}\n`);
  }
  return { exitCode: group.totals.exemptible > 0 ? 0 : 1 };
}

/** DefaultAzureCredential found no usable credential (its error lists every credential of the chain it tried). */
export function isSignInFailure(e: unknown): boolean {
  for (let err: unknown = e, depth = 0; err instanceof Error && depth < 5; err = err.cause, depth++) {
    if (
      err.name === "CredentialUnavailableError" ||
      err.name === "AggregateAuthenticationError" ||
      err.name === "AuthenticationRequiredError"
    )
      return true;
    if (/ChainedTokenCredential authentication failed|CredentialUnavailableError/.test(err.message)) return true;
  }
  return false;
}

/** One line: what to do when there is no credential. */
export function signInAdvice(loopback: boolean): string {
  return loopback
    ? "no credential for this endpoint: set PORT25_ARM_STATIC_TOKEN to the token `port25 simulator` printed, in the shell that runs plan"
    : "not signed in to Azure: run `az login` (DefaultAzureCredential also takes azd auth login, a managed identity or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET), then run plan again";
}
