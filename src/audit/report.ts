/**
 * The HTML report of one audited run: a single self-contained page (inline CSS and SVG, no script,
 * no external asset) that ops open after a run. Every value from the run is HTML-escaped: resource
 * names, tags and messages come from the subscription and may contain markup.
 */
import type { AuditedRun, RunRecord } from "../contracts/audit";
import type { ReasonCode, ResourceOutcome } from "../contracts/outcome";
import type { Attestation, CanaryResult } from "../contracts/remediation";
import type { EgressPath, PathVerdict } from "../contracts/egress";
import { describeEgress } from "../domain/egress";
import { hopWithSubscription } from "../domain/canaryPaths";
import { plural } from "../cli/plural";

export interface ReportOptions {
  /** Shown in the footer; the renderer reads no clock, so the caller stamps it. */
  generatedAt?: string;
  /**
   * Address of the audit API (`https://<app>/api/audit`) for the report's links to other audit pages. Absent, links
   * are relative to the report's own address (`/api/audit/runs/{runId}`, `/api/audit/campaigns/{campaignId}`).
   */
  auditBase?: string;
  /**
   * Link other reports as files beside this one, named as `port25 simulate` writes them (`port25-<run id>.html`,
   * `port25-campaign-<campaign id>.html`), rather than as audit API pages.
   */
  files?: boolean;
  /**
   * Shown first, as an alarm: why this report is partial (a simulation interrupted before its run ended, whose
   * record holds only the resources that had finished).
   */
  notice?: { title: string; text: string };
}

/** The audit page of a run or a campaign, as a link from a report served at `/api/audit/<kind>s/<id>`. */
export function auditLink(kind: "runs" | "campaigns", id: string, options: ReportOptions, format: "html" | "json" = "html"): string {
  if (options.files === true && format === "html") return `port25-${kind === "campaigns" ? "campaign-" : ""}${encodeURIComponent(id)}.html`;
  const base = options.auditBase === undefined ? ".." : options.auditBase.replace(/\/+$/, "");
  return `${base}/${kind}/${encodeURIComponent(id)}${format === "html" ? "?format=html" : ""}`;
}

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
const e = escapeHtml;

export const REASON_LABELS: Record<ReasonCode, string> = {
  alreadyDeallocated: "Already deallocated (gets the policy at its next start)",
  ephemeralOsDisk: "Ephemeral OS disk (cannot be deallocated; redeploy or reimage manually)",
  managedResourceGroup: "In a managed resource group (the owning service must restart it)",
  skipTag: "Tagged port25-remediation=skip",
  invalidWaveTag: "Tag port25-wave is not an integer ≥ 0 (fix the tag and run again)",
  transitionalState: "In a transitional power state",
  provisioningFailed: "Provisioning failed",
  unknownPowerState: "Power state unknown",
  noRunningInstances: "No running instances",
  noDelegatedSubnet: "No delegated subnet",
  noFreeSubnetRange: "No free address range for a temporary subnet",
  noIpv4AddressSpace: "No IPv4 address space",
  ipamManaged: "Address space managed by IPAM",
  subnetRefreshDisabled: "Subnet refresh turned off",
  notSelected: "Not selected for this run (limited to other resources)",
  groupMemberFailed: "Left running: another member of its availability set failed",
  planOnly: "Plan only (nothing was changed)",
  notExemptible: "Subscription not exemptible",
  subscriptionUnknown: "Subscription not classified (unknown)",
  notBlocked: "Port 25 is not blocked on this subscription",
  approvalTimedOut: "Approval timed out",
  cancelled: "Cancelled",
  haltedByCanary: "Halted: the canary could not reach port 25",
  disappeared: "Deleted during the run (gone; nothing left down)",
  changedByOther: "Changed by someone else after planning (left as they chose)",
  evicted: "Spot VM evicted by Azure during the run",
  createdAfterPlan: "Created after the plan (starts under the new policy already)",
  resourceLocked: "Blocked by a resource lock",
  deniedByPolicy: "Denied by an Azure Policy assignment",
  noSubnetPermission: "No permission to change subnets in its resource group (subnet role not granted)",
  operationFailed: "Operation failed",
  transitionTimedOut: "Power transition timed out",
  allocationFailed: "Allocation failed",
  throttled: "Throttled by Azure Resource Manager",
  conflict: "Conflicting operation in progress",
  canaryProbeFailed: "Canary probe failed",
  unexpected: "Unexpected error",
};

