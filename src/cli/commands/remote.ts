/** start | status | approve | cancel | audit: the deployed app's HTTP API from the command line, for runs and campaigns. */
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { AuditVerificationSchema } from "../../audit/ledger";
import { camelKeys, environment, parseFlags, parseFlagValues, UsageError, type OptionSpec } from "../args";
import { callApi, RemoteFlagsSchema, type RemoteOptions } from "../remoteClient";
import { createLineSink, createProgressSink } from "../progress";
import { FAILING_STATUSES, invocation, shellQuote } from "../invocation";
import { fitLines, formatTable } from "../table";
import {
  CampaignApprovedSchema,
  CampaignCancelledSchema,
  CampaignIdSchema,
  CampaignListPageSchema,
  CampaignAuditSchema,
  CampaignStartedSchema,
  CampaignStatusBodySchema,
  isCampaignInstanceId,
  type CampaignRow,
  type CampaignStarted,
} from "../campaignApi";
import {
  describeCampaignEnd,
  describeCampaignProgress,
  describeListedTarget,
  describeTarget,
  renderApproved,
  renderCampaignRecord,
  renderCampaignStatus,
  renderCancelled,
  type CommandLine,
} from "../campaignRender";
import { ProgressSchema, RemediationSummarySchema } from "../../contracts/remediation";
import { RemediationOptionsSchema, AvailabilitySetRuleSchema, RunningVmCycleSchema } from "../../contracts/options";
import { SubscriptionIdSchema } from "../../contracts/ids";
import {
  campaignInstanceId,
  CampaignStartRequestSchema,
  ManagementGroupIdSchema,
  CAMPAIGN_INSTANCE_PREFIX,
  campaignIdOf,
  SubscriptionListSchema,
  MAX_CONCURRENT_SUBSCRIPTIONS,
} from "../../contracts/campaign";
import { parseWith } from "../../contracts/parse";
import { ClockKindSchema } from "../../contracts/clock";
import {
  listedTimeCell,
  renderAuditedRun,
  renderRunList,
  SIMULATED_LIST_NOTE,
  SIMULATED_TIMES_NOTE,
  timeCell,
} from "../auditRender";
import { AuditedRunSchema } from "../../contracts/audit";
import type { CommandResult } from "../command";

const remoteOptions: OptionSpec = {
  app: { type: "string" },
  key: { type: "string" },
  token: { type: "string" },
  user: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const StatusBodySchema = z.object({
  clock: ClockKindSchema.optional(),
  instanceId: z.string(),
  runtimeStatus: z.string(),
  progress: ProgressSchema.nullable(),
  summary: RemediationSummarySchema.nullable(),
});

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

/** An answer of the app read with its schema: one of another shape is an error (exit 1) naming the field. */
function parseAnswer<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const fields = r.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
    throw new Error(`the app answered ${what} in an unexpected shape (${fields})`);
  }
  return r.data;
}

/**
 * The port25 command lines to paste next: the same invocation, --app, and the --key and --user given on this command
 * line (a key taken from PORT25_FUNCTION_KEY stays there, as does a token: the next command finds them where this one
 * did), so each works pasted as printed.
 */
function commandLine(f: RemoteOptions): CommandLine {
  return (args) => {
    const [verb = "", ...rest] = args.split(" ");
    return [
      invocation(),
      verb,
      "--app",
      shellQuote(f.app),
      ...(f.key !== undefined ? ["--key", shellQuote(f.key)] : []),
      ...(f.user !== undefined ? ["--user", shellQuote(f.user)] : []),
      ...rest,
    ].join(" ");
  };
}

/** The same, as someone else: the approval of a run is a second person's (four eyes), so --user is theirs to add. */
function withoutUser(f: RemoteOptions): RemoteOptions {
  const { user: _user, ...rest } = f;
  return rest;
}

/** Wraps prose to the terminal, never a command line: those are pasted, and a wrapped one breaks. */
function fitProse(text: string): string {
  const prefix = invocation();
  return fitLines(text, undefined, (line) => line.trimStart().startsWith(prefix));
}

