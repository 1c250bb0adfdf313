/** start: a run or a campaign on the deployed app, from the command line. */
import { z } from "zod";
import { camelKeys, environment, parseFlags, parseFlagValues, UsageError } from "../args";
import { callApi, RemoteFlagsSchema, type RemoteOptions } from "../remoteClient";
import { CampaignStartedSchema, type CampaignStarted } from "../campaignApi";
import { describeTarget } from "../campaignRender";
import { RemediationOptionsSchema, AvailabilitySetRuleSchema, RunningVmCycleSchema } from "../../contracts/options";
import { SubscriptionIdSchema } from "../../contracts/ids";
import {
  CampaignStartRequestSchema,
  ManagementGroupIdSchema,
  SubscriptionListSchema,
  MAX_CONCURRENT_SUBSCRIPTIONS,
} from "../../contracts/campaign";
import { parseWith } from "../../contracts/parse";
import type { CommandResult } from "../command";
import { commandLine, exactlyOne, parseAnswer, print, remoteOptions, withoutUser } from "./remote";

const SubscriptionListFlag = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== ""),
  )
  .pipe(SubscriptionListSchema);

const StartFlags = RemoteFlagsSchema.extend({
  subscription: SubscriptionIdSchema.optional(),
  subscriptions: SubscriptionListFlag.optional(),
  managementGroup: ManagementGroupIdSchema.optional(),
  attestationRef: z.string().min(3),
  approvedBy: z.string().min(1),
  approvedAt: z.iso.datetime({ offset: true }),
  mode: z.enum(["plan", "execute"]).default("execute"),
  requireApproval: z.boolean().default(false),
  allowSelfApproval: z.boolean().default(false),
  maxConcurrency: z.coerce.number().int().min(1).max(1000).optional(),
  maxConcurrentSubscriptions: z.coerce.number().int().min(1).max(MAX_CONCURRENT_SUBSCRIPTIONS).optional(),
  runningVmCycle: RunningVmCycleSchema.optional(),
  availabilitySetRule: AvailabilitySetRuleSchema.optional(),
  attestationOnly: z.boolean().default(false),
  json: z.boolean().default(false),
  help: z.boolean().optional(),
});

export async function startCommand(argv: string[]): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    ...remoteOptions,
    subscription: { type: "string" },
    subscriptions: { type: "string" },
    "management-group": { type: "string" },
    "attestation-ref": { type: "string" },
    "approved-by": { type: "string" },
    "approved-at": { type: "string" },
    mode: { type: "string" },
    "require-approval": { type: "boolean" },
    "allow-self-approval": { type: "boolean" },
    "max-concurrency": { type: "string" },
    "max-concurrent-subscriptions": { type: "string" },
    "running-vm-cycle": { type: "string" },
    "availability-set-rule": { type: "string" },
    "attestation-only": { type: "boolean" },
  });
  const target = exactlyOne(
    values,
    ["subscription", "subscriptions", "management-group"],
    "--subscription starts one run, --subscriptions or --management-group a campaign",
  );
  if (target === "subscription" && values["max-concurrent-subscriptions"] !== undefined) {
    throw new UsageError("--max-concurrent-subscriptions: only for a campaign (--subscriptions or --management-group)");
  }
  const f = { ...parseFlagValues(StartFlags, camelKeys(values)), env: environment() };
  const options = RemediationOptionsSchema.parse({
    maxConcurrency: f.maxConcurrency,
    runningVmCycle: f.runningVmCycle,
    availabilitySetRule: f.availabilitySetRule,
    verification: f.attestationOnly ? "attestationOnly" : "canaryProbe",
  });
  const attestation = { reference: f.attestationRef, approvedBy: f.approvedBy, approvedAt: f.approvedAt };
  if (f.subscription !== undefined) {
    const body = {
      subscriptionId: f.subscription,
      attestation,
      mode: f.mode,
      requireApproval: f.requireApproval,
      ...(f.allowSelfApproval ? { allowSelfApproval: true } : {}),
      options,
    };
    const res = await callApi(f, "POST", "/api/remediations", body);
    const parsed = parseAnswer(
      z.object({ instanceId: z.string(), runId: z.string(), statusUrl: z.string() }),
      res,
      "the start of the run",
    );
    print(f.json, res, `Started run ${parsed.runId} (instance ${parsed.instanceId})\nStatus: ${parsed.statusUrl}`);
    return { exitCode: 0 };
  }
  const body = parseWith(
    CampaignStartRequestSchema,
    {
      ...(f.managementGroup !== undefined
        ? { managementGroupId: f.managementGroup }
        : { subscriptionIds: f.subscriptions }),
      attestation,
      mode: f.mode,
      requireApproval: f.requireApproval,
      allowSelfApproval: f.allowSelfApproval,
      maxConcurrentSubscriptions: f.maxConcurrentSubscriptions,
      options,
    },
    "campaign start request",
  );
  const res = await callApi(f, "POST", "/api/campaigns", body);
  const started = parseAnswer(CampaignStartedSchema, res, "the start of the campaign");
  print(f.json, res, renderStarted(started, f.requireApproval, f));
  return { exitCode: 0 };
}

/**
 * What `start` prints for a campaign: its id, what it covers, and the commands to follow it, one per line and never
 * wrapped, each after a `#` line saying what it does (a shell comment: the block pastes as it is).
 */
function renderStarted(c: CampaignStarted, requireApproval: boolean, f: RemoteOptions): string {
  const command = commandLine(f);
  const lines = [
    `Started campaign ${c.campaignId} (instance ${c.instanceId}) on ${describeTarget(c.target)}: mode ${c.mode}, ` +
      `up to ${c.maxConcurrentSubscriptions} subscription(s) at once, requested by ${c.requestedBy}.`,
    `Status: ${c.statusUrl}`,
    "",
    "Next:",
    "# follow it",
    command(`status --id ${c.instanceId} --watch`),
    ...(requireApproval
      ? f.user === undefined
        ? [
            "# approve the runs (each subscription's run waits for approval of its plan)",
            command(`approve --id ${c.instanceId}`),
          ]
        : [
            `# approve the runs, as a second person: add --user with their name (${f.user}'s own approval is refused: four eyes)`,
            commandLine(withoutUser(f))(`approve --id ${c.instanceId}`),
          ]
      : []),
    "# cancel it",
    command(`cancel --id ${c.instanceId}`),
    "# its report, once it has ended",
    command(`audit --campaign ${c.campaignId} --html campaign-${c.campaignId}.html`),
  ];
  return lines.join("\n");
}