const STATUS_TONE: Record<string, "good" | "warn" | "bad" | "info" | "muted"> = {
  running: "info",
  completed: "good",
  completedWithFailures: "warn",
  planned: "info",
  refused: "bad",
  nothingToDo: "muted",
  halted: "bad",
  cancelled: "muted",
  approvalTimedOut: "muted",
  exemptible: "good",
  notBlocked: "muted",
  blockedNotExemptible: "bad",
  unknown: "warn",
  reachable: "good",
  unreachable: "bad",
  skipped: "muted",
  unavailable: "warn",
  cycled: "good",
  failed: "bad",
  pending: "info",
  notExemptible: "bad",
  alreadyRunning: "warn",
  blockedAtHop: "warn",
  noCanary: "warn",
  done: "good",
  delivered: "good",
  noWebhooks: "muted",
};

const STATUS_LABEL: Record<string, string> = {
  completedWithFailures: "completed with failures",
  nothingToDo: "nothing to do",
  approvalTimedOut: "approval timed out",
  notBlocked: "not blocked",
  blockedNotExemptible: "blocked, not exemptible",
  notExemptible: "not exemptible",
  alreadyRunning: "already running",
  noWebhooks: "no webhooks",
  blockedAtHop: "blocked at a hop",
  noCanary: "no canary",
};

/** A coloured pill for a status-like value; `label` overrides the text shown. */
export function badge(value: string, label?: string): string {
  return `<span class="badge tone-${STATUS_TONE[value] ?? "muted"}">${e(label ?? STATUS_LABEL[value] ?? value)}</span>`;
}

export function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** "2026-11-26 10:05:00 UTC": ISO is unambiguous for ops in several time zones. */
export function formatTime(iso: string | undefined): string {
  const ms = parseTime(iso);
  if (ms === undefined) return iso === undefined ? "—" : e(iso);
  return e(`${new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "").replace(/Z$/, "")} UTC`);
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, "0")} min`;
}

export function row(label: string, valueHtml: string): string {
  return `<dt>${e(label)}</dt><dd>${valueHtml}</dd>`;
}

function detailString(o: ResourceOutcome, key: string): string | undefined {
  const v = o.detail?.[key];
  return typeof v === "string" ? v : undefined;
}

// ---- timeline ----

interface Span {
  outcome: ResourceOutcome;
  start: number;
  end: number;
}

/** VMs and scale sets acted on, with both ends of their power cycle known, in start order. */
export function timelineSpans(outcomes: readonly ResourceOutcome[]): Span[] {
  const spans: Span[] = [];
  for (const o of outcomes) {
    if (o.kind === "vnet" || o.outcome === "skipped") continue;
    const start = parseTime(o.startedAt);
    const end = parseTime(o.endedAt);
    if (start === undefined || end === undefined) continue;
    spans.push({ outcome: o, start, end: Math.max(start, end) });
  }
  return spans.sort((a, b) => a.start - b.start || a.outcome.name.localeCompare(b.outcome.name));
}

const TICK_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

function tickStep(rangeMs: number): number {
  return TICK_STEPS_MS.find((step) => rangeMs / step <= 8) ?? 86_400_000 * Math.ceil(rangeMs / (8 * 86_400_000));
}

function tickLabel(ms: number, withDate: boolean): string {
  const iso = new Date(ms).toISOString();
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 19);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * How a bar is drawn: a VM that was stopped before the run ends stopped (restoreStoppedVms) or deallocated, not
 * running: cycled as planned, but drawn apart so that nobody reads it as "back up".
 */
function barKind(o: ResourceOutcome): "cycled" | "stopped" | "failed" | "skipped" {
  if (o.outcome === "cycled" && o.kind === "vm" && o.stateAfter !== undefined && o.stateAfter !== "running") return "stopped";
  return o.outcome;
}

/** One instance of a uniform scale set: its state before the run and after it. */
interface InstanceState {
  id: string;
  before: string;
  after: string;
}

function stringList(o: ResourceOutcome, key: string): string[] {
  const v = o.detail?.[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/**
 * A uniform scale set's instances after the run, from what the run recorded: the running ones were cycled and are
 * running again (unless left down, or the run failed before bringing them back); the stopped ones were deallocated
 * and left deallocated, or restored to stopped with restoreStoppedVms.
 */
export function instanceStates(o: ResourceOutcome, restoreStoppedVms: boolean): InstanceState[] {
  const down = new Set(o.leftDown?.instanceIds ?? []);
  const backUp = o.outcome === "cycled" || o.restored === true;
  const running = stringList(o, "instanceIds").map((id) => ({
    id,
    before: "running",
    after: down.has(id) ? (o.leftDown?.state ?? "down") : backUp ? "running" : String(o.stateAfter ?? "unknown"),
  }));
  const stopped = stringList(o, "stoppedInstanceIds").map((id) => ({
    id,
    before: "stopped",
    after: o.outcome === "cycled" ? (restoreStoppedVms ? "stopped" : "deallocated") : String(o.stateAfter ?? "unknown"),
  }));
  return [...running, ...stopped];
}

function renderScaleSets(outcomes: readonly ResourceOutcome[], restoreStoppedVms: boolean): string {
  const sets = outcomes.filter((o) => o.kind === "scaleSet" && o.outcome !== "skipped");
  if (sets.length === 0) return "";
  const rows = sets
    .map((o) => {
      const states = instanceStates(o, restoreStoppedVms);
      const cells = states.length === 0 ? "—" : states.map((s) => `<span class="instance" data-instance="${e(s.id)}" data-state-after="${e(s.after)}"><code>${e(s.id)}</code> ${e(s.before)} → <strong>${e(s.after)}</strong></span>`).join("<br>");
      return `<tr class="scale-set">${resourceCell(o)}<td>${badge(o.outcome)}</td><td>${cells}</td></tr>`;
    })
    .join("");
  return `<section><h2>Scale sets, per instance <span class="pill">${sets.length}</span></h2><table><thead><tr><th>Scale set</th><th>Result</th><th>Instances: before → after the run</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** Above this many bars the timeline draws one row per wave, each wave's bars a click away (`<details>`). */