/** The flags of which exactly one must be given; the error names them all. */
function exactlyOne(values: Record<string, unknown>, flags: readonly string[], hint: string): string {
  const given = flags.filter((k) => values[k] !== undefined);
  const [only] = given;
  if (given.length !== 1 || only === undefined) {
    throw new UsageError(
      `${flags.map((k) => `--${k}`).join(", ")}: give exactly one (${given.length === 0 ? "none given" : `got ${given.map((k) => `--${k}`).join(" and ")}`}): ${hint}`,
    );
  }
  return only;
}

/** --subscriptions a,b,c: the campaign's list, as the start request takes it (each a GUID, at least one, none twice). */
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

const IdFlags = RemoteFlagsSchema.extend({
  id: z.string().min(1).optional(),
  campaign: CampaignIdSchema.optional(),
  subscription: SubscriptionIdSchema.optional(),
  json: z.boolean().default(false),
  watch: z.boolean().default(false),
  help: z.boolean().optional(),
});
type IdFlagValues = z.output<typeof IdFlags>;

type Target = { kind: "run"; id: string } | { kind: "campaign"; instanceId: string };

/** --id (a run's instance or subscription, or a campaign's instance) or --campaign (a campaign's id). */
function targetOf(f: IdFlagValues, values: Record<string, unknown>): Target {
  exactlyOne(
    values,
    ["id", "campaign"],
    "--id names a run (its instance or subscription) or a campaign's instance, --campaign a campaign's id",
  );
  if (f.campaign !== undefined) {
    return { kind: "campaign", instanceId: campaignInstanceId(campaignIdOf(f.campaign)) };
  }
  const id = f.id ?? "";
  return isCampaignInstanceId(id) ? { kind: "campaign", instanceId: id.toLowerCase() } : { kind: "run", id };
}

const campaignPath = (instanceId: string): string => `/api/campaigns/${encodeURIComponent(instanceId)}`;

export async function statusCommand(argv: string[], sleep: (ms: number) => Promise<void>): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    ...remoteOptions,
    id: { type: "string" },
    campaign: { type: "string" },
    watch: { type: "boolean" },
  });
  const f = { ...parseFlagValues(IdFlags, camelKeys(values)), env: environment() };
  const target = targetOf(f, values);
  if (target.kind === "campaign") return campaignStatus(f, target.instanceId, sleep);
  const sink = createProgressSink(process.stderr, f.watch);
  for (;;) {
    const body = parseAnswer(
      StatusBodySchema,
      await callApi(f, "GET", `/api/remediations/${encodeURIComponent(target.id)}`),
      "the run's status",
    );
    if (body.progress) sink.update(body.progress);
    const live = body.runtimeStatus === "Running" || body.runtimeStatus === "Pending";
    if (!f.watch || !live) {
      const s = body.summary;
      if (s) sink.finish(s);
      sink.done();
      const times = s
        ? `Started ${timeCell(s.startedAt)}, ended ${timeCell(s.endedAt)}` +
          (s.approval !== undefined ? `; approved by ${s.approval.by} at ${timeCell(s.approval.at)}` : "") +
          (body.clock === "simulated" ? ` ${SIMULATED_TIMES_NOTE}` : "") +
          "\n"
        : "";
      const text = s
        ? `${body.instanceId}: ${body.runtimeStatus}, run ${s.runId} ${s.status} — ${s.message}\n${times}` +
          formatTable(
            ["outcome", "count"],
            [
              ["cycled", s.counts.cycled],
              ["skipped", s.counts.skipped],
              ["failed", s.counts.failed],
              ...((s.counts.leftDown ?? 0) > 0
                ? [["of which LEFT DOWN", s.counts.leftDown ?? 0] as [string, number]]
                : []),
            ],
          ) +
          (s.leftDown ?? [])
            .map(
              (d) =>
                `\nLEFT DOWN ${d.resourceGroup}/${d.name}: ${d.state} — ${d.reason}\n  manual action: ${d.manualAction}`,
            )
            .join("")
        : `${body.instanceId}: ${body.runtimeStatus}${body.progress ? ` (${body.progress.phase})` : ""}`;
      print(f.json, body, text);
      const failed = s !== null && (FAILING_STATUSES.includes(s.status) || (s.counts.leftDown ?? 0) > 0);
      return { exitCode: failed || body.runtimeStatus === "Failed" ? 1 : 0 };
    }
    await sleep(5000);
  }
}

