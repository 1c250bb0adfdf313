/** port25 plan: read-only classification and per-resource plan of a subscription (real Azure or the simulator). */
import { z } from "zod";
import { camelKeys, parseFlags, parseFlagValues } from "../args";
import { parseConfig } from "../../config";
import { createArmGateway } from "../../azure/clients";
import { discoverSubscription } from "../../azure/discover";
import { SubscriptionIdSchema } from "../../contracts/ids";
import { RemediationOptionsSchema, RunningVmCycleSchema } from "../../contracts/options";
import { classifySubscription } from "../../domain/classify";
import { buildPlan } from "../../domain/planWaves";
import { renderClassification, renderPlan } from "../render";
import { fitLines } from "../table";
import type { CommandResult } from "../command";

const PlanFlags = z
  .object({
    subscription: SubscriptionIdSchema,
    armEndpoint: z.url({ protocol: /^https$/ }).optional(),
    ca: z.string().min(1).optional(),
    maxConcurrency: z.coerce.number().int().min(1).max(1000).optional(),
    runningVmCycle: RunningVmCycleSchema.optional(),
    all: z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .strict();

export async function planCommand(argv: string[]): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    subscription: { type: "string" },
    "arm-endpoint": { type: "string" },
    ca: { type: "string" },
    "max-concurrency": { type: "string" },
    "running-vm-cycle": { type: "string" },
    all: { type: "boolean" },
    json: { type: "boolean" },
  });
  const f = parseFlagValues(PlanFlags, camelKeys(values));
  const config = parseConfig({
    ...process.env,
    ...(f.armEndpoint ? { PORT25_ARM_ENDPOINT: f.armEndpoint } : {}),
    ...(f.ca ? { PORT25_ARM_CA_FILE: f.ca } : {}),
  });
  const arm = createArmGateway(config);
  const loopback = f.armEndpoint !== undefined && /^https:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(f.armEndpoint);
  const [subscription, billing] = await Promise.all([arm.getSubscription(f.subscription), arm.getBillingProperty(f.subscription)]).catch((e: unknown) => {
    throw isSignInFailure(e) ? new Error(signInAdvice(loopback)) : e;
  });
  const classification = classifySubscription(billing, subscription);
  const options = RemediationOptionsSchema.parse({
    ...(f.maxConcurrency === undefined ? {} : { maxConcurrency: f.maxConcurrency }),
    ...(f.runningVmCycle === undefined ? {} : { runningVmCycle: f.runningVmCycle }),
  });
  const discovery = await discoverSubscription(arm, f.subscription, options);
  const plan = buildPlan(discovery, options);
  const refused = classification.category === "blockedNotExemptible" || classification.category === "unknown";
  if (f.json) {
    process.stdout.write(`${JSON.stringify({ subscription, classification, plan }, null, 2)}\n`);
  } else {
    process.stdout.write(`${fitLines(`${subscription.displayName} (${subscription.subscriptionId})\n${renderClassification(classification)}\n\n${renderPlan(plan, f.all)}`)}\n`);
    if (refused) process.stdout.write("\nA run would be refused: nothing would be changed.\n");
  }
  return { exitCode: refused ? 1 : 0 };
}

/** DefaultAzureCredential found no usable credential (its error lists every credential of the chain it tried). */
export function isSignInFailure(e: unknown): boolean {
  for (let err: unknown = e, depth = 0; err instanceof Error && depth < 5; err = err.cause, depth++) {
    if (err.name === "CredentialUnavailableError" || err.name === "AggregateAuthenticationError" || err.name === "AuthenticationRequiredError") return true;
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
