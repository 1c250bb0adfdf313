/**
 * The run report's timeline (one bar per power-cycled VM and scale set; above a size, one row per lane of each wave,
 * or per wave when lanes are not recorded or too many) and its scale sets' instances, before and after the run.
 */
import type { ResourceOutcome } from "../contracts/outcome";
import { plural } from "../contracts/plural";
import { badge, escapeHtml as e, formatDuration, parseTime, resourceCell } from "./reportPage";
import { clip } from "../contracts/textLimits";

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

const TICK_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map(
  (s) => s * 1000,
);

function tickStep(rangeMs: number): number {
  return TICK_STEPS_MS.find((step) => rangeMs / step <= 8) ?? 86_400_000 * Math.ceil(rangeMs / (8 * 86_400_000));
}

function tickLabel(ms: number, withDate: boolean): string {
  const iso = new Date(ms).toISOString();
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 19);
}

/** A timeline row's label: the name is cut so that the row keeps to one line. */
const LABEL_NAME_LENGTH = 30;

/**
 * How a bar is drawn: a VM that was stopped before the run ends stopped (restoreStoppedVms) or deallocated, not
 * running: cycled as planned, but drawn apart so that nobody reads it as "back up".
 */
function barKind(o: ResourceOutcome): "cycled" | "stopped" | "failed" | "skipped" {
  if (o.outcome === "cycled" && o.kind === "vm" && o.stateAfter !== undefined && o.stateAfter !== "running")
    return "stopped";
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

export function renderScaleSets(outcomes: readonly ResourceOutcome[], restoreStoppedVms: boolean): string {
  const sets = outcomes.filter((o) => o.kind === "scaleSet" && o.outcome !== "skipped");
  if (sets.length === 0) return "";
  const rows = sets
    .map((o) => {
      const states = instanceStates(o, restoreStoppedVms);
      const cells =
        states.length === 0
          ? "—"
          : states
              .map(
                (s) =>
                  `<span class="instance" data-instance="${e(s.id)}" data-state-after="${e(s.after)}"><code>${e(s.id)}</code> ${e(s.before)} → <strong>${e(s.after)}</strong></span>`,
              )
              .join("<br>");
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

/** The spans of one wave by lane, in plan order ("w1l2" before "w1l10"); empty when the outcomes name no lane. */
function byLane(spans: readonly Span[]): { lane: string; spans: Span[] }[] {
  if (spans.some((s) => s.outcome.lane === undefined)) return [];
  const groups = new Map<string, Span[]>();
  for (const s of spans) {
    const lane = s.outcome.lane ?? "";
    groups.set(lane, [...(groups.get(lane) ?? []), s]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
    .map(([lane, list]) => ({ lane, spans: list }));
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

export function renderTimeline(outcomes: readonly ResourceOutcome[], restoreStoppedVms: boolean): string {
  const spans = timelineSpans(outcomes);
  const untimed = outcomes.filter(
    (o) =>
      o.kind !== "vnet" &&
      o.outcome === "cycled" &&
      (parseTime(o.startedAt) === undefined || parseTime(o.endedAt) === undefined),
  ).length;
  const note =
    untimed > 0
      ? `<p class="note">${plural(untimed, "cycled resource")} reported no start or end time and ${untimed === 1 ? "is" : "are"} not drawn.</p>`
      : "";
  if (spans.length === 0) return `<p class="empty">No VM or scale set was power-cycled in this run.</p>${note}`;

  const waves = byWave(spans);
  const aggregate = spans.length > TIMELINE_AGGREGATE_ABOVE;
  // Above the size, a wave is drawn lane by lane (the plan's lanes run side by side, each serial), unless the
  // outcomes predate lanes or there are so many lanes that their rows would be as unreadable as the bars.
  const lanes = waves.map((w) => byLane(w.spans));
  const perLane =
    aggregate &&
    lanes.every((l) => l.length > 0) &&
    lanes.reduce((n, l) => n + l.length, 0) <= TIMELINE_AGGREGATE_ABOVE;
  const groupRow = (
    label: string,
    what: string,
    group: readonly Span[],
    attrs: string,
  ): Omit<TimelineRow, "waveStart"> => {
    const kinds = group.map((x) => barKind(x.outcome));
    const failed = kinds.filter((k) => k === "failed").length;
    const parked = kinds.filter((k) => k === "stopped").length;
    const start = Math.min(...group.map((x) => x.start));
    const end = Math.max(...group.map((x) => x.end));
    const counts = [
      `${group.length - failed - parked} running again`,
      ...(parked > 0 ? [`${parked} left ${restoreStoppedVms ? "stopped" : "deallocated"}`] : []),
      ...(failed > 0 ? [`${failed} failed`] : []),
    ].join(", ");
    return {
      label: `${label} · ${plural(group.length, "resource")}`,
      title: `${what}: ${plural(group.length, "resource")} (${counts}), ${new Date(start).toISOString()} → ${new Date(end).toISOString()}, ${formatDuration(end - start)}`,
      start,
      end,
      kind: failed > 0 ? "failed" : "cycled",
      attrs: `${attrs} data-resources="${group.length}"`,
    };
  };
  const rows: TimelineRow[] = [];
  for (const [wi, w] of waves.entries()) {
    if (perLane) {
      (lanes[wi] ?? []).forEach((l, i) => {
        rows.push({
          ...groupRow(
            `lane ${l.lane}`,
            `${waveName(w.wave)}, lane ${l.lane}`,
            l.spans,
            ` data-wave="${e(waveName(w.wave))}" data-lane="${e(l.lane)}"`,
          ),
          ...(i === 0 ? { waveStart: waveName(w.wave) } : {}),
        });
      });
      continue;
    }
    if (aggregate) {
      rows.push(groupRow(waveName(w.wave), waveName(w.wave), w.spans, ` data-wave="${e(waveName(w.wave))}"`));
      continue;
    }
    w.spans.forEach((sp, i) => {
      const o = sp.outcome;
      const what = `${o.kind === "scaleSet" ? "scale set" : "VM"} ${o.name} (${o.resourceGroup})`;
      const title = `${what}: ${o.outcome}${o.reasonCode === undefined ? "" : ` (${o.reasonCode})`}, ${new Date(sp.start).toISOString()} → ${new Date(sp.end).toISOString()}, ${formatDuration(sp.end - sp.start)}${o.wave === undefined ? "" : `, wave ${o.wave}`}${o.lane === undefined ? "" : `, lane ${o.lane}`}`;
      const instances = o.kind === "scaleSet" ? instanceStates(o, restoreStoppedVms) : [];
      rows.push({
        label: `${o.canary === true ? "★ " : ""}${clip(o.name, LABEL_NAME_LENGTH)}${o.kind === "scaleSet" ? " (scale set)" : ""}`,
        title:
          instances.length === 0
            ? title
            : `${title}; instances: ${instances.map((x) => `${x.id} ${x.after}`).join(", ")}`,
        start: sp.start,
        end: sp.end,
        kind: barKind(o),
        attrs: ` data-outcome="${e(o.outcome)}" data-resource="${e(o.resourceId)}"${o.stateAfter === undefined ? "" : ` data-state-after="${e(o.stateAfter)}"`}${o.lane === undefined ? "" : ` data-lane="${e(o.lane)}"`}`,
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
  const withDate =
    t1 - t0 >= 86_400_000 || new Date(t0).toISOString().slice(0, 10) !== new Date(t1).toISOString().slice(0, 10);

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
    if (r.waveStart !== undefined && i > 0)
      parts.push(
        `<line class="wave-sep" x1="0" x2="${width}" y1="${y}" y2="${y}"><title>${e(r.waveStart)}</title></line>`,
      );
    if (r.waveStart !== undefined)
      parts.push(
        `<text class="wave-name" x="${labelW + chartW + 16}" y="${(y + rowH / 2 + 4).toFixed(1)}" text-anchor="end">${e(r.waveStart)}</text>`,
      );
    parts.push(
      `<text class="label" x="${labelW - 8}" y="${(y + rowH / 2 + 4).toFixed(1)}" text-anchor="end">${e(r.label)}</text>`,
    );
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
    parked > 0
      ? `<span><i class="swatch stopped"></i>stopped before the run: deallocated, left ${restoreStoppedVms ? "stopped" : "deallocated"} (${parked})</span>`
      : ""
  }<span><i class="swatch failed"></i>failed (${failed})</span><span>★ canary</span><span>${
    perLane
      ? `One row per lane of each wave (${plural(spans.length, "bar")} would be too many to read); each wave's resources are listed below.`
      : aggregate
        ? `One row per wave (${plural(spans.length, "bar")} would be too many to read); each wave's resources are listed below.`
        : "Bars run from the first power operation to the final state (UTC)."
  }</span></div>`;
  const detail = aggregate
    ? `<div class="wave-detail">${waves
        .map(
          (w) =>
            `<details data-wave="${e(waveName(w.wave))}"><summary>${e(waveName(w.wave))}: ${plural(w.spans.length, "resource")}</summary><table><thead><tr><th>Resource</th><th>Result</th>${perLane ? "<th>Lane</th>" : ""}<th>Start (UTC)</th><th>Took</th></tr></thead><tbody>${w.spans
              .map(
                (sp) =>
                  `<tr>${resourceCell(sp.outcome)}<td>${badge(sp.outcome.outcome)}</td>${perLane ? `<td>${e(sp.outcome.lane ?? "")}</td>` : ""}<td>${e(new Date(sp.start).toISOString().slice(11, 19))}</td><td>${e(formatDuration(sp.end - sp.start))}</td></tr>`,
              )
              .join("")}</tbody></table></details>`,
        )
        .join("")}</div>`
    : "";
  return `${legend}<div class="timeline-wrap"><svg class="timeline" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Power-cycle timeline${perLane ? ", per lane" : aggregate ? ", per wave" : ""}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${parts.join("")}</svg></div>${detail}${note}`;
}
