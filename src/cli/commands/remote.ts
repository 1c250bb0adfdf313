/**
 * status | approve | cancel: the deployed app's HTTP API from the command line, for runs and campaigns, and what the
 * remote commands share (remoteStart.ts, remoteAudit.ts).
 */
import { z } from "zod";
import { camelKeys, environment, parseFlags, parseFlagValues, UsageError, type OptionSpec } from "../args";
import { callApi, RemoteFlagsSchema, type RemoteOptions } from "../remoteClient";
import { createLineSink, createProgressSink, describe } from "../progress";
import { FAILING_STATUSES, invocation, shellQuote } from "../invocation";
import { fitLines, formatTable } from "../table";
import {
  CampaignApprovedSchema,
  CampaignCancelledSchema,
  CampaignIdSchema,
  CampaignStatusBodySchema,
  isCampaignInstanceId,
} from "../campaignApi";
import {
  describeCampaignEnd,
  describeCampaignProgress,
  renderApproved,
  renderCampaignStatus,
  renderCancelled,
  type CommandLine,
} from "../campaignRender";
import { ProgressSchema, RemediationSummarySchema } from "../../contracts/remediation";
import { SubscriptionIdSchema } from "../../contracts/ids";
import { campaignInstanceId, CAMPAIGN_INSTANCE_PREFIX, campaignIdOf } from "../../contracts/campaign";
import { ClockKindSchema } from "../../contracts/clock";
import { SIMULATED_TIMES_NOTE, timeCell } from "../auditRender";
import type { CommandResult } from "../command";

export const remoteOptions: OptionSpec = {
  app: { type: "string" },
  key: { type: "string" },
  token: { type: "string" },
  user: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

export const StatusBodySchema = z.object({
  clock: ClockKindSchema.optional(),
  instanceId: z.string(),
  runtimeStatus: z.string(),
  progress: ProgressSchema.nullable(),
  summary: RemediationSummarySchema.nullable(),
});

export function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

/** An answer of the app read with its schema: one of another shape is an error (exit 1) naming the field. */
export function parseAnswer<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
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
export function commandLine(f: RemoteOptions): CommandLine {
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
export function withoutUser(f: RemoteOptions): RemoteOptions {
  const { user: _user, ...rest } = f;
  return rest;
}

/** Wraps prose to the terminal, never a command line: those are pasted, and a wrapped one breaks. */
export function fitProse(text: string): string {
  const prefix = invocation();
  return fitLines(text, undefined, (line) => line.trimStart().startsWith(prefix));
}

/** The flags of which exactly one must be given; the error names them all. */
export function exactlyOne(values: Record<string, unknown>, flags: readonly string[], hint: string): string {
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
        : liveRunText(body, f);
      print(f.json, body, text);
      const failed = s !== null && (FAILING_STATUSES.includes(s.status) || (s.counts.leftDown ?? 0) > 0);
      return { exitCode: failed || body.runtimeStatus === "Failed" ? 1 : 0 };
    }
    await sleep(5000);
  }
}

/**
 * A run without a summary yet: its phase and counts, and, while it waits at the approval gate, the command a second
 * person approves it with (the phase name alone, "approve", reads as an instruction to the one who started it).
 */
function liveRunText(body: z.output<typeof StatusBodySchema>, f: RemoteOptions): string {
  const p = body.progress;
  if (p === null) return `${body.instanceId}: ${body.runtimeStatus}`;
  if (p.phase !== "approve") return `${body.instanceId}: ${body.runtimeStatus} — ${describe(p)}`;
  return fitProse(
    `${body.instanceId}: ${body.runtimeStatus}, waiting for approval of its plan (${p.counts.total} resources). ` +
      "To approve it (as someone other than its starter, unless it was started with --allow-self-approval), or to " +
      "cancel it:\n" +
      `  ${commandLine(withoutUser(f))(`approve --id ${body.instanceId}`)}\n` +
      `  ${commandLine(f)(`cancel --id ${body.instanceId}`)}`,
  );
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