/** A campaign's status, once or (--watch) until it ends. Exit 1 unless it completed with nothing left down. */
async function campaignStatus(
  f: IdFlagValues,
  instanceId: string,
  sleep: (ms: number) => Promise<void>,
): Promise<CommandResult> {
  const sink = createLineSink(process.stderr, f.watch);
  for (;;) {
    const body = parseAnswer(
      CampaignStatusBodySchema,
      await callApi(f, "GET", campaignPath(instanceId)),
      "the campaign's status",
    );
    const live = body.runtimeStatus === "Running" || body.runtimeStatus === "Pending";
    if (f.watch && live) {
      const p = describeCampaignProgress(body);
      sink.show(p.text, p.fraction);
      await sleep(5000);
      continue;
    }
    if (body.summary) {
      const end = describeCampaignEnd(body.summary);
      sink.end(end.text, end.fraction);
    }
    sink.done();
    print(f.json, body, fitProse(renderCampaignStatus(body, commandLine(f))));
    const s = body.summary;
    const failed = s !== null && (s.status !== "completed" || (s.totals.resources.leftDown ?? 0) > 0);
    return { exitCode: failed || body.runtimeStatus === "Failed" || body.runtimeStatus === "Terminated" ? 1 : 0 };
  }
}

export async function eventCommand(argv: string[], action: "approve" | "cancel"): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    ...remoteOptions,
    id: { type: "string" },
    campaign: { type: "string" },
    subscription: { type: "string" },
  });
  const f = { ...parseFlagValues(IdFlags, camelKeys(values)), env: environment() };
  const target = targetOf(f, values);
  if (target.kind === "run") {
    if (f.subscription !== undefined) {
      throw new UsageError(
        `--subscription: only with a campaign (--campaign ID, or --id ${CAMPAIGN_INSTANCE_PREFIX}…); a run is named by --id alone`,
      );
    }
    const res = await callApi(f, "POST", `/api/remediations/${encodeURIComponent(target.id)}/${action}`);
    print(f.json, res, action === "approve" ? `Approved ${target.id}` : `Cancellation requested for ${target.id}`);
    return { exitCode: 0 };
  }
  const query = f.subscription === undefined ? "" : `?subscriptionId=${encodeURIComponent(f.subscription)}`;
  const res = await callApi(f, "POST", `${campaignPath(target.instanceId)}/${action}${query}`);
  if (action === "approve") {
    const a = parseAnswer(CampaignApprovedSchema, res, "the approval");
    print(f.json, res, renderApproved(a));
    // Nothing released, or a run refused its approval (four eyes): the operator has something to do.
    return { exitCode: a.refused.length > 0 || a.approved.length === 0 ? 1 : 0 };
  }
  print(f.json, res, renderCancelled(parseAnswer(CampaignCancelledSchema, res, "the cancellation")));
  return { exitCode: 0 };
}

const RunRowSchema = z
  .object({
    runId: z.string(),
    subscriptionId: z.string(),
    status: z.string(),
    requestedAt: z.string().optional(),
    startedAt: z.string().optional(),
    requestedBy: z.string().optional(),
    clock: ClockKindSchema.optional(),
  })
  .loose();

const AuditFlags = RemoteFlagsSchema.extend({
  subscription: SubscriptionIdSchema.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  run: z.string().min(1).optional(),
  campaign: CampaignIdSchema.optional(),
  campaigns: z.boolean().default(false),
  verify: z.boolean().default(false),
  html: z.string().min(1).optional(),
  json: z.boolean().default(false),
  help: z.boolean().optional(),
});
type AuditFlagValues = z.output<typeof AuditFlags>;

