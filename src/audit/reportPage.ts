/**
 * What the run report and the campaign report share: a single self-contained page (inline CSS, no script, no
 * external asset), its styles, and the helpers that render values in it. Every value from the audit is
 * HTML-escaped: resource names, tags and messages come from the subscription and may contain markup.
 */
import type { ReasonCode, ResourceOutcome } from "../contracts/outcome";
import type { Attestation } from "../contracts/remediation";
import type { Decision } from "../contracts/events";

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
export function auditLink(
  kind: "runs" | "campaigns",
  id: string,
  options: ReportOptions,
  format: "html" | "json" = "html",
): string {
  if (options.files === true && format === "html")
    return `port25-${kind === "campaigns" ? "campaign-" : ""}${encodeURIComponent(id)}.html`;
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
  return e(
    `${new Date(ms)
      .toISOString()
      .replace("T", " ")
      .replace(/\.\d+Z$/, "")
      .replace(/Z$/, "")} UTC`,
  );
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

/** When it started and ended, and how long it took once both are known. */
export function periodRows(startedAt: string | undefined, endedAt: string | undefined): string {
  const started = parseTime(startedAt);
  const ended = parseTime(endedAt);
  return [
    row("Started", formatTime(startedAt)),
    row("Ended", formatTime(endedAt)),
    started !== undefined && ended !== undefined ? row("Duration", e(formatDuration(ended - started))) : "",
  ].join("");
}

/** Who cancelled, and when; nothing when nobody did. */
export function cancellationRow(cancellation: Decision | undefined): string {
  return cancellation === undefined
    ? ""
    : row(
        "Cancelled by",
        `${e(cancellation.by)} at ${formatTime(cancellation.at)}${cancellation.unverified ? " (unverified: authentication was off)" : ""}`,
      );
}

export function resourceCell(o: ResourceOutcome): string {
  const kind = o.kind === "scaleSet" ? "scale set" : o.kind === "vnet" ? "VNet" : "VM";
  return `<td><div class="res" title="${e(o.resourceId)}">${e(o.name)}</div><div class="sub">${e(kind)} · ${e(o.resourceGroup)}</div></td>`;
}

export function renderAttestation(a: Attestation, note = ""): string {
  return `<div class="panel"><h2>Exemption attestation</h2><dl>${row("Reference", e(a.reference))}${row("Approved by", e(a.approvedBy))}${row(
    "Approved at",
    formatTime(a.approvedAt),
  )}</dl>${note}</div>`;
}

export function renderWarnings(warnings: readonly string[]): string {
  if (warnings.length === 0) return "";
  return `<section><h2>Warnings <span class="pill">${warnings.length}</span></h2><ul class="warnings">${warnings.map((w) => `<li>${e(w)}</li>`).join("")}</ul></section>`;
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
export function reportPage(page: {
  title: string;
  brand: string;
  kind: string;
  id: string;
  status: string;
  sections: readonly string[];
  footer: string;
  generatedAt: string | undefined;
}): string {
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
