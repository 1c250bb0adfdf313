/** start | status | approve | cancel | audit: the deployed app's HTTP API from the command line. */
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { camelKeys, parseFlags, parseFlagValues, type OptionSpec } from "../args";
import { callApi, RemoteFlagsSchema } from "../remoteClient";
import { createProgressSink } from "../progress";
import { FAILING_STATUSES } from "../invocation";
import { formatTable } from "../table";
import { ProgressSchema, RemediationSummarySchema } from "../../contracts/remediation";
import { RemediationOptionsSchema, RunningVmCycleSchema } from "../../contracts/options";
import { SubscriptionIdSchema } from "../../contracts/ids";
import type { CommandResult } from "../command";

const remoteOptions: OptionSpec = {
  app: { type: "string" },
  key: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const StatusBodySchema = z.object({
  instanceId: z.string(),
  runtimeStatus: z.string(),
  progress: ProgressSchema.nullable(),
  summary: RemediationSummarySchema.nullable(),
});

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

export async function startCommand(argv: string[]): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    ...remoteOptions,
    subscription: { type: "string" },
    "attestation-ref": { type: "string" },
    "approved-by": { type: "string" },
    "approved-at": { type: "string" },
    mode: { type: "string" },
    "require-approval": { type: "boolean" },
    "max-concurrency": { type: "string" },
    "running-vm-cycle": { type: "string" },
    "attestation-only": { type: "boolean" },
  });
  const f = parseFlagValues(
    RemoteFlagsSchema.extend({
      subscription: SubscriptionIdSchema,
      attestationRef: z.string().min(3),
      approvedBy: z.string().min(1),
      approvedAt: z.iso.datetime({ offset: true }),
      mode: z.enum(["plan", "execute"]).default("execute"),
      requireApproval: z.boolean().default(false),
      maxConcurrency: z.coerce.number().int().min(1).max(1000).optional(),
      runningVmCycle: RunningVmCycleSchema.optional(),
      attestationOnly: z.boolean().default(false),
      json: z.boolean().default(false),
      help: z.boolean().optional(),
    }),
    camelKeys(values),
  );
  const options = RemediationOptionsSchema.parse({
    ...(f.maxConcurrency === undefined ? {} : { maxConcurrency: f.maxConcurrency }),
    ...(f.runningVmCycle === undefined ? {} : { runningVmCycle: f.runningVmCycle }),
    verification: f.attestationOnly ? "attestationOnly" : "canaryProbe",
  });
  const body = {
    subscriptionId: f.subscription,
    attestation: { reference: f.attestationRef, approvedBy: f.approvedBy, approvedAt: f.approvedAt },
    mode: f.mode,
    requireApproval: f.requireApproval,
    options,
  };
  const res = await callApi(f, "POST", "/api/remediations", body);
  const parsed = z.object({ instanceId: z.string(), runId: z.string(), statusUrl: z.string() }).parse(res);
  print(f.json, res, `Started run ${parsed.runId} (instance ${parsed.instanceId})\nStatus: ${parsed.statusUrl}`);
  return { exitCode: 0 };
}

const IdFlags = RemoteFlagsSchema.extend({
  id: z.string().min(1),
  json: z.boolean().default(false),
  watch: z.boolean().default(false),
  help: z.boolean().optional(),
});

