/** Text renderings of the audit for `port25 audit`: the run listing and one run's record, read by a person. */
import type { AuditedRun } from "../contracts/audit";
import type { ClockKind } from "../contracts/clock";
import type { ReasonCode } from "../contracts/outcome";
import type { AuditVerification } from "../audit/ledger";
import { REASON_LABELS } from "../audit/report";
import { plural } from "../contracts/plural";
import { formatTable } from "./table";

/**
 * A time as the audit tables show it: ISO 8601 to the second (the form --from and --to take, so a cell can be pasted
 * back), never wrapped. Text that is not a time is shown as it is.
 */
export function timeCell(iso: string | undefined): string {
  if (iso === undefined || iso === "") return "";
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

/**
 * A time cell of a listing: the time, marked `*` when a simulation's virtual clock stamped it (SIMULATED_LIST_NOTE
 * under the table says so). A double-click selects the time without the mark.
 */
export function listedTimeCell(iso: string | undefined, clock: ClockKind | undefined): string {
  const cell = timeCell(iso);
  return cell !== "" && clock === "simulated" ? `${cell}*` : cell;
}

/** Under a listing with simulated times. */
export const SIMULATED_LIST_NOTE =
  "* simulated: on the simulation's virtual clock (port25 serve or simulate), consistent with each other, not with the calendar.";

/** Said under a table or record whose times include a simulation's. */
export const SIMULATED_TIMES_NOTE =
  "(simulated): times on the simulation's virtual clock (port25 serve or simulate), consistent with each other, not with the calendar.";

interface RunRow {
  runId: string;
  subscriptionId: string;
  status: string;
  requestedAt?: string | undefined;
  startedAt?: string | undefined;
  requestedBy?: string | undefined;
  clock?: ClockKind | undefined;
}

/**
 * The run listing: run ids, subscription ids and times are never cut or wrapped (a user copies them into the next
 * command); the status and the starter wrap when the terminal is narrow. A run still running has no start in its
 * summary yet: its request time stands in.
 */
export function renderRunList(rows: readonly RunRow[], maxWidth?: number): string {
  if (rows.length === 0) return "No run recorded in that period.";
  const table = formatTable(
    ["run", "subscription", "started", "status", "by"],
    rows.map((r) => [
      r.runId,
      r.subscriptionId,
      listedTimeCell(r.startedAt ?? r.requestedAt, r.clock),
      r.status,
      r.requestedBy ?? "",
    ]),
    maxWidth,
    [0, 1, 2],
  );
  return rows.some((r) => r.clock === "simulated") ? `${table}\n${SIMULATED_LIST_NOTE}` : table;
}

function reasonLabel(reason: string): string {
  return reason in REASON_LABELS ? `${reason}: ${REASON_LABELS[reason as ReasonCode]}` : reason;
}

/**
 * `audit --run ID`: what the run did, for a person — who asked and who approved when, the outcomes by reason, what
 * it left down and the manual action for each, and whether the audit's chain holding the record is whole.
 */
export function renderAuditedRun(
  audited: AuditedRun,
  verification: AuditVerification | undefined,
  reportCommand: string,
): string {
  const r = audited.run;
  const s = r.summary;
  const simulated = r.clock === "simulated";
  const out: string[] = [
    `Run ${r.runId} of subscription ${r.subscriptionId}: ${r.status}${s !== undefined ? ` — ${s.message}` : ""}`,
    `Requested by ${r.requestedBy} at ${timeCell(r.requestedAt)} (mode ${r.mode}; exemption ${r.attestation.reference}, approved by ${r.attestation.approvedBy} at ${timeCell(r.attestation.approvedAt)})`,
  ];
  if (s?.approval !== undefined) {
    out.push(
      `Approved by ${s.approval.by} at ${timeCell(s.approval.at)}${s.approval.selfApproval === true ? " (self-approval, allowed by the run)" : ""}${s.approval.unverified === true ? " (unverified: authentication was off)" : ""}`,
    );
  }
  if (s !== undefined) out.push(`Started ${timeCell(s.startedAt)}, ended ${timeCell(s.endedAt)}`);
  if (s?.cancellation !== undefined) out.push(`Cancelled by ${s.cancellation.by} at ${timeCell(s.cancellation.at)}`);
  if (simulated) out.push(`Times ${SIMULATED_TIMES_NOTE}`);

  const outcomes = audited.outcomes;
  if (outcomes.length === 0) {
    out.push(
      "",
      s === undefined ? "No resource outcome recorded yet: the run has not ended." : "No resource was acted on.",
    );
  } else {
    const groups = new Map<string, { outcome: string; reason: string; count: number }>();
    for (const o of outcomes) {
      const reason = o.reasonCode ?? (o.outcome === "cycled" ? "" : "unspecified");
      const key = `${o.outcome}|${reason}`;
      const g = groups.get(key) ?? { outcome: o.outcome, reason, count: 0 };
      g.count += 1;
      groups.set(key, g);
    }
    const order = ["failed", "skipped", "cycled"];
    const rows = [...groups.values()].sort(
      (a, b) =>
        order.indexOf(a.outcome) - order.indexOf(b.outcome) || b.count - a.count || a.reason.localeCompare(b.reason),
    );
    const count = (k: string): number => outcomes.filter((o) => o.outcome === k).length;
    out.push(
      "",
      `Outcomes of ${plural(outcomes.length, "resource")}: cycled ${count("cycled")}, skipped ${count("skipped")}, failed ${count("failed")}`,
      formatTable(
        ["outcome", "reason", "resources"],
        rows.map((g) => [g.outcome, g.reason === "" ? "—" : reasonLabel(g.reason), g.count]),
      ),
    );
  }

  const down = outcomes.filter((o) => o.leftDown !== undefined);
  out.push("");
  if (down.length === 0) {
    out.push("Left down: none (every resource the run took down is as it was, or cycled).");
  } else {
    out.push(
      `LEFT DOWN: ${plural(down.length, "resource")} the run took down and could not bring back — manual actions:`,
    );
    for (const o of down) {
      out.push(
        `  ${o.resourceGroup}/${o.name} (${o.kind}): ${o.leftDown?.state ?? "?"} — ${o.leftDown?.reason ?? ""}`,
        `    manual action: ${o.leftDown?.manualAction ?? ""}`,
      );
    }
  }

  out.push("");
  if (verification === undefined) {
    out.push("Ledger: not checked.");
  } else if (verification.ok) {
    out.push(
      `Ledger: whole — ${plural(verification.records, "record")} of subscription ${r.subscriptionId} chained, every link and record as written.`,
    );
  } else {
    out.push(
      `Ledger: TAMPERED — ${plural(verification.problems.length, "problem")}:`,
      ...verification.problems.map(
        (p) => `  ${p.problem} in ${p.chain}${p.seq === undefined ? "" : ` #${p.seq}`}: ${p.detail}`,
      ),
    );
  }
  out.push("", "Report:", `  ${reportCommand}`);
  return out.join("\n");
}
