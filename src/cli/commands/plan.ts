/** port25 plan: read-only classification and per-resource plan of a subscription (real Azure or the simulator). */
import { z } from "zod";
import { camelKeys, parseFlags, parseFlagValues } from "../args";
import { parseConfig } from "../../config";
import { createArmGateway } from "../../azure/clients";
import { discoverSubscription } from "../../azure/discover";
import { SubscriptionIdSchema } from "../../contracts/ids";
import { RemediationOptionsSchema } from "../../contracts/options";
import { classifySubscription } from "../../domain/classify";
import { buildPlan } from "../../domain/planWaves";
import { renderClassification, renderPlan } from "../render";
import type { CommandResult } from "../main";

const PlanFlags = z
  .object({
    subscription: SubscriptionIdSchema,
    armEndpoint: z.url({ protocol: /^https$/ }).optional(),
    ca: z.string().min(1).optional(),
    maxConcurrency: z.coerce.number().int().min(1).max(1000).optional(),
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
  const [subscription, billing] = await Promise.all([arm.getSubscription(f.subscription), arm.getBillingProperty(f.subscription)]);
  const classification = classifySubscription(billing, subscription);
  const options = RemediationOptionsSchema.parse(f.maxConcurrency === undefined ? {} : { maxConcurrency: f.maxConcurrency });
  const discovery = await discoverSubscription(arm, f.subscription);
  const plan = buildPlan(discovery, options);
  const refused = classification.category === "blockedNotExemptible" || classification.category === "unknown";
  if (f.json) {
    process.stdout.write(`${JSON.stringify({ subscription, classification, plan }, null, 2)}\n`);
  } else {
    process.stdout.write(`${subscription.displayName} (${subscription.subscriptionId})\n${renderClassification(classification)}\n\n${renderPlan(plan, f.all)}\n`);
    if (refused) process.stdout.write("\nA run would be refused: nothing would be changed.\n");
  }
  return { exitCode: refused ? 1 : 0 };
}
