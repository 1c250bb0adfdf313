/**
 * The HTML report of one audited run: a single self-contained page (inline CSS and SVG, no script,
 * no external asset) that ops open after a run. Every value from the run is HTML-escaped: resource
 * names, tags and messages come from the subscription and may contain markup.
 */
import type { ClockKind } from "../contracts/clock";
import type { AuditedRun, RunRecord } from "../contracts/audit";
import type { ReasonCode, ResourceOutcome } from "../contracts/outcome";
import type { CanaryResult } from "../contracts/remediation";
import type { EgressPath, PathVerdict } from "../contracts/egress";
import { describeEgress } from "../domain/egress";
import { hopWithSubscription } from "../domain/canaryPaths";
import { describeSetOutages } from "../domain/planSetOutages";
import { plural } from "../contracts/plural";
import {
  auditLink,
  badge,
  cancellationRow,
  escapeHtml,
  formatDuration,
  formatTime,
  optionList,
  parseTime,
  periodRows,
  REASON_LABELS,
  renderAttestation,
  renderWarnings,
  reportPage,
  resourceCell,
  row,
  type ReportOptions,
} from "./reportPage";
import { renderScaleSets, renderTimeline } from "./reportTimeline";

// The shared page and the timeline are imported from here by the campaign report, the API and the tests.
export * from "./reportPage";
export { renderScaleSets, renderTimeline, timelineSpans } from "./reportTimeline";

const e = escapeHtml;

function detailString(o: ResourceOutcome, key: string): string | undefined {
  const v = o.detail?.[key];
  return typeof v === "string" ? v : undefined;
}

// ---- sections ----

function renderCounts(run: AuditedRun): string {
  const c = run.run.summary?.counts ?? {
    total: run.outcomes.length,
    cycled: run.outcomes.filter((o) => o.outcome === "cycled").length,
    skipped: run.outcomes.filter((o) => o.outcome === "skipped").length,
    failed: run.outcomes.filter((o) => o.outcome === "failed").length,
    pending: 0,
  };
  const leftDown = c.leftDown ?? run.outcomes.filter((o) => o.leftDown !== undefined).length;
  const card = (label: string, n: number, tone: string): string =>
    `<div class="count tone-${tone}"><div class="n">${n}</div><div class="l">${e(label)}</div></div>`;
  return `<section class="counts">${card("resources", c.total, "info")}${card("cycled", c.cycled, "good")}${card("skipped", c.skipped, "muted")}${card("failed", c.failed, c.failed > 0 ? "bad" : "muted")}${card("pending", c.pending, c.pending > 0 ? "warn" : "muted")}${
    leftDown > 0 ? card("left down", leftDown, "bad") : ""
  }</section>`;
}

function renderRunPanel(r: RunRecord, options: ReportOptions): string {
  const s = r.summary;
  return `<div class="panel"><h2>Run</h2><dl>${[
    row("Subscription", `<code>${e(r.subscriptionId)}</code>`),
    r.campaign === undefined
      ? ""
      : row(
          "Campaign",
          `<a class="campaign-link" href="${e(auditLink("campaigns", r.campaign.campaignId, options))}">${e(r.campaign.campaignId)}</a>`,
        ),
    row("Status", badge(r.status)),
    row("Mode", e(r.mode)),
    s === undefined ? "" : row("Outcome", e(s.message)),
    row("Requested by", e(r.requestedBy)),
    row("Requested at", formatTime(r.requestedAt)),
    periodRows(s?.startedAt, s?.endedAt),
    row("Approval required", r.requireApproval ? "yes" : "no"),
    s?.approval === undefined
      ? ""
      : row(
          "Approved by",
          `${e(s.approval.by)} at ${formatTime(s.approval.at)}${s.approval.selfApproval ? " (self-approval, allowed by the run)" : ""}${s.approval.unverified ? " (unverified: authentication was off)" : ""}`,
        ),
    cancellationRow(s?.cancellation),
  ].join("")}</dl></div>`;
}

function renderClassification(r: RunRecord): string {
  const c = r.classification;
  if (c === undefined) return `<div class="panel"><h2>Classification</h2><p class="empty">Not recorded yet.</p></div>`;
  const decided =
    c.decidedBy.length === 0
      ? ""
      : `<ul class="facts">${c.decidedBy.map((d) => `<li><code>${e(d)}</code></li>`).join("")}</ul>`;
  return `<div class="panel"><h2>Classification</h2><p>${badge(c.category)}</p><p>${e(c.reason)}</p>${decided}${
    c.warning === undefined ? "" : `<p class="callout warn">${e(c.warning)}</p>`
  }${c.advice === undefined ? "" : `<p class="callout info">${e(c.advice)}</p>`}${
    c.missingPermission === undefined
      ? ""
      : `<p class="callout bad">Missing permission: <code>${e(c.missingPermission)}</code></p>`
  }</div>`;
}