/** Flags that cannot go together: the error names both. */
function refuseTogether(values: Record<string, unknown>, flag: string, others: readonly string[], why: string): void {
  const clash = others.find((o) => values[o] !== undefined);
  if (values[flag] !== undefined && clash !== undefined)
    throw new UsageError(`--${flag}: cannot be combined with --${clash} (${why})`);
}

export async function auditCommand(argv: string[]): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    ...remoteOptions,
    subscription: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    run: { type: "string" },
    campaign: { type: "string" },
    campaigns: { type: "boolean" },
    verify: { type: "boolean" },
    html: { type: "string" },
  });
  refuseTogether(
    values,
    "verify",
    ["run", "campaign", "campaigns", "from", "to", "html"],
    "--verify checks every record, or one --subscription's",
  );
  refuseTogether(
    values,
    "campaign",
    ["run", "campaigns", "subscription", "from", "to"],
    "--campaign shows one campaign",
  );
  refuseTogether(
    values,
    "campaigns",
    ["run", "subscription", "html"],
    "--campaigns lists campaigns, filtered by --from and --to",
  );
  refuseTogether(values, "run", ["subscription", "from", "to"], "--run shows one run");
  if (values.html !== undefined && values.run === undefined && values.campaign === undefined) {
    throw new UsageError("--html: only with --run RUN_ID or --campaign ID (the report of one run or campaign)");
  }
  const f = { ...parseFlagValues(AuditFlags, camelKeys(values)), env: environment() };
  if (f.verify) return verifyAudit(f);
  if (f.campaign !== undefined) return auditCampaign(f, f.campaign);
  if (f.campaigns) return listCampaigns(f);
  if (f.run) {
    if (f.html) {
      const page = await callApi(f, "GET", `/api/audit/runs/${encodeURIComponent(f.run)}?format=html&links=absolute`);
      writeFileSync(f.html, typeof page === "string" ? page : JSON.stringify(page));
      process.stdout.write(`Report written to ${f.html}\n`);
      return { exitCode: 0 };
    }
    const run = await callApi(f, "GET", `/api/audit/runs/${encodeURIComponent(f.run)}`);
    if (f.json) {
      print(true, run, "");
      return { exitCode: 0 };
    }
    const audited = parseAnswer(AuditedRunSchema, run, "the run's audit record");
    // The chain that holds the record (its subscription's), checked by the app as `audit --verify` does.
    const q = new URLSearchParams({ subscriptionId: audited.run.subscriptionId });
    const verification = parseAnswer(
      AuditVerificationSchema,
      await callApi(f, "GET", `/api/audit/verify?${q.toString()}`),
      "the audit verification",
    );
    const report = commandLine(f)(`audit --run ${audited.run.runId} --html run-${audited.run.runId}.html`);
    print(false, run, fitProse(renderAuditedRun(audited, verification, report)));
    const down = audited.outcomes.some((o) => o.leftDown !== undefined);
    return { exitCode: verification.ok && !down ? 0 : 1 };
  }
  const q = new URLSearchParams();
  if (f.subscription) q.set("subscriptionId", f.subscription);
  if (f.from) q.set("from", f.from);
  if (f.to) q.set("to", f.to);
  const rows: z.output<typeof RunRowSchema>[] = [];
  let token: string | undefined;
  do {
    if (token) q.set("continuationToken", token);
    const page = parseAnswer(
      z.object({ runs: z.array(RunRowSchema), continuationToken: z.string().optional().nullable() }),
      await callApi(f, "GET", `/api/audit/runs?${q.toString()}`),
      "the list of runs",
    );
    rows.push(...page.runs);
    token = page.continuationToken ?? undefined;
  } while (token);
  print(f.json, rows, renderRunList(rows));
  return { exitCode: 0 };
}

