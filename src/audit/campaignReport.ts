/**
 * The HTML report of one audited campaign: one self-contained page in the run report's look (its CSS, no script, no
 * external asset), with a row and a link for every subscription's run. Every value is HTML-escaped: display names,
 * reasons and messages come from Azure or the request and may contain markup.
 */
import type { AuditedCampaign, RunSummary } from "../contracts/audit";
import { campaignTotals, type CampaignMember, type CampaignTotals, type MemberState } from "../contracts/campaign";
import type { OutcomeCounts } from "../contracts/remediation";
import {
  auditLink,
  badge,
  cancellationRow,
  escapeHtml,
  formatTime,
  optionList,
  periodRows,
  renderAttestation,
  renderWarnings,
  reportPage,
  row,
  simulatedNote,
  type ReportOptions,
} from "./report";

const e = escapeHtml;

interface CampaignReportOptions extends ReportOptions {
  /**
   * The runs the campaign has started so far, from the audit's listing by campaign: what the report shows for a
   * campaign that has not ended (its members are only in its final record).
   */
  runs?: readonly RunSummary[];
}

/** A subscription's line in the report: a member of the final record, or a run of a campaign still going. */
interface Line {
  subscriptionId: string;
  displayName?: string | undefined;
  state: MemberState;
  category?: string | undefined;
  reason?: string | undefined;
  advice?: string | undefined;
  runId?: string | undefined;
  runStatus?: string | undefined;
  counts?: OutcomeCounts | undefined;
  startedAt?: string | undefined;
  endedAt?: string | undefined;
}

/** States in which the campaign left the subscription alone: the report says why. */
const LEFT_ALONE: readonly MemberState[] = ["notExemptible", "nothingToDo", "alreadyRunning", "cancelled", "failed"];

const STATE_ORDER: readonly MemberState[] = [
  "running",
  "pending",
  "done",
  "failed",
  "notExemptible",
  "nothingToDo",
  "alreadyRunning",
  "cancelled",
];

const STATE_LABEL: Record<MemberState, string> = {
  pending: "waiting",
  notExemptible: "not exemptible",
  nothingToDo: "nothing to do",
  alreadyRunning: "already running",
  running: "running",
  done: "run finished",
  cancelled: "cancelled",
  failed: "failed",
};

function lineOfMember(m: CampaignMember): Line {
  return { ...m };
}

function lineOfRun(r: RunSummary): Line {
  return {
    subscriptionId: r.subscriptionId,
    state: r.status === "running" ? "running" : "done",
    category: r.category,
    runId: r.runId,
    runStatus: r.status,
    counts: r.counts,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
  };
}