/** The exemption's attestation panel, with a note under it when given (already HTML). */

const PATH_RESULT_LABELS: Readonly<Record<PathVerdict["result"], string>> = {
  reachable: "TCP 25 goes out",
  blockedAtHop: "exempted here, blocked at the hop",
  unreachable: "blocked: the exemption is not in effect",
  unavailable: "no verdict",
  noCanary: "not proven (no canary)",
  skipped: "not probed",
};

/**
 * Where each VM's and scale set's traffic to the internet leaves, path by path, with the canary's verdict of each
 * path: the exemption covers only traffic routed directly to the internet, so a VM cycled behind a firewall or a
 * gateway is reported as such, not as proven.
 */
/** How sure the path is: confirmed from the canary's effective routes, or computed from route tables (and why). */
function egressBasis(computed: EgressPath, v: PathVerdict | undefined): string {
  switch (v?.confirmation?.status) {
    case "confirmed":
      return `confirmed from the canary's effective routes: ${v.confirmation.detail}`;
    case "disagrees":
      return `computed from route tables; the effective routes disagree: ${v.confirmation.detail}`;
    case "unconfirmed":
      return `computed from route tables, not confirmed: ${v.confirmation.detail}`;
    default:
      return computed.basis === "possible"
        ? "possible (a peered hub's gateway may advertise a default route), not confirmed"
        : computed.basis === "assumed"
          ? "assumed (subnet not read)"
          : "computed from route tables";
  }
}