/** The audit's hash chains checked by the app: exit 0 when whole, 1 naming every record changed, removed or reordered. */
async function verifyAudit(f: AuditFlagValues & RemoteOptions): Promise<CommandResult> {
  const q = new URLSearchParams();
  if (f.subscription) q.set("subscriptionId", f.subscription);
  const v = parseAnswer(
    AuditVerificationSchema,
    await callApi(f, "GET", `/api/audit/verify${q.size > 0 ? `?${q.toString()}` : ""}`),
    "the audit verification",
  );
  const head = v.ok
    ? `The audit is whole: ${v.records} record(s) in ${v.chains.length} chain(s), every link and record as written.`
    : `THE AUDIT HAS BEEN TAMPERED WITH: ${v.problems.length} problem(s) in ${v.records} record(s).`;
  const problems = v.problems.map(
    (p) =>
      `  ${p.problem} in ${p.chain}${p.seq === undefined ? "" : ` #${p.seq}`}${p.ref === undefined ? "" : ` (${p.ref.table} ${p.ref.rowKey})`}: ${p.detail}`,
  );
  const heads = v.chains.map((c) => `  ${c.chain}: ${c.links} link(s), head #${c.headSeq} ${c.headDigest}`);
  print(
    f.json,
    v,
    [head, ...problems, "Chain heads (compare with the Port25Audit lines in Application Insights):", ...heads].join(
      "\n",
    ),
  );
  return { exitCode: v.ok ? 0 : 1 };
}

/** One campaign's audit record (--html FILE: its report). */
async function auditCampaign(f: AuditFlagValues & RemoteOptions, given: string): Promise<CommandResult> {
  // An instance id names the campaign over a target (every campaign of that target shares it): its view names the
  // campaign id, which keys the audit record.
  const campaignId = given.toLowerCase().startsWith(CAMPAIGN_INSTANCE_PREFIX)
    ? parseAnswer(
        z.object({ campaignId: z.string() }),
        await callApi(f, "GET", `/api/campaigns/${encodeURIComponent(given)}`),
        "the campaign's view",
      ).campaignId
    : campaignIdOf(given);
  const path = `/api/audit/campaigns/${encodeURIComponent(campaignId)}`;
  if (f.html !== undefined) {
    // Saved to a file, the report links the app's audit pages by their full address.
    const page = await callApi(f, "GET", `${path}?format=html&links=absolute`);
    writeFileSync(f.html, typeof page === "string" ? page : JSON.stringify(page));
    process.stdout.write(`Report written to ${f.html}\n`);
    return { exitCode: 0 };
  }
  const res = await callApi(f, "GET", path);
  print(
    f.json,
    res,
    fitProse(
      renderCampaignRecord(
        campaignId,
        parseAnswer(CampaignAuditSchema, res, "the campaign's audit record"),
        commandLine(f),
      ),
    ),
  );
  return { exitCode: 0 };
}

/** The audited campaigns, every page followed (--from/--to filter by start time). */
async function listCampaigns(f: AuditFlagValues & RemoteOptions): Promise<CommandResult> {
  const q = new URLSearchParams();
  if (f.from) q.set("from", f.from);
  if (f.to) q.set("to", f.to);
  const rows: CampaignRow[] = [];
  let token: string | undefined;
  do {
    if (token) q.set("continuationToken", token);
    const page = parseAnswer(
      CampaignListPageSchema,
      await callApi(f, "GET", `/api/audit/campaigns?${q.toString()}`),
      "the list of campaigns",
    );
    rows.push(...page.campaigns);
    token = page.continuationToken ?? undefined;
  } while (token);
  print(
    f.json,
    rows,
    rows.length === 0
      ? "No campaign recorded in that period."
      : formatTable(
          ["campaign", "target", "status", "started", "by"],
          rows.map((r) => [
            r.campaignId,
            describeListedTarget(r),
            r.status,
            listedTimeCell(r.startedAt ?? r.requestedAt, r.clock),
            r.requestedBy ?? "",
          ]),
          undefined,
          // The campaign id and its time are copied into the next command: never cut.
          [0, 3],
        ) + (rows.some((r) => r.clock === "simulated") ? `\n${SIMULATED_LIST_NOTE}` : ""),
  );
  return { exitCode: 0 };
}