function linesOf(c: AuditedCampaign, runs: readonly RunSummary[]): Line[] {
  if (c.summary !== undefined) return c.summary.members.map(lineOfMember);
  // Still going: the runs recorded so far, oldest first, one per subscription (its latest run in the campaign).
  const latest = new Map<string, RunSummary>();
  for (const r of [...runs].sort(
    (a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.runId.localeCompare(b.runId),
  ))
    latest.set(r.subscriptionId, r);
  return [...latest.values()].map(lineOfRun);
}

function leftDownOf(l: Line): number {
  return l.counts?.leftDown ?? 0;
}

/**
 * Subscriptions whose runs took resources down and could not bring them back: the first section, before the counts,
 * because each needs an operator now. Absent when there are none.
 */
function renderLeftDown(lines: readonly Line[], options: ReportOptions): string {
  const down = lines.filter((l) => leftDownOf(l) > 0);
  if (down.length === 0) return "";
  const total = down.reduce((n, l) => n + leftDownOf(l), 0);
  const rows = down
    .map(
      (l) =>
        `<tr class="left-down">${subscriptionCell(l)}<td class="num"><strong>${leftDownOf(l)}</strong></td><td>${
          l.runId === undefined ? "—" : `<a href="${e(auditLink("runs", l.runId, options))}">${e(l.runId)}</a>`
        }</td></tr>`,
    )
    .join("");
  return `<section class="left-down" id="left-down"><h2>Left down by this campaign <span class="pill bad">${total}</span></h2><p class="callout bad">${
    total === 1 ? "One resource was" : `${total} resources were`
  } taken down and not brought back within the restore deadline, in ${down.length === 1 ? "one subscription" : `${down.length} subscriptions`}. Each run's report names the resources and the manual action each needs.</p><table><thead><tr><th>Subscription</th><th>Left down</th><th>Run report</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function renderCounts(totals: CampaignTotals, running: boolean): string {
  const card = (label: string, n: number, tone: string, extra = ""): string =>
    `<div class="count tone-${tone}"${extra}><div class="n">${n}</div><div class="l">${e(label)}</div></div>`;
  const tone = (s: MemberState): string => {
    const n = totals.byState[s];
    if (s === "done") return "good";
    if (s === "failed" || s === "notExemptible") return n > 0 ? "bad" : "muted";
    if (s === "alreadyRunning") return "warn";
    return s === "running" || s === "pending" ? "info" : "muted";
  };
  // Every state that has a subscription, and "remediated" always.
  const states = STATE_ORDER.filter((s) => totals.byState[s] > 0 || s === "done")
    .map((s) => card(STATE_LABEL[s], totals.byState[s], tone(s), ` data-state="${s}"`))
    .join("");
  const r = totals.resources;
  const leftDown = r.leftDown ?? 0;
  const resources = `${card("resources", r.total, "info")}${card("cycled", r.cycled, "good")}${card("skipped", r.skipped, "muted")}${card(
    "failed",
    r.failed,
    r.failed > 0 ? "bad" : "muted",
  )}${leftDown > 0 ? card("left down", leftDown, "bad") : ""}`;
  return `<section><h2>Subscriptions <span class="pill">${totals.subscriptions}</span>${running ? ` <span class="note">so far</span>` : ""}</h2><div class="counts">${card(
    "subscriptions",
    totals.subscriptions,
    "info",
  )}${states}</div></section><section><h2>Resources, every run summed</h2><div class="counts">${resources}</div></section>`;
}

function renderCampaignPanel(c: AuditedCampaign): string {
  const { input, summary: s } = c;
  const target =
    input.target.kind === "managementGroup"
      ? `management group <code>${e(input.target.managementGroupId)}</code> (every subscription under it)`
      : `${input.target.subscriptionIds.length} subscription${input.target.subscriptionIds.length === 1 ? "" : "s"} named in the request`;
  return `<div class="panel"><h2>Campaign</h2><dl>${[
    row("Target", target),
    row("Status", badge(c.status)),
    row("Mode", e(input.run.mode)),
    s === undefined ? "" : row("Outcome", e(s.message)),
    row("Started by", e(input.run.requestedBy)),
    row("Requested at", formatTime(input.run.requestedAt)),
    periodRows(s?.startedAt, s?.endedAt),
    row(
      "At once",
      e(`up to ${input.maxConcurrentSubscriptions} subscription${input.maxConcurrentSubscriptions === 1 ? "" : "s"}`),
    ),
    row("Approval required", input.run.requireApproval ? "yes, each subscription's plan" : "no"),
    cancellationRow(s?.cancellation),
  ].join("")}</dl></div>`;
}

function subscriptionCell(l: Line): string {
  return `<td>${l.displayName === undefined ? "" : `<div class="res">${e(l.displayName)}</div>`}<div class="${l.displayName === undefined ? "res" : "sub"}"><code>${e(
    l.subscriptionId,
  )}</code></div></td>`;
}

function countsCell(c: OutcomeCounts | undefined): string {
  if (c === undefined) return `<td>—</td>`;
  const leftDown = c.leftDown ?? 0;
  return `<td class="counts-cell">${e(`${c.cycled} cycled, ${c.skipped} skipped, ${c.failed} failed`)}${c.pending > 0 ? e(`, ${c.pending} pending`) : ""}${
    leftDown > 0 ? ` ${badge("failed", `${leftDown} left down`)}` : ""
  }</td>`;
}

function renderSubscriptions(lines: readonly Line[], options: ReportOptions, running: boolean): string {
  if (lines.length === 0) {
    return `<section><h2>Subscriptions</h2><p class="empty">${running ? "No run of this campaign has been recorded yet." : "The campaign took no subscription."}</p></section>`;
  }
  const rows = lines
    .map((l) => {
      const why = LEFT_ALONE.includes(l.state)
        ? `<td class="msg">${l.category === undefined ? "" : `${badge(l.category)} `}${e(l.reason ?? "")}${l.advice === undefined ? "" : `<div class="sub">${e(l.advice)}</div>`}</td>`
        : `<td>${l.category === undefined ? "" : badge(l.category)}</td>`;
      const run =
        l.runId === undefined
          ? `<td>—</td>`
          : `<td><a class="run-link" href="${e(auditLink("runs", l.runId, options))}">${e(l.runId)}</a>${l.runStatus === undefined ? "" : `<div>${badge(l.runStatus)}</div>`}</td>`;
      return `<tr class="member" data-subscription="${e(l.subscriptionId)}" data-state="${e(l.state)}">${subscriptionCell(l)}<td>${badge(l.state, STATE_LABEL[l.state])}</td>${why}${run}${countsCell(l.counts)}</tr>`;
    })
    .join("");
  return `<section id="subscriptions"><h2>Every subscription <span class="pill">${lines.length}</span></h2><table><thead><tr><th>Subscription</th><th>State</th><th>Category, and why it was left alone</th><th>Run (its report)</th><th>Resources</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function renderOptions(c: AuditedCampaign): string {
  return `<section class="panel"><h2>Options of every run</h2>${optionList(c.input.run.options, c.input.run.probeHost)}</section>`;
}

export function renderCampaignReport(campaign: AuditedCampaign, options: CampaignReportOptions = {}): string {
  const lines = linesOf(campaign, options.runs ?? []);
  const running = campaign.summary === undefined;
  const totals =
    campaign.summary?.totals ??
    campaignTotals(
      lines.map((l): CampaignMember => ({ subscriptionId: l.subscriptionId, state: l.state, counts: l.counts })),
    );
  return reportPage({
    title: `Port 25 remediation campaign · ${campaign.campaignId} · ${campaign.status}`,
    brand: `Port 25 remediation campaign report${simulatedNote(campaign.input.run.clock)}`,
    kind: "Campaign",
    id: campaign.campaignId,
    status: campaign.status,
    sections: [
      running
        ? `<p class="callout info">The campaign is still running: this page shows its start and the runs recorded so far.</p>`
        : "",
      renderLeftDown(lines, options),
      renderCounts(totals, running),
      `<section class="grid">${renderCampaignPanel(campaign)}${renderAttestation(campaign.input.run.attestation, `<p class="note">Every subscription's run records this attestation.</p>`)}</section>`,
      renderSubscriptions(lines, options, running),
      renderWarnings(campaign.summary?.warnings ?? []),
      renderOptions(campaign),
    ],
    footer: `Audit record of campaign ${campaign.campaignId}`,
    generatedAt: options.generatedAt,
  });
}