function renderEgress(canary: CanaryResult | undefined, outcomes: readonly ResourceOutcome[]): string {
  const withPath = outcomes.filter((o): o is ResourceOutcome & { egress: EgressPath } => o.egress !== undefined);
  if (withPath.length === 0) return "";
  const verdicts = new Map((canary?.paths ?? []).map((v) => [v.path.key, v] as const));
  const groups = new Map<string, { path: EgressPath; items: ResourceOutcome[] }>();
  for (const o of withPath) {
    const g = groups.get(o.egress.key);
    if (g === undefined) groups.set(o.egress.key, { path: o.egress, items: [o] });
    else g.items.push(o);
  }
  const rows = [...groups.values()]
    .map(({ path: computed, items }) => {
      // A path the canary's effective routes settled (a "possible" hub gateway found direct) has a new key: its
      // verdict is the one naming these resources.
      const v =
        verdicts.get(computed.key) ?? canary?.paths?.find((p) => items.some((o) => p.resources.includes(o.name)));
      const path = v?.confirmation?.status === "confirmed" ? v.path : computed;
      const verdict =
        v === undefined
          ? "—"
          : `${badge(v.result, PATH_RESULT_LABELS[v.result])}${v.canaryName === undefined ? "" : ` <span class="sub">canary ${e(v.canaryName)}</span>`}`;
      const basis = `<div class="sub">${e(egressBasis(computed, v))}</div>`;
      const where =
        (path.direct
          ? e(describeEgress(path))
          : `${e(describeEgress(path))}${v?.result === "blockedAtHop" ? `<div class="sub">exempted here, blocked at ${e(hopWithSubscription(path))}</div>` : ""}`) +
        basis;
      const names = items.map((o) => `${e(o.name)} <span class="sub">(${e(o.outcome)})</span>`).join(", ");
      return `<tr><td class="msg">${where}</td><td>${verdict}</td><td class="msg">${names}</td></tr>`;
    })
    .join("");
  return `<section id="egress"><h2>Egress paths <span class="pill">${groups.size}</span></h2><p>The exemption applies only to traffic routed directly to the internet; behind an appliance, a firewall or a gateway, port 25 is what that hop allows.</p><table><thead><tr><th>Path</th><th>Port 25</th><th>Resources</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function renderCanary(canary: CanaryResult | undefined, outcomes: readonly ResourceOutcome[]): string {
  if (canary === undefined)
    return `<div class="panel"><h2>Canary proof</h2><p class="empty">No canary result recorded.</p></div>`;
  const names = canary.vmIds.map((id) => outcomes.find((o) => o.resourceId === id)?.name ?? id);
  return `<div class="panel"><h2>Canary proof</h2><p>${badge(canary.result)}</p><dl>${row("Verification", e(canary.verification))}${row(
    "Probe host",
    `<code>${e(canary.probeHost)}</code> : 25`,
  )}${row("Canary", names.length === 0 ? "—" : names.map((n) => e(n)).join(", "))}${canary.detail === undefined ? "" : row("Detail", e(canary.detail))}</dl></div>`;
}

function renderFailures(outcomes: readonly ResourceOutcome[]): string {
  const failed = outcomes.filter((o) => o.outcome === "failed");
  const body =
    failed.length === 0
      ? `<p class="empty">No failures.</p>`
      : `<table><thead><tr><th>Resource</th><th>Reason</th><th>Error code</th><th>Message</th><th>State</th><th>Operations</th></tr></thead><tbody>${failed
          .map(
            (o) =>
              `<tr class="failure">${resourceCell(o)}<td>${e(o.reasonCode === undefined ? "—" : REASON_LABELS[o.reasonCode])}</td><td><code class="err">${e(
                o.errorCode ?? "—",
              )}</code></td><td class="msg">${e(o.message ?? "")}</td><td>${e(String(o.stateBefore ?? "?"))} → ${e(String(o.stateAfter ?? "?"))}${
                o.leftDown !== undefined
                  ? ` ${badge("failed", "left down")}`
                  : o.restored === true
                    ? ` ${badge("cycled", "restored")}`
                    : ""
              }</td><td>${e(o.actions.join(" → ") || "—")}</td></tr>`,
          )
          .join("")}</tbody></table>`;
  return `<section><h2>Failures <span class="pill">${failed.length}</span></h2>${body}</section>`;
}

/**
 * Resources the run took down and could not bring back: the first section of the report, before the counts,
 * because each needs an operator now. Absent when there are none.
 */
export function renderLeftDown(outcomes: readonly ResourceOutcome[]): string {
  const down = outcomes.filter((o) => o.leftDown !== undefined);
  if (down.length === 0) return "";
  const rows = down
    .map((o) => {
      const d = o.leftDown;
      if (d === undefined) return "";
      const instances =
        d.instanceIds === undefined ? "" : `<div class="sub">instances ${e(d.instanceIds.join(", "))}</div>`;
      return `<tr class="left-down">${resourceCell(o)}<td><strong>${e(d.state)}</strong>${instances}</td><td><code class="err">${e(d.errorCode ?? "—")}</code></td><td class="msg">${e(
        d.reason,
      )}</td><td class="msg"><strong>${e(d.manualAction)}</strong></td><td>${e(d.attempts)}</td></tr>`;
    })
    .join("");
  return `<section class="left-down" id="left-down"><h2>Left down by this run <span class="pill bad">${down.length}</span></h2><p class="callout bad">The run took ${
    down.length === 1 ? "this resource" : "these resources"
  } down and could not bring ${down.length === 1 ? "it" : "them"} back within the restore deadline. Each needs the manual action below.</p><table><thead><tr><th>Resource</th><th>Left</th><th>Error code</th><th>Why</th><th>Manual action</th><th>Attempts</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function renderSkips(outcomes: readonly ResourceOutcome[]): string {
  const skipped = outcomes.filter((o) => o.outcome === "skipped");
  const groups = new Map<string, ResourceOutcome[]>();
  for (const o of skipped) {
    const key = o.reasonCode ?? "unspecified";
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const ordered = [...groups.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  const body =
    skipped.length === 0
      ? `<p class="empty">Nothing was skipped.</p>`
      : ordered
          .map(([reason, items]) => {
            const label = reason in REASON_LABELS ? REASON_LABELS[reason as ReasonCode] : reason;
            return `<details class="skip-group" data-reason="${e(reason)}"${ordered.length <= 4 ? " open" : ""}><summary><span class="reason">${e(label)}</span> <code>${e(
              reason,
            )}</code> <span class="pill">${items.length}</span></summary><table><thead><tr><th>Resource</th><th>Message</th></tr></thead><tbody>${items
              .map((o) => `<tr>${resourceCell(o)}<td class="msg">${e(o.message ?? "")}</td></tr>`)
              .join("")}</tbody></table></details>`;
          })
          .join("");
  return `<section><h2>Skipped, by reason <span class="pill">${skipped.length}</span></h2>${body}</section>`;
}

function renderSubnets(outcomes: readonly ResourceOutcome[]): string {
  const vnets = outcomes.filter((o) => o.kind === "vnet");
  const body =
    vnets.length === 0
      ? `<p class="empty">No VNet with a delegated subnet needed a refresh.</p>`
      : `<table><thead><tr><th>VNet</th><th>Result</th><th>Temporary subnet</th><th>Duration</th><th>Detail</th></tr></thead><tbody>${vnets
          .map((o) => {
            // As refreshVnetSubnet records them.
            const name = detailString(o, "tempSubnet");
            const prefix = detailString(o, "prefix");
            const temp =
              name === undefined && prefix === undefined
                ? "—"
                : `<code>${e([name, prefix].filter((v) => v !== undefined).join(" "))}</code>`;
            const start = parseTime(o.startedAt);
            const end = parseTime(o.endedAt);
            const duration = start !== undefined && end !== undefined ? formatDuration(end - start) : "—";
            const what = o.outcome === "cycled" ? "added and removed" : o.outcome;
            const reason = o.reasonCode === undefined ? "" : `${REASON_LABELS[o.reasonCode]}. `;
            return `<tr class="vnet">${resourceCell(o)}<td>${badge(o.outcome, what)}</td><td>${temp}</td><td>${e(duration)}</td><td class="msg">${e(reason + (o.message ?? ""))}</td></tr>`;
          })
          .join("")}</tbody></table>`;
  return `<section><h2>VNet subnet refresh <span class="pill">${vnets.length}</span></h2>${body}</section>`;
}

/** Who was told, and how it went: each notification's webhooks by their place in the setting, never by address. */
function renderNotifications(notifications: AuditedRun["notifications"]): string {
  if (notifications === undefined || notifications.length === 0) return "";
  const rows = notifications
    .map((n) => {
      const failed = n.failed.map((f) => `webhook #${f.index + 1}: ${f.error}`).join("; ");
      const result =
        n.status === "noWebhooks"
          ? "Application Insights only"
          : `${n.delivered}/${n.webhooks} delivered${failed === "" ? "" : ` (${failed})`}`;
      return `<tr><td>${e(n.type)}</td><td>${formatTime(n.at)}</td><td>${badge(n.status)}</td><td>${e(result)}</td><td>${n.attempts}</td></tr>`;
    })
    .join("");
  return `<section id="notifications"><h2>Notifications <span class="pill">${notifications.length}</span></h2><table><thead><tr><th>Event</th><th>At</th><th>Status</th><th>Webhooks</th><th>Attempts</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function renderPlanAndOptions(r: RunRecord): string {
  const p = r.plan;
  const plan =
    p === undefined
      ? `<p class="empty">No plan recorded.</p>`
      : `<dl>${row("Digest (SHA-256)", `<code class="digest">${e(p.sha256)}</code>`)}${row(
          "Resources",
          e(
            `${plural(p.counts.vms, "VM")}, ${plural(p.counts.scaleSets, "scale set")}, ${plural(p.counts.vnets, "VNet")}`,
          ),
        )}${row("Planned", e(`${p.counts.toCycle} to cycle, ${plural(p.counts.toRefresh, "VNet")} to refresh, ${p.counts.skipped} skipped`))}${row(
          "Waves",
          e(String(p.waves)),
        )}${row(
          "Caps",
          e(
            `concurrency ${p.caps.maxConcurrency}, per availability set ${p.caps.availabilitySetRule === "updateDomain" ? "one update domain" : p.caps.maxUnavailablePerAvailabilitySet}, per scale set ${p.caps.maxUnavailablePerScaleSet}`,
          ),
        )}${
          // Sets the caps let the run take fully down, as the plan said before the run (src/domain/planSetOutages.ts).
          p.setOutages === undefined || p.setOutages.length === 0
            ? ""
            : row("No member running while cycled", e(describeSetOutages(p.setOutages)))
        }</dl>`;
  return `<section class="grid two"><div class="panel"><h2>Plan</h2>${plan}</div><div class="panel"><h2>Options</h2>${optionList(r.options, r.probeHost)}</div></section>`;
}

/** Said in the banner of a simulated run's or campaign's report: its times are the simulation's, not the calendar's. */
export function simulatedNote(clock: ClockKind | undefined): string {
  return clock === "simulated" ? " · SIMULATED: times are the simulation's virtual clock" : "";
}

export function renderRunReport(audited: AuditedRun, options: ReportOptions = {}): string {
  const r = audited.run;
  return reportPage({
    title: `Port 25 remediation · ${r.subscriptionId} · ${r.status}`,
    brand: `Port 25 remediation report${simulatedNote(r.clock)}`,
    kind: "Run",
    id: r.runId,
    status: r.status,
    sections: [
      options.notice === undefined
        ? ""
        : `<section class="left-down" id="notice"><h2>${e(options.notice.title)}</h2><p class="callout bad">${e(options.notice.text)}</p></section>`,
      renderLeftDown(audited.outcomes),
      renderCounts(audited),
      `<section class="grid">${renderRunPanel(r, options)}${renderClassification(r)}${renderAttestation(r.attestation)}${renderCanary(r.summary?.canary, audited.outcomes)}</section>`,
      `<section><h2>Timeline</h2>${renderTimeline(audited.outcomes, r.options.restoreStoppedVms)}</section>`,
      renderScaleSets(audited.outcomes, r.options.restoreStoppedVms),
      renderFailures(audited.outcomes),
      renderSkips(audited.outcomes),
      renderEgress(r.summary?.canary, audited.outcomes),
      renderSubnets(audited.outcomes),
      renderWarnings(r.summary?.warnings ?? []),
      renderNotifications(audited.notifications),
      renderPlanAndOptions(r),
    ],
    footer: `Audit record of run ${r.runId}`,
    generatedAt: options.generatedAt,
  });
}
