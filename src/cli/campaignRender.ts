/** Text renderings of a campaign: its status (a row per subscription and the totals), approvals and cancellations. */
import type {
  CampaignMember,
  CampaignSummary,
  CampaignTarget,
  CampaignTotals,
  MemberState,
} from "../contracts/campaign";
import type {
  CampaignApproved,
  CampaignAudit,
  CampaignCancelled,
  CampaignRow,
  CampaignStatusBody,
  StatusMember,
} from "./campaignApi";
import { plural } from "../contracts/plural";
import { formatTable } from "./table";

/** States of a subscription whose part in the campaign is over (the others are pending or running). */
const SETTLED: readonly MemberState[] = [
  "notExemptible",
  "nothingToDo",
  "alreadyRunning",
  "done",
  "cancelled",
  "failed",
];

/** "management group mg-dev", "3 subscriptions". */
export function describeTarget(target: CampaignTarget): string {
  return target.kind === "managementGroup"
    ? `management group ${target.managementGroupId}`
    : plural(target.subscriptionIds.length, "subscription");
}

/** "done 2, running 1, notExemptible 1": the states that have subscriptions, in the contract's order. */
function describeStates(totals: CampaignTotals): string {
  const parts = Object.entries(totals.byState)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${state} ${n}`);
  return parts.join(", ") || "none yet";
}

/** "cycled 56, skipped 9, failed 0" (and LEFT DOWN when any). */
function describeResources(totals: CampaignTotals): string {
  const r = totals.resources;
  return `cycled ${r.cycled}, skipped ${r.skipped}, failed ${r.failed}${(r.leftDown ?? 0) > 0 ? `, LEFT DOWN ${r.leftDown ?? 0}` : ""} of ${r.total}`;
}

/** The progress line `status --watch` redraws: the campaign's phase, subscriptions settled, resources. */
export function describeCampaignProgress(body: Pick<CampaignStatusBody, "phase" | "totals" | "message">): {
  text: string;
  fraction: number;
} {
  const settled = SETTLED.reduce((n, s) => n + (body.totals.byState[s] ?? 0), 0);
  const total = body.totals.subscriptions;
  const text =
    `${body.phase}: ${settled}/${total} subscriptions settled (${describeStates(body.totals)}); ` +
    `resources ${describeResources(body.totals)}${body.message ? ` — ${body.message}` : ""}`;
  return { text, fraction: total === 0 ? 0 : settled / total };
}

/** The last line of `status --watch`, from the campaign's summary. */
export function describeCampaignEnd(summary: CampaignSummary): { text: string; fraction: number } {
  return {
    text: `${summary.status}: ${plural(summary.totals.subscriptions, "subscription")}; resources ${describeResources(summary.totals)}`,
    fraction: 1,
  };
}

/** Said wherever a simulated campaign's times are shown. */
const SIMULATED_CLOCK =
  "Simulated: its times are the simulation's virtual clock (port25 serve or simulate), consistent with each other, not with the calendar.";

/** A port25 command line as the user can paste it (the invocation and --app prefixed to the arguments). */
export type CommandLine = (args: string) => string;

/**
 * Where the subscription stands, in one short cell: its run's status once it ended, its run's phase while it runs
 * ("awaiting approval" when it waits for someone), its state otherwise.
 */
function stateColumn(m: StatusMember): string {
  if (m.runStatus !== undefined) return m.runStatus;
  if (m.state !== "running") return m.state;
  return m.phase === "approve" ? "awaiting approval" : `running (${m.phase ?? "starting"})`;
}

/** Why a subscription was left alone or what went wrong; for alreadyRunning, the live run to follow instead. */
function reasonOf(m: CampaignMember): string | undefined {
  const reason = m.reason ?? "";
  if (m.state === "alreadyRunning")
    return `${reason}${m.runInstanceId !== undefined ? `${reason ? " " : ""}(live run ${m.runInstanceId})` : ""}`;
  if (reason === "") return undefined;
  return m.category !== undefined && m.state === "notExemptible" ? `${m.category}: ${reason}` : reason;
}

/**
 * A row per subscription (its id and state never cut: the id is what --subscription takes), "down" counting the
 * resources its run left down; then why each subscription left alone (or failed) was, one line each: reasons are
 * sentences, too long for a column.
 */
export function renderMembers(members: readonly StatusMember[], maxWidth?: number): string {
  const table = formatTable(
    ["name", "id", "state", "cycled", "skipped", "failed", "down"],
    members.map((m) => [
      m.displayName ?? "",
      m.subscriptionId,
      stateColumn(m),
      m.counts?.cycled ?? "",
      m.counts?.skipped ?? "",
      m.counts?.failed ?? "",
      m.counts === undefined ? "" : (m.counts.leftDown ?? 0),
    ]),
    maxWidth,
    [1, 2],
  );
  const reasons = members.flatMap((m) => {
    const r = reasonOf(m);
    return r === undefined
      ? []
      : [
          `  ${m.displayName ?? m.subscriptionId}${m.displayName !== undefined ? ` (${m.subscriptionId})` : ""}, ${m.state}: ${r}`,
        ];
  });
  return reasons.length > 0 ? `${table}\n\nLeft alone or failed, and why:\n${reasons.join("\n")}` : table;
}

/** The subscriptions whose runs left resources down: printed first, since each needs an operator now. */
function leftDownLines(members: readonly CampaignMember[], command: CommandLine): string[] {
  const down = members.filter((m) => (m.counts?.leftDown ?? 0) > 0);
  if (down.length === 0) return [];
  return [
    `LEFT DOWN: ${down.length} subscription(s) have resources their run took down and could not bring back — act on each:`,
    ...down.map(
      (m) =>
        `  LEFT DOWN ${m.counts?.leftDown ?? 0} in ${m.displayName ?? m.subscriptionId} (${m.subscriptionId})` +
        `${m.runInstanceId !== undefined ? `; this lists them with the manual action:\n  ${command(`status --id ${m.runInstanceId}`)}` : ""}`,
    ),
  ];
}

/** `status` of a campaign: the heading, the left-down subscriptions, a row per subscription, the totals. */
export function renderCampaignStatus(body: CampaignStatusBody, command: CommandLine): string {
  const s = body.summary;
  const members: readonly StatusMember[] = body.members.length > 0 || s === null ? body.members : s.members;
  const totals = s?.totals ?? body.totals;
  const heading = s
    ? `Campaign ${body.campaignId} (${body.instanceId}): ${s.status} — ${s.message}`
    : `Campaign ${body.campaignId} (${body.instanceId}): ${body.runtimeStatus}, phase ${body.phase}${body.cancelRequested === true ? ", cancellation requested" : ""}` +
      `${body.message ? ` — ${body.message}` : ""}${body.failure ? ` — failed: ${body.failure}` : ""}`;
  const leftDown = leftDownLines(members, command);
  const out = [
    heading,
    ...(body.clock === "simulated" ? [SIMULATED_CLOCK] : []),
    ...(leftDown.length > 0 ? ["", ...leftDown] : []),
    "",
  ];
  out.push(members.length > 0 ? renderMembers(members) : "No subscriptions listed yet.");
  out.push(
    "",
    `Subscriptions: ${totals.subscriptions} — ${describeStates(totals)}`,
    `Resources: ${describeResources(totals)}`,
  );
  if (s?.cancellation) out.push(`Cancelled by ${s.cancellation.by} at ${s.cancellation.at}`);
  for (const w of s?.warnings ?? []) out.push(`Warning: ${w}`);
  const waiting = members.filter((m) => m.state === "running" && m.phase === "approve").length;
  if (waiting > 0) {
    out.push(
      "",
      `${plural(waiting, "subscription")} wait for approval; this releases them all (add --subscription S for one):`,
      `  ${command(`approve --id ${body.instanceId}`)}`,
    );
  }
  // The report's URL needs the function key, which a browser does not send: the command saves it to a file instead.
  if (s)
    out.push(
      "",
      "Report:",
      `  ${command(`audit --campaign ${body.campaignId} --html campaign-${body.campaignId}.html`)}`,
    );
  return out.join("\n");
}

/** `approve` of a campaign: what was approved, what was not waiting, what was refused and why. */
export function renderApproved(a: CampaignApproved): string {
  const out: string[] = [];
  if (a.approved.length > 0)
    out.push(
      `Approved ${plural(a.approved.length, "subscription")}${a.approvedBy !== undefined ? ` as ${a.approvedBy}` : ""}:`,
      ...a.approved.map((x) => `  ${x.subscriptionId}: run ${x.runInstanceId}`),
    );
  if (a.notWaiting.length > 0) {
    out.push(
      `Not waiting for approval (${a.notWaiting.length}):`,
      ...a.notWaiting.map(
        (x) => `  ${x.subscriptionId}: ${x.state}${x.phase !== undefined ? `, phase ${x.phase}` : ""}`,
      ),
    );
  }
  if (a.refused.length > 0)
    out.push(
      `Refused (${a.refused.length}):`,
      ...a.refused.map((x) => `  ${x.subscriptionId}: ${x.code} — ${x.message}`),
    );
  if (a.approved.length === 0) out.push(`Nothing approved: no subscription of ${a.instanceId} was released.`);
  return out.join("\n");
}

/** `cancel` of a campaign: who, when, the runs signalled and the subscriptions that will not start. */
export function renderCancelled(c: CampaignCancelled): string {
  return [
    `Cancellation of ${c.instanceId} requested by ${c.cancelledBy}${c.unverified === true ? " (unverified: authentication is off)" : ""} at ${c.cancelledAt}.`,
    c.runsSignalled.length > 0
      ? `Runs signalled to stop gracefully (${c.runsSignalled.length}; no VM is left half-cycled): ${c.runsSignalled.join(", ")}`
      : "No run was in flight.",
    c.pendingCancelled.length > 0
      ? `Subscriptions cancelled before their run started (${c.pendingCancelled.length}): ${c.pendingCancelled.join(", ")}`
      : "No subscription was waiting for its turn.",
  ].join("\n");
}

/** `audit --campaign`: the campaign's record, a row per subscription, and each run's report. */
export function renderCampaignRecord(campaignId: string, record: CampaignAudit, command: CommandLine): string {
  const s = record.summary;
  if (!s) {
    const i = record.input;
    return i
      ? `Campaign ${campaignId} on ${describeTarget(i.target)}: ${record.status ?? "running"}; started ${i.run.requestedAt} by ${i.run.requestedBy} (mode ${i.run.mode}); no summary until it ends.`
      : `Campaign ${campaignId}: recorded without a summary yet.`;
  }
  const out = [
    `Campaign ${s.campaignId} on ${describeTarget(s.target)}: ${s.status} — ${s.message}`,
    `Mode ${s.mode}; started ${s.startedAt} by ${s.requestedBy}; ended ${s.endedAt}`,
    ...(record.input?.run.clock === "simulated" ? [SIMULATED_CLOCK] : []),
  ];
  const leftDown = s.members.filter((m) => (m.counts?.leftDown ?? 0) > 0);
  if (leftDown.length > 0) {
    out.push(
      ...leftDown.map(
        (m) =>
          `LEFT DOWN ${m.counts?.leftDown ?? 0} in ${m.displayName ?? m.subscriptionId} (${m.subscriptionId}), run ${m.runId ?? "?"}: its report lists them with the manual action`,
      ),
    );
  }
  out.push(
    "",
    renderMembers(s.members),
    "",
    `Subscriptions: ${s.totals.subscriptions} — ${describeStates(s.totals)}`,
    `Resources: ${describeResources(s.totals)}`,
  );
  if (s.cancellation) out.push(`Cancelled by ${s.cancellation.by} at ${s.cancellation.at}`);
  for (const w of s.warnings) out.push(`Warning: ${w}`);
  // Each run's report as the command that saves it: its URL needs the function key, which a browser does not send.
  const runs = record.runs ?? [];
  if (runs.length > 0)
    out.push(
      "",
      "Run reports:",
      ...runs.flatMap((r) => [
        `  # ${r.subscriptionId}`,
        `  ${command(`audit --run ${r.runId} --html run-${r.runId}.html`)}`,
      ]),
    );
  return out.join("\n");
}

/** The target column of the campaign listing: the group, or how many subscriptions. */
export function describeListedTarget(row: CampaignRow): string {
  if (row.target === "managementGroup")
    return `management group ${row.managementGroupId ?? "?"}${row.subscriptions !== undefined ? ` (${plural(row.subscriptions, "subscription")})` : ""}`;
  if (row.target === "subscriptions")
    return row.subscriptions !== undefined ? plural(row.subscriptions, "subscription") : "subscriptions";
  return "";
}
