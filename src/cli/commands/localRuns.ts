/** status | approve | cancel | audit --state DIR: the run `port25 run` keeps in a state folder, as the app's API shows its runs. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { camelKeys, parseFlags, parseFlagValues, UsageError } from "../args";
import { defaultStateDir, openState, readRunRecord, StateInUseError, type RunRecord } from "../runState";
import { isLiveOn, progressOf, raiseApprove, raiseCancel } from "../localRun";
import { fullRecord } from "../localRecords";
import { describe } from "../progress";
import { renderSummary } from "../render";
import { displayPath, FAILING_STATUSES } from "../invocation";
import { renderRunReport } from "../../audit/report";
import { ProgressSchema } from "../../contracts/remediation";
import type { AuditedRun } from "../../contracts/audit";
import type { CommandResult } from "../command";
import { Port25Error } from "../../errors";

const Flags = z
  .object({
    state: z.string().min(1),
    json: z.boolean().default(false),
    run: z.string().min(1).optional(),
    html: z.string().min(1).optional(),
  })
  .strict();

/** Whether the command was given --state (then it acts on a local run, not on the deployed app). */
export function wantsLocal(argv: readonly string[]): boolean {
  return argv.some((a) => a === "--state" || a.startsWith("--state="));
}

/** The error of a status, approve, cancel or audit given neither --app nor --state: both forms, and the folder here. */
export function neitherAppNorState(): string {
  const here = existsSync(join(defaultStateDir(), "run.json"));
  return (
    "--app URL or --state DIR: give one: --app for the deployed app (or the address `port25 serve` prints), " +
    `--state for the run \`port25 run\` keeps in a folder${here ? " (.port25 here holds one: --state .port25)" : ""}`
  );
}

/** One line for an audited run: its status and message (a sentence, its full stop dropped before the count). */
export function auditedRunLine(audited: Pick<AuditedRun, "run" | "outcomes">): string {
  const s = audited.run.summary;
  const message = s ? ` — ${s.message.replace(/\.$/, "")}` : "";
  return `Run ${audited.run.runId} of ${audited.run.subscriptionId}: ${s?.status ?? "in progress"}${message}; ${audited.outcomes.length} outcomes recorded`;
}

function recordOf(dir: string): RunRecord {
  const record = readRunRecord(dir);
  if (record === undefined)
    throw new UsageError(`--state ${dir}: no run was started there (port25 run --state ${dir} starts one)`);
  return record;
}

const who = (): string => `${userInfo().username}@${hostname()} (port25)`;

const ProgressFileSchema = z.object({
  instanceId: z.string(),
  pid: z.number(),
  at: z.string(),
  progress: ProgressSchema,
});

export async function localCommand(
  argv: string[],
  verb: "status" | "approve" | "cancel" | "audit",
): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    state: { type: "string" },
    json: { type: "boolean" },
    ...(verb === "audit" ? { run: { type: "string" }, html: { type: "string" } } : {}),
  });
  const f = parseFlagValues(Flags, camelKeys(values));
  const dir = resolve(f.state);
  const record = recordOf(dir);
  let state;
  try {
    state = await openState(dir, {
      command: `port25 ${verb} --state ${dir}`,
      audit: verb === "audit",
      ...(verb === "audit" ? { settings: {} } : {}),
    });
  } catch (e) {
    // A run in progress holds the folder: status reads what it last wrote; the others need it paused first.
    if (!(e instanceof StateInUseError)) throw e;
    const file = join(dir, "progress.json");
    if (verb === "status" && existsSync(file)) {
      const p = ProgressFileSchema.parse(JSON.parse(readFileSync(file, "utf8")));
      const text = `${p.instanceId}: Running in process ${p.pid} (as of ${p.at}) — ${describe(p.progress)}`;
      process.stdout.write(
        f.json
          ? `${JSON.stringify({ instanceId: p.instanceId, runtimeStatus: "Running", progress: p.progress, asOf: p.at })}\n`
          : `${text}\n`,
      );
      return { exitCode: 0 };
    }
    throw new Error(
      `${e.message}${verb === "status" ? "" : `; ${verb} acts on a paused run: press Ctrl+C in that terminal first`}`,
      { cause: e },
    );
  }
  try {
    const { host } = state;
    const id = record.instanceId;
    const status = host.getStatus(id);
    if (status === undefined)
      throw new Error(
        `${displayPath(dir)}: the durable state has no instance ${id} (run.json names it; was durable/ removed?)`,
      );
    if (verb === "approve" || verb === "cancel") {
      // Not a usage error: the request was right and the run is over. Exit 1, as the app's API answers it (409
      // NotRunning, src/functions/instances.ts) to `approve|cancel --app` (docs/cli.md, exit codes).
      if (!isLiveOn(host, id))
        throw new Port25Error(`NotRunning: run ${id} has ended (${status.runtimeStatus}): nothing to ${verb}`, {
          code: "NotRunning",
        });
      if (verb === "approve") raiseApprove(host, id, who());
      else raiseCancel(host, id, who());
      // The event is stored with the instance; the run acts on it when it runs again.
      process.stdout.write(
        `${verb === "approve" ? "Approved" : "Cancellation requested for"} ${id}. Run the same command again to let it ${verb === "approve" ? "go on" : "finish cancelling (it brings back every resource it took down)"}:\n  ${record.command}\n`,
      );
      return { exitCode: 0 };
    }
    if (verb === "status") {
      const live = isLiveOn(host, id);
      const p = progressOf(host, id);
      if (live || status.runtimeStatus !== "Completed") {
        const text = `${id}: ${status.runtimeStatus}${live ? " (paused: no process runs it)" : ""}${p ? ` — ${describe(p)}` : ""}${live ? `\nResume it with:\n  ${record.command}` : ""}`;
        process.stdout.write(
          f.json
            ? `${JSON.stringify({ instanceId: id, runtimeStatus: status.runtimeStatus, progress: p ?? null, command: record.command })}\n`
            : `${text}\n`,
        );
        return { exitCode: live ? 0 : 1 };
      }
      const result = fullRecord(status, (lane) => host.getStatus(lane));
      process.stdout.write(
        f.json
          ? `${JSON.stringify({ instanceId: id, runtimeStatus: status.runtimeStatus, summary: result.summary })}\n`
          : `${renderSummary(result)}\n`,
      );
      return {
        exitCode: FAILING_STATUSES.includes(result.summary.status) || (result.summary.counts.leftDown ?? 0) > 0 ? 1 : 0,
      };
    }
    const runId = f.run ?? record.runId;
    const audited = await state.deps?.auditStore?.getRun(runId);
    if (audited === undefined) throw new Error(`${displayPath(dir)}: the audit has no run ${runId}`);
    if (f.html !== undefined) {
      const path = resolve(f.html);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, renderRunReport(audited));
    }
    process.stdout.write(
      f.json
        ? `${JSON.stringify(audited)}\n`
        : `${auditedRunLine(audited)}${f.html === undefined ? "" : `\nReport: ${displayPath(resolve(f.html))}`}\n`,
    );
    return { exitCode: 0 };
  } finally {
    await state.close();
  }
}