export const TIMELINE_AGGREGATE_ABOVE = 200;

const waveName = (wave: number | undefined): string => (wave === undefined ? "no wave" : `wave ${wave}`);

/** The spans of each wave, in wave order (resources without a wave last). */
function byWave(spans: readonly Span[]): { wave: number | undefined; spans: Span[] }[] {
  const groups = new Map<number | undefined, Span[]>();
  for (const s of spans) groups.set(s.outcome.wave, [...(groups.get(s.outcome.wave) ?? []), s]);
  return [...groups.entries()]
    .sort(([a], [b]) => (a ?? Number.MAX_SAFE_INTEGER) - (b ?? Number.MAX_SAFE_INTEGER))
    .map(([wave, list]) => ({ wave, spans: list }));
}

interface TimelineRow {
  label: string;
  title: string;
  start: number;
  end: number;
  kind: "cycled" | "stopped" | "failed" | "skipped";
  attrs: string;
  /** The first row of a wave: a separator and the wave's name are drawn above it. */
  waveStart?: string;
}

function renderTimeline(outcomes: readonly ResourceOutcome[], restoreStoppedVms: boolean): string {
  const spans = timelineSpans(outcomes);
  const untimed = outcomes.filter(
    (o) => o.kind !== "vnet" && o.outcome === "cycled" && (parseTime(o.startedAt) === undefined || parseTime(o.endedAt) === undefined),
  ).length;
  const note = untimed > 0 ? `<p class="note">${plural(untimed, "cycled resource")} reported no start or end time and ${untimed === 1 ? "is" : "are"} not drawn.</p>` : "";
  if (spans.length === 0) return `<p class="empty">No VM or scale set was power-cycled in this run.</p>${note}`;

  const waves = byWave(spans);
  const aggregate = spans.length > TIMELINE_AGGREGATE_ABOVE;
  const rows: TimelineRow[] = [];
  for (const w of waves) {
    if (aggregate) {
      const kinds = w.spans.map((x) => barKind(x.outcome));
      const failed = kinds.filter((k) => k === "failed").length;
      const parked = kinds.filter((k) => k === "stopped").length;
      const start = Math.min(...w.spans.map((x) => x.start));
      const end = Math.max(...w.spans.map((x) => x.end));
      const counts = [`${w.spans.length - failed - parked} running again`, ...(parked > 0 ? [`${parked} left ${restoreStoppedVms ? "stopped" : "deallocated"}`] : []), ...(failed > 0 ? [`${failed} failed`] : [])].join(", ");
      rows.push({
        label: `${waveName(w.wave)} · ${plural(w.spans.length, "resource")}`,
        title: `${waveName(w.wave)}: ${plural(w.spans.length, "resource")} (${counts}), ${new Date(start).toISOString()} → ${new Date(end).toISOString()}, ${formatDuration(end - start)}`,
        start,
        end,
        kind: failed > 0 ? "failed" : "cycled",
        attrs: ` data-wave="${e(waveName(w.wave))}" data-resources="${w.spans.length}"`,
      });
      continue;
    }
    w.spans.forEach((sp, i) => {
      const o = sp.outcome;
      const what = `${o.kind === "scaleSet" ? "scale set" : "VM"} ${o.name} (${o.resourceGroup})`;
      const title = `${what}: ${o.outcome}${o.reasonCode === undefined ? "" : ` (${o.reasonCode})`}, ${new Date(sp.start).toISOString()} → ${new Date(sp.end).toISOString()}, ${formatDuration(sp.end - sp.start)}${o.wave === undefined ? "" : `, wave ${o.wave}`}`;
      const instances = o.kind === "scaleSet" ? instanceStates(o, restoreStoppedVms) : [];
      rows.push({
        label: `${o.canary === true ? "★ " : ""}${truncate(o.name, 30)}${o.kind === "scaleSet" ? " (scale set)" : ""}`,
        title: instances.length === 0 ? title : `${title}; instances: ${instances.map((x) => `${x.id} ${x.after}`).join(", ")}`,
        start: sp.start,
        end: sp.end,
        kind: barKind(o),
        attrs: ` data-outcome="${e(o.outcome)}" data-resource="${e(o.resourceId)}"${o.stateAfter === undefined ? "" : ` data-state-after="${e(o.stateAfter)}"`}`,
        ...(i === 0 && waves.length > 1 ? { waveStart: waveName(w.wave) } : {}),
      });
    });
  }

  const rowH = 20;
  const barH = 12;
  const labelW = 230;
  const chartW = 860;
  const width = labelW + chartW + 20;
  const top = 34;
  const height = top + rows.length * rowH + 10;
  const t0 = Math.min(...spans.map((x) => x.start));
  const t1 = Math.max(...spans.map((x) => x.end), t0 + 1000);
  const x = (ms: number): number => labelW + ((ms - t0) / (t1 - t0)) * chartW;
  const step = tickStep(t1 - t0);
  const withDate = t1 - t0 >= 86_400_000 || new Date(t0).toISOString().slice(0, 10) !== new Date(t1).toISOString().slice(0, 10);

  const parts: string[] = [];
  parts.push(`<rect class="plot" x="${labelW}" y="${top}" width="${chartW}" height="${rows.length * rowH}"/>`);
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    const tx = x(t).toFixed(1);
    parts.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="${top - 4}" y2="${height - 10}"/>`);
    parts.push(`<text class="tick" x="${tx}" y="${top - 10}" text-anchor="middle">${e(tickLabel(t, withDate))}</text>`);
  }
  parts.push(`<line class="axis" x1="${labelW}" x2="${labelW + chartW}" y1="${top}" y2="${top}"/>`);
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const bx = x(r.start);
    const bw = Math.max(2, x(r.end) - bx);
    if (i % 2 === 1) parts.push(`<rect class="stripe" x="0" y="${y}" width="${width}" height="${rowH}"/>`);
    if (r.waveStart !== undefined && i > 0) parts.push(`<line class="wave-sep" x1="0" x2="${width}" y1="${y}" y2="${y}"><title>${e(r.waveStart)}</title></line>`);
    if (r.waveStart !== undefined) parts.push(`<text class="wave-name" x="${labelW + chartW + 16}" y="${(y + rowH / 2 + 4).toFixed(1)}" text-anchor="end">${e(r.waveStart)}</text>`);
    parts.push(`<text class="label" x="${labelW - 8}" y="${(y + rowH / 2 + 4).toFixed(1)}" text-anchor="end">${e(r.label)}</text>`);
    parts.push(
      `<rect class="bar bar-${r.kind}"${r.attrs} x="${bx.toFixed(1)}" y="${(y + (rowH - barH) / 2).toFixed(1)}" width="${bw.toFixed(1)}" height="${barH}" rx="2"><title>${e(r.title)}</title></rect>`,
    );
  });
  const cycled = spans.filter((sp) => barKind(sp.outcome) === "cycled").length;
  const parked = spans.filter((sp) => barKind(sp.outcome) === "stopped").length;
  const failed = spans.length - cycled - parked;
  // The "cycled" tile counts every cycled resource: the VMs and scale sets drawn here and the VNets refreshed.
  const vnets = outcomes.filter((o) => o.kind === "vnet" && o.outcome === "cycled").length;
  const legend = `<div class="legend"><span>cycled: ${cycled + parked + vnets}${vnets > 0 ? ` (${plural(vnets, "VNet")} refreshed, not drawn)` : ""}</span><span><i class="swatch cycled"></i>power-cycled, running again (${cycled})</span>${
    parked > 0 ? `<span><i class="swatch stopped"></i>stopped before the run: deallocated, left ${restoreStoppedVms ? "stopped" : "deallocated"} (${parked})</span>` : ""
  }<span><i class="swatch failed"></i>failed (${failed})</span><span>★ canary</span><span>${
    aggregate ? `One row per wave (${plural(spans.length, "bar")} would be too many to read); each wave's resources are listed below.` : "Bars run from the first power operation to the final state (UTC)."
  }</span></div>`;
  const detail = aggregate
    ? `<div class="wave-detail">${waves
        .map(
          (w) =>
            `<details data-wave="${e(waveName(w.wave))}"><summary>${e(waveName(w.wave))}: ${plural(w.spans.length, "resource")}</summary><table><thead><tr><th>Resource</th><th>Result</th><th>Start (UTC)</th><th>Took</th></tr></thead><tbody>${w.spans
              .map((sp) => `<tr>${resourceCell(sp.outcome)}<td>${badge(sp.outcome.outcome)}</td><td>${e(new Date(sp.start).toISOString().slice(11, 19))}</td><td>${e(formatDuration(sp.end - sp.start))}</td></tr>`)
              .join("")}</tbody></table></details>`,
        )
        .join("")}</div>`
    : "";
  return `${legend}<div class="timeline-wrap"><svg class="timeline" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Power-cycle timeline${aggregate ? ", per wave" : ""}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${parts.join("")}</svg></div>${detail}${note}`;
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
  const started = parseTime(s?.startedAt);
  const ended = parseTime(s?.endedAt);
  return `<div class="panel"><h2>Run</h2><dl>${[
    row("Subscription", `<code>${e(r.subscriptionId)}</code>`),
    r.campaign === undefined
      ? ""
      : row("Campaign", `<a class="campaign-link" href="${e(auditLink("campaigns", r.campaign.campaignId, options))}">${e(r.campaign.campaignId)}</a>`),
    row("Status", badge(r.status)),
    row("Mode", e(r.mode)),
    s === undefined ? "" : row("Outcome", e(s.message)),
    row("Requested by", e(r.requestedBy)),
    row("Requested at", formatTime(r.requestedAt)),
    row("Started", formatTime(s?.startedAt)),
    row("Ended", formatTime(s?.endedAt)),
    started !== undefined && ended !== undefined ? row("Duration", e(formatDuration(ended - started))) : "",
    row("Approval required", r.requireApproval ? "yes" : "no"),
    s?.approval === undefined
      ? ""
      : row(
          "Approved by",
          `${e(s.approval.by)} at ${formatTime(s.approval.at)}${s.approval.selfApproval ? " (self-approval, allowed by the run)" : ""}${s.approval.unverified ? " (unverified: authentication was off)" : ""}`,
        ),
    s?.cancellation === undefined
      ? ""
      : row("Cancelled by", `${e(s.cancellation.by)} at ${formatTime(s.cancellation.at)}${s.cancellation.unverified ? " (unverified: authentication was off)" : ""}`),
  ].join("")}</dl></div>`;
}

function renderClassification(r: RunRecord): string {
  const c = r.classification;
  if (c === undefined) return `<div class="panel"><h2>Classification</h2><p class="empty">Not recorded yet.</p></div>`;
  const decided = c.decidedBy.length === 0 ? "" : `<ul class="facts">${c.decidedBy.map((d) => `<li><code>${e(d)}</code></li>`).join("")}</ul>`;
  return `<div class="panel"><h2>Classification</h2><p>${badge(c.category)}</p><p>${e(c.reason)}</p>${decided}${
    c.warning === undefined ? "" : `<p class="callout warn">${e(c.warning)}</p>`
  }${c.advice === undefined ? "" : `<p class="callout info">${e(c.advice)}</p>`}${
    c.missingPermission === undefined ? "" : `<p class="callout bad">Missing permission: <code>${e(c.missingPermission)}</code></p>`
  }</div>`;
}

/** The exemption's attestation panel, with a note under it when given (already HTML). */
export function renderAttestation(a: Attestation, note = ""): string {
  return `<div class="panel"><h2>Exemption attestation</h2><dl>${row("Reference", e(a.reference))}${row("Approved by", e(a.approvedBy))}${row(
    "Approved at",
    formatTime(a.approvedAt),
  )}</dl>${note}</div>`;
}

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
      return computed.basis === "possible" ? "possible (a peered hub's gateway may advertise a default route), not confirmed" : computed.basis === "assumed" ? "assumed (subnet not read)" : "computed from route tables";
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
      const v = verdicts.get(computed.key) ?? canary?.paths?.find((p) => items.some((o) => p.resources.includes(o.name)));
      const path = v?.confirmation?.status === "confirmed" ? v.path : computed;
      const verdict = v === undefined ? "—" : `${badge(v.result, PATH_RESULT_LABELS[v.result])}${v.canaryName === undefined ? "" : ` <span class="sub">canary ${e(v.canaryName)}</span>`}`;
      const basis = `<div class="sub">${e(egressBasis(computed, v))}</div>`;
      const where = (path.direct ? e(describeEgress(path)) : `${e(describeEgress(path))}${v?.result === "blockedAtHop" ? `<div class="sub">exempted here, blocked at ${e(hopWithSubscription(path))}</div>` : ""}`) + basis;
      const names = items.map((o) => `${e(o.name)} <span class="sub">(${e(o.outcome)})</span>`).join(", ");
      return `<tr><td class="msg">${where}</td><td>${verdict}</td><td class="msg">${names}</td></tr>`;
    })
    .join("");
  return `<section id="egress"><h2>Egress paths <span class="pill">${groups.size}</span></h2><p>The exemption applies only to traffic routed directly to the internet; behind an appliance, a firewall or a gateway, port 25 is what that hop allows.</p><table><thead><tr><th>Path</th><th>Port 25</th><th>Resources</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function renderCanary(canary: CanaryResult | undefined, outcomes: readonly ResourceOutcome[]): string {
  if (canary === undefined) return `<div class="panel"><h2>Canary proof</h2><p class="empty">No canary result recorded.</p></div>`;
  const names = canary.vmIds.map((id) => outcomes.find((o) => o.resourceId === id)?.name ?? id);
  return `<div class="panel"><h2>Canary proof</h2><p>${badge(canary.result)}</p><dl>${row("Verification", e(canary.verification))}${row(
    "Probe host",
    `<code>${e(canary.probeHost)}</code> : 25`,
  )}${row("Canary", names.length === 0 ? "—" : names.map((n) => e(n)).join(", "))}${canary.detail === undefined ? "" : row("Detail", e(canary.detail))}</dl></div>`;
}

function resourceCell(o: ResourceOutcome): string {
  const kind = o.kind === "scaleSet" ? "scale set" : o.kind === "vnet" ? "VNet" : "VM";
  return `<td><div class="res" title="${e(o.resourceId)}">${e(o.name)}</div><div class="sub">${e(kind)} · ${e(o.resourceGroup)}</div></td>`;
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
                o.leftDown !== undefined ? ` ${badge("failed", "left down")}` : o.restored === true ? ` ${badge("cycled", "restored")}` : ""
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
      const instances = d.instanceIds === undefined ? "" : `<div class="sub">instances ${e(d.instanceIds.join(", "))}</div>`;
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
            const temp = name === undefined && prefix === undefined ? "—" : `<code>${e([name, prefix].filter((v) => v !== undefined).join(" "))}</code>`;
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

export function renderWarnings(warnings: readonly string[]): string {
  if (warnings.length === 0) return "";
  return `<section><h2>Warnings <span class="pill">${warnings.length}</span></h2><ul class="warnings">${warnings.map((w) => `<li>${e(w)}</li>`).join("")}</ul></section>`;
}

/** Who was told, and how it went: each notification's webhooks by their place in the setting, never by address. */
function renderNotifications(notifications: AuditedRun["notifications"]): string {
  if (notifications === undefined || notifications.length === 0) return "";
  const rows = notifications
    .map((n) => {
      const failed = n.failed.map((f) => `webhook #${f.index + 1}: ${f.error}`).join("; ");
      const result = n.status === "noWebhooks" ? "Application Insights only" : `${n.delivered}/${n.webhooks} delivered${failed === "" ? "" : ` (${failed})`}`;
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
          e(`${plural(p.counts.vms, "VM")}, ${plural(p.counts.scaleSets, "scale set")}, ${plural(p.counts.vnets, "VNet")}`),
        )}${row("Planned", e(`${p.counts.toCycle} to cycle, ${plural(p.counts.toRefresh, "VNet")} to refresh, ${p.counts.skipped} skipped`))}${row(
          "Waves",
          e(String(p.waves)),
        )}${row("Caps", e(`concurrency ${p.caps.maxConcurrency}, per availability set ${p.caps.maxUnavailablePerAvailabilitySet}, per scale set ${p.caps.maxUnavailablePerScaleSet}`))}</dl>`;
  return `<section class="grid two"><div class="panel"><h2>Plan</h2>${plan}</div><div class="panel"><h2>Options</h2>${optionList(r.options, r.probeHost)}</div></section>`;
}

/** A run's options (every one, as recorded) and the probe host it resolved. */
export function optionList(options: Record<string, unknown>, probeHost: string): string {
  const rows = Object.entries(options)
    .map(([k, v]) => row(k, `<code>${e(typeof v === "string" ? v : JSON.stringify(v))}</code>`))
    .join("");
  return `<dl class="options">${rows}${row("probe host", `<code>${e(probeHost)}</code>`)}</dl>`;
}

const REPORT_CSS = `
:root{--bg:#f5f7fa;--panel:#fff;--ink:#1f2933;--sub:#616e7c;--line:#e4e7eb;--good:#2e7d32;--good-bg:#e8f5e9;--warn:#b26a00;--warn-bg:#fff4e0;--bad:#c62828;--bad-bg:#fdecea;--info:#1565c0;--info-bg:#e3f0fc;--muted:#52606d;--muted-bg:#eef1f4}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header.top{background:#102a43;color:#fff;padding:20px 32px}
header.top .brand{font-size:12px;letter-spacing:.08em;text-transform:uppercase;opacity:.75}
header.top h1{margin:4px 0 0;font-size:22px;font-weight:600;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
header.top .runid{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:500}
main{padding:24px 32px;max-width:1200px}
section{margin:0 0 24px}
h2{font-size:15px;margin:0 0 12px;color:#243b53;display:flex;align-items:center;gap:8px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:16px}
.grid.two{grid-template-columns:repeat(auto-fit,minmax(420px,1fr))}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:16px 18px;box-shadow:0 1px 2px rgba(16,42,67,.05)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 14px;margin:0}
dt{color:var(--sub)}dd{margin:0;overflow-wrap:anywhere}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;background:#f0f4f8;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
.badge{display:inline-block;white-space:nowrap;padding:2px 10px;border-radius:999px;font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.03em}
.tone-good{color:var(--good);background:var(--good-bg)}.tone-warn{color:var(--warn);background:var(--warn-bg)}.tone-bad{color:var(--bad);background:var(--bad-bg)}.tone-info{color:var(--info);background:var(--info-bg)}.tone-muted{color:var(--muted);background:var(--muted-bg)}
header.top .badge{font-size:13px}
.counts{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:12px}
section.left-down{border:2px solid var(--bad);border-radius:8px;padding:12px;background:var(--bad-bg)}
section.left-down h2{color:var(--bad)}.pill.bad{background:var(--bad);color:#fff}
.count{border-radius:8px;padding:14px 16px;border:1px solid var(--line)}
.count .n{font-size:28px;font-weight:700;line-height:1.1}.count .l{font-size:12px;text-transform:uppercase;letter-spacing:.05em;opacity:.85}
.pill{display:inline-block;min-width:22px;padding:0 7px;border-radius:999px;background:#d9e2ec;color:#243b53;font-size:12px;text-align:center}
.callout{padding:8px 10px;border-radius:6px;margin:8px 0 0}
.callout.warn{background:var(--warn-bg);color:#7a4a00}.callout.info{background:var(--info-bg)}.callout.bad{background:var(--bad-bg)}
ul.facts{margin:6px 0 0;padding-left:18px}
table{width:100%;border-collapse:collapse;background:var(--panel);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th{background:#f0f4f8;color:#334e68;text-align:left;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
th,td{padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}
tr:last-child td{border-bottom:0}
.res{font-weight:600;overflow-wrap:anywhere}.sub{color:var(--sub);font-size:12px}
td.msg{max-width:420px;overflow-wrap:anywhere;white-space:pre-wrap}
code.err{white-space:nowrap;overflow-wrap:normal}
details.skip-group{margin:0 0 10px}
details.skip-group summary{cursor:pointer;padding:8px 10px;background:var(--panel);border:1px solid var(--line);border-radius:6px;margin-bottom:6px}
.legend{display:flex;gap:18px;flex-wrap:wrap;color:var(--sub);font-size:12px;margin-bottom:8px;align-items:center}
.swatch{display:inline-block;width:14px;height:10px;border-radius:2px;margin-right:6px;vertical-align:middle}
.swatch.cycled{background:var(--good)}.swatch.failed{background:var(--bad)}.swatch.stopped{background:#fff;border:1.5px dashed var(--muted)}
.timeline-wrap{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px;overflow-x:auto}
svg.timeline{display:block;font-family:inherit}
svg .plot{fill:#fbfcfd}svg .stripe{fill:#f5f7fa;opacity:.6}
svg .grid{stroke:#e4e7eb;stroke-width:1}svg .axis{stroke:#9aa5b1;stroke-width:1}
svg .tick{font-size:11px;fill:#616e7c}svg .label{font-size:12px;fill:#243b53}svg .wave-name{font-size:11px;fill:#616e7c;font-style:italic}svg .wave-sep{stroke:#9aa5b1;stroke-width:1;stroke-dasharray:4 3}
.wave-detail details{margin:6px 0}.wave-detail summary{cursor:pointer;font-weight:600}
svg .bar-cycled{fill:var(--good)}svg .bar-failed{fill:var(--bad)}svg .bar-stopped{fill:#fff;stroke:var(--muted);stroke-width:1.5;stroke-dasharray:4 2}
.empty{color:var(--sub);font-style:italic;margin:0}
.note{color:var(--sub);font-size:12px}
ul.warnings{margin:0;padding-left:20px;background:var(--warn-bg);border-radius:8px;padding:10px 10px 10px 28px}
code.digest{font-size:11.5px}
footer{color:var(--sub);font-size:12px;padding:0 32px 24px}
a{color:var(--info)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
@media print{body{background:#fff}.timeline-wrap{overflow:visible}}
`;

/**
 * One self-contained report page: the head (a CSP that allows no script and no outside asset, the shared CSS), the
 * banner with what the page is about and its status, the sections, and the footer naming the audit record.
 */
export function reportPage(page: { title: string; brand: string; kind: string; id: string; status: string; sections: readonly string[]; footer: string; generatedAt: string | undefined }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${e(page.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header class="top"><div class="brand">${e(page.brand)}</div><h1><span>${e(page.kind)} <span class="runid">${e(page.id)}</span></span>${badge(page.status)}</h1></header>
<main>
${page.sections.join("\n")}
</main>
<footer>${e(page.footer)}${page.generatedAt === undefined ? "" : ` · generated ${formatTime(page.generatedAt)}`}</footer>
</body>
</html>
`;
}

export function renderRunReport(audited: AuditedRun, options: ReportOptions = {}): string {
  const r = audited.run;
  return reportPage({
    title: `Port 25 remediation · ${r.subscriptionId} · ${r.status}`,
    brand: "Port 25 remediation report",
    kind: "Run",
    id: r.runId,
    status: r.status,
    sections: [
      options.notice === undefined ? "" : `<section class="left-down" id="notice"><h2>${e(options.notice.title)}</h2><p class="callout bad">${e(options.notice.text)}</p></section>`,
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