export async function statusCommand(argv: string[], sleep: (ms: number) => Promise<void>): Promise<CommandResult> {
  const { values } = parseFlags(argv, { ...remoteOptions, id: { type: "string" }, watch: { type: "boolean" } });
  const f = parseFlagValues(IdFlags, camelKeys(values));
  const sink = createProgressSink(process.stderr, f.watch);
  for (;;) {
    const body = StatusBodySchema.parse(await callApi(f, "GET", `/api/remediations/${encodeURIComponent(f.id)}`));
    if (body.progress) sink.update(body.progress);
    const live = body.runtimeStatus === "Running" || body.runtimeStatus === "Pending";
    if (!f.watch || !live) {
      const s = body.summary;
      if (s) sink.finish(s);
      sink.done();
      const text = s
        ? `${body.instanceId}: ${body.runtimeStatus}, run ${s.runId} ${s.status} — ${s.message}\n` +
          formatTable(
            ["outcome", "count"],
            [["cycled", s.counts.cycled], ["skipped", s.counts.skipped], ["failed", s.counts.failed], ...((s.counts.leftDown ?? 0) > 0 ? [["of which LEFT DOWN", s.counts.leftDown ?? 0] as [string, number]] : [])],
          ) +
          (s.leftDown ?? []).map((d) => `\nLEFT DOWN ${d.resourceGroup}/${d.name}: ${d.state} — ${d.reason}\n  manual action: ${d.manualAction}`).join("")
        : `${body.instanceId}: ${body.runtimeStatus}${body.progress ? ` (${body.progress.phase})` : ""}`;
      print(f.json, body, text);
      const failed = s !== null && (FAILING_STATUSES.includes(s.status) || (s.counts.leftDown ?? 0) > 0);
      return { exitCode: failed || body.runtimeStatus === "Failed" ? 1 : 0 };
    }
    await sleep(5000);
  }
}

export async function eventCommand(argv: string[], action: "approve" | "cancel"): Promise<CommandResult> {
  const { values } = parseFlags(argv, { ...remoteOptions, id: { type: "string" } });
  const f = parseFlagValues(IdFlags, camelKeys(values));
  const res = await callApi(f, "POST", `/api/remediations/${encodeURIComponent(f.id)}/${action}`);
  print(f.json, res, action === "approve" ? `Approved ${f.id}` : `Cancellation requested for ${f.id}`);
  return { exitCode: 0 };
}

const RunRowSchema = z
  .object({ runId: z.string(), subscriptionId: z.string(), status: z.string(), startedAt: z.string().optional(), requestedBy: z.string().optional() })
  .loose();

export async function auditCommand(argv: string[]): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    ...remoteOptions,
    subscription: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    run: { type: "string" },
    html: { type: "string" },
  });
  const f = parseFlagValues(
    RemoteFlagsSchema.extend({
      subscription: SubscriptionIdSchema.optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      run: z.string().min(1).optional(),
      html: z.string().min(1).optional(),
      json: z.boolean().default(false),
      help: z.boolean().optional(),
    }),
    camelKeys(values),
  );
  if (f.run) {
    if (f.html) {
      const page = await callApi(f, "GET", `/api/audit/runs/${encodeURIComponent(f.run)}?format=html`);
      writeFileSync(f.html, typeof page === "string" ? page : JSON.stringify(page));
      process.stdout.write(`Report written to ${f.html}\n`);
      return { exitCode: 0 };
    }
    const run = await callApi(f, "GET", `/api/audit/runs/${encodeURIComponent(f.run)}`);
    print(true, run, "");
    return { exitCode: 0 };
  }
  const q = new URLSearchParams();
  if (f.subscription) q.set("subscriptionId", f.subscription);
  if (f.from) q.set("from", f.from);
  if (f.to) q.set("to", f.to);
  const rows: z.output<typeof RunRowSchema>[] = [];
  let token: string | undefined;
  do {
    if (token) q.set("continuationToken", token);
    const page = z
      .object({ runs: z.array(RunRowSchema), continuationToken: z.string().optional().nullable() })
      .parse(await callApi(f, "GET", `/api/audit/runs?${q.toString()}`));
    rows.push(...page.runs);
    token = page.continuationToken ?? undefined;
  } while (token);
  print(
    f.json,
    rows,
    formatTable(
      ["run", "subscription", "status", "started", "by"],
      rows.map((r) => [r.runId, r.subscriptionId, r.status, r.startedAt ?? "", r.requestedBy ?? ""]),
    ),
  );
  return { exitCode: 0 };
}
