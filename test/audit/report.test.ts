import { describe, expect, it } from "vitest";
import { escapeHtml, formatDuration, renderRunReport, timelineSpans } from "../../src/audit/report";
import { planDigest } from "../../src/audit/runStore";
import type { AuditedRun } from "../../src/contracts/audit";
import type { ResourceOutcome } from "../../src/contracts/outcome";
import { auditedFrom, outcomesFor, planFor, runResult } from "./fixtures";

const count = (html: string, pattern: RegExp): number => (html.match(new RegExp(pattern.source, "g")) ?? []).length;

const INJECTION = `"><img src=x onerror=alert(1)><script>alert('x')</script>`;

describe("renderRunReport", () => {
  it("draws one bar per VM or scale set that was power-cycled, and none for skips or VNets", () => {
    const result = runResult({ vms: 40 });
    const html = renderRunReport(auditedFrom(result));
    const cycled = result.outcomes.filter((o) => o.outcome === "cycled" && o.kind !== "vnet");
    const failed = result.outcomes.filter((o) => o.outcome === "failed");
    expect(cycled.length).toBeGreaterThan(20);
    expect(failed.length).toBeGreaterThan(0);
    expect(count(html, /<rect class="bar bar-cycled"/)).toBe(cycled.length);
    expect(count(html, /<rect class="bar bar-failed"/)).toBe(failed.length);
    expect(count(html, /<rect class="bar /)).toBe(cycled.length + failed.length);
    for (const o of cycled) expect(html).toContain(`data-resource="${escapeHtml(o.resourceId)}"`);
    const skippedVm = result.outcomes.find((o) => o.outcome === "skipped" && o.kind === "vm");
    expect(skippedVm).toBeDefined();
    expect(html).not.toContain(`data-resource="${escapeHtml(skippedVm?.resourceId ?? "")}"`);
  });

  it("places bars in time order with widths proportional to their durations", () => {
    const t = (s: number): string => new Date(Date.parse("2026-11-26T10:00:00Z") + s * 1000).toISOString();
    const vm = (name: string, start: number, end: number): ResourceOutcome => ({
      resourceId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${name}`,
      kind: "vm",
      name,
      resourceGroup: "rg",
      outcome: "cycled",
      actions: [],
      startedAt: t(start),
      endedAt: t(end),
    });
    const outcomes = [vm("late", 300, 400), vm("early", 0, 200)];
    expect(timelineSpans(outcomes).map((s) => s.outcome.name)).toEqual(["early", "late"]);
    const html = renderRunReport(auditedFrom(runResult({ outcomes })));
    const bars = [...html.matchAll(/<rect class="bar bar-cycled"[^>]* x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map(
      (m) => ({
        x: Number(m[1]),
        w: Number(m[2]),
      }),
    );
    expect(bars).toHaveLength(2);
    const [early, late] = bars;
    if (early === undefined || late === undefined) throw new Error("bars missing");
    expect(early.w / late.w).toBeCloseTo(2, 1);
    expect(late.x).toBeCloseTo(early.x + 1.5 * early.w, 0);
  });

  it("draws a large run lane by lane within each wave, a failed lane marked, and falls back to waves for outcomes without lanes", () => {
    // 400 VMs: above the size where bars give way to rows. Lanes as the plan names them, four per wave.
    const outcomes = outcomesFor("11111111-2222-3333-4444-555555555555", 400).map((o, i) => ({
      ...o,
      lane: `w${o.wave ?? 0}l${i % 4}`,
    }));
    const drawn = timelineSpans(outcomes);
    const lanes = new Set(drawn.map((sp) => sp.outcome.lane));
    const html = renderRunReport(auditedFrom(runResult({ outcomes })));
    expect(count(html, /<rect class="bar /)).toBe(lanes.size);
    for (const lane of lanes) expect(html).toContain(`data-lane="${lane ?? "?"}"`);
    // Each lane's row counts its own resources, and is drawn failed when one of them failed.
    const rows = [
      ...html.matchAll(
        /<rect class="bar bar-(\w+)" data-wave="wave (\d+)" data-lane="([^"]+)" data-resources="(\d+)"/g,
      ),
    ];
    expect(rows).toHaveLength(lanes.size);
    for (const [, kind, wave, lane, resources] of rows) {
      const mine = drawn.filter((sp) => sp.outcome.lane === lane);
      expect(mine.every((sp) => String(sp.outcome.wave) === wave)).toBe(true);
      expect(Number(resources)).toBe(mine.length);
      expect(kind).toBe(mine.some((sp) => sp.outcome.outcome === "failed") ? "failed" : "cycled");
    }
    // Lanes of a wave in plan order, each wave named once above its first lane.
    expect(rows.map((r) => r[3]).slice(0, 4)).toEqual(["w1l0", "w1l1", "w1l2", "w1l3"]);
    expect(count(html, /<text class="wave-name"/)).toBe(new Set(drawn.map((sp) => sp.outcome.wave)).size);
    expect(html).toContain("One row per lane of each wave");

    // Records written before outcomes named their lane: one row per wave, as before.
    const first = outcomes[0];
    if (first === undefined) throw new Error("no outcomes");
    const { lane: _dropped, ...unlaned } = first;
    const older = renderRunReport(auditedFrom(runResult({ outcomes: [unlaned, ...outcomes.slice(1)] })));
    expect(count(older, /<rect class="bar /)).toBe(new Set(drawn.map((sp) => sp.outcome.wave)).size);
    expect(older).not.toContain("data-lane=");
  });

  it("escapes every value that comes from the subscription or the request", () => {
    const outcomes = outcomesFor("11111111-2222-3333-4444-555555555555", 12).map((o, i) =>
      i === 0 ? { ...o, name: INJECTION } : i === 3 ? { ...o, message: INJECTION } : o,
    );
    outcomes.push({
      resourceId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/bad",
      kind: "vm",
      name: "bad",
      resourceGroup: INJECTION,
      outcome: "failed",
      reasonCode: "operationFailed",
      errorCode: INJECTION,
      message: INJECTION,
      actions: [],
    });
    const result = runResult({
      outcomes,
      warnings: [INJECTION],
      message: INJECTION,
      input: { requestedBy: INJECTION, runId: INJECTION },
    });
    result.input.attestation = { ...result.input.attestation, approvedBy: INJECTION, reference: INJECTION };
    result.classification = { ...result.classification, reason: INJECTION, warning: INJECTION, decidedBy: [INJECTION] };
    const html = renderRunReport(auditedFrom(result));

    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain("onerror=alert(1)>");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    // The injection string reaches the page as text in each place it was put.
    expect(count(html, /&lt;img src=x/)).toBeGreaterThanOrEqual(12);
  });

  it("is self-contained: no script, no external stylesheet, image, font or frame", () => {
    const html = renderRunReport(auditedFrom(runResult({ vms: 10 })));
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)=/i);
    // The only URL is the SVG namespace, which is not fetched.
    expect([...html.matchAll(/https?:\/\/[^"\s<]+/g)].map((m) => m[0])).toEqual(["http://www.w3.org/2000/svg"]);
  });

  it("groups skips by reason with counts and messages, and lists failures with error codes", () => {
    const result = runResult({ vms: 40 });
    const html = renderRunReport(auditedFrom(result));
    const group = (reason: string): string => {
      const m = new RegExp(`<details class="skip-group" data-reason="${reason}"[\\s\\S]*?</details>`).exec(html);
      if (m === null) throw new Error(`no group ${reason}`);
      return m[0];
    };
    const dealloc = result.outcomes.filter((o) => o.reasonCode === "alreadyDeallocated");
    expect(group("alreadyDeallocated")).toContain(`<span class="pill">${dealloc.length}</span>`);
    expect(count(group("alreadyDeallocated"), /<tr><td>/)).toBe(dealloc.length);
    expect(group("managedResourceGroup")).toContain("managed by AKS cluster aks-7");
    expect(group("noFreeSubnetRange")).toContain("no free /29 in 10.1.0.0/24");

    const failures = result.outcomes.filter((o) => o.outcome === "failed");
    expect(count(html, /<tr class="failure">/)).toBe(failures.length);
    expect(html).toContain('<code class="err">AllocationFailed</code>');
    expect(html).toContain("We do not have sufficient capacity");
  });

  it("shows the summary: status, classification, attestation, who and when, counts, canary and subnet refresh", () => {
    const result = runResult({ vms: 20 });
    const html = renderRunReport(auditedFrom(result), { generatedAt: "2026-11-26T12:00:00Z" });
    expect(html).toContain("completed with failures");
    expect(html).toContain("agreement EnterpriseAgreement + workload DevTest");
    expect(html).toContain("REQ-2024-0042");
    expect(html).toContain("ops.lead@example.com");
    expect(html).toContain("alice@example.com");
    expect(html).toContain("2026-11-26 10:00:00 UTC");
    expect(html).toContain(`<div class="n">${result.summary.counts.cycled}</div><div class="l">cycled</div>`);
    expect(html).toContain("TCP 25 connected in 41 ms");
    expect(html).toMatch(/<tr class="vnet">.*vnet-hub.*added and removed.*port25-temp-1a2b 10\.0\.255\.248\/29/);
    expect(html).toMatch(/<tr class="vnet">.*vnet-spoke.*No free address range/);
    expect(html).toContain(
      planDigest(
        result.plan ??
          (() => {
            throw new Error("no plan");
          })(),
      ).sha256,
    );
    expect(html).toContain("generated 2026-11-26 12:00:00 UTC");
  });

  it("says which availability sets the plan warned may have no member running, and says nothing when none", () => {
    const setOutages = [
      {
        availabilitySetId:
          "/subscriptions/x/resourceGroups/rg-batch/providers/Microsoft.Compute/availabilitySets/avset-1",
        name: "avset-1",
        resourceGroup: "rg-batch",
        members: 7,
        notRunningBefore: 2,
        runningCycled: 5,
      },
    ];
    const warned = renderRunReport(auditedFrom(runResult({ vms: 3, plan: { ...planFor(5), setOutages } })));
    expect(warned).toContain("No member running while cycled");
    expect(warned).toContain(
      "rg-batch/avset-1 (its 5 running members may be down together, 2 of 7 not running before the run)",
    );
    expect(renderRunReport(auditedFrom(runResult({ vms: 3 })))).not.toContain("No member running while cycled");
  });

  it("renders a run that is still running, before any outcome exists", () => {
    const { run } = auditedFrom(runResult({ vms: 3 }));
    const running: AuditedRun = {
      run: { ...run, status: "running", summary: undefined, classification: undefined, plan: undefined },
      outcomes: [],
    };
    const html = renderRunReport(running);
    expect(html).toContain(">running</span>");
    expect(html).toContain("No VM or scale set was power-cycled in this run.");
    expect(count(html, /<rect class="bar /)).toBe(0);
  });

  it("formats durations for people", () => {
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(125_000)).toBe("2 min 05 s");
    expect(formatDuration(3_780_000)).toBe("1 h 03 min");
  });
});
