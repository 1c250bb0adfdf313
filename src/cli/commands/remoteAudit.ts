/** audit: the deployed app's audited runs and campaigns, a run's record and report, and the ledger's verification. */
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { AuditVerificationSchema } from "../../audit/ledger";
import { camelKeys, environment, parseFlags, parseFlagValues, UsageError } from "../args";
import { callApi, RemoteFlagsSchema, type RemoteOptions } from "../remoteClient";
import { formatTable } from "../table";
import { CampaignIdSchema, CampaignListPageSchema, CampaignAuditSchema, type CampaignRow } from "../campaignApi";
import { describeListedTarget, renderCampaignRecord } from "../campaignRender";
import { SubscriptionIdSchema } from "../../contracts/ids";
import { CAMPAIGN_INSTANCE_PREFIX, campaignIdOf } from "../../contracts/campaign";
import { ClockKindSchema } from "../../contracts/clock";
import { listedTimeCell, renderAuditedRun, renderRunList, SIMULATED_LIST_NOTE } from "../auditRender";
import { AuditedRunSchema } from "../../contracts/audit";
import type { CommandResult } from "../command";
import { commandLine, fitProse, parseAnswer, print, remoteOptions } from "./remote";

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
