import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { z } from "zod";
import { decodePng, launchChromium, pixelStats, type Browser } from "../support/browser";
import { renderRunReport } from "../../src/audit/report";
import { renderCampaignReport } from "../../src/audit/campaignReport";
import { auditedFrom, outcomesFor, runResult, SUB_A } from "./fixtures";
import { campaignMembers, campaignRecord } from "./campaignFixtures";

// Launched on first use inside a test, so a missing Chromium fails every test by name rather than skipping them.
let launched: Promise<Browser> | undefined;
const browser = (): Promise<Browser> => (launched ??= launchChromium());
afterAll(async () => {
  if (launched !== undefined) await (await launched).close();
});

interface Loaded {
  page: Page;
  requests: string[];
  problems: string[];
}

/** Opens the HTML as the page's document, recording any request it makes and any error it logs. */
async function open(html: string): Promise<Loaded> {
  const page = await (await browser()).context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
  await page.setContent(html, { waitUntil: "load" });
  return { page, requests, problems };
}

describe("HTML run report in Chromium", () => {
  it("renders with one timeline bar per power-cycled VM and scale set, and a non-blank screenshot", async () => {
    const result = runResult({ vms: 60 });
    const html = renderRunReport(auditedFrom(result), { generatedAt: "2026-11-26T12:00:00Z" });
    const { page, requests, problems } = await open(html);
    try {
      const cycled = result.outcomes
        .filter((o) => o.outcome === "cycled" && o.kind !== "vnet")
        .map((o) => o.resourceId);
      const failed = result.outcomes.filter((o) => o.outcome === "failed").map((o) => o.resourceId);

      expect(await page.title()).toContain("Port 25 remediation");
      expect(await page.locator("svg.timeline").count()).toBe(1);
      const bars: { id: string | null; outcome: string | null; w: number; h: number; y: number }[] = [];
      for (const bar of await page.locator("svg.timeline rect.bar").all()) {
        const box = await bar.boundingBox();
        if (box === null) throw new Error("a timeline bar is not laid out");
        bars.push({
          id: await bar.getAttribute("data-resource"),
          outcome: await bar.getAttribute("data-outcome"),
          w: box.width,
          h: box.height,
          y: box.y,
        });
      }
      expect(
        bars
          .filter((b) => b.outcome === "cycled")
          .map((b) => b.id)
          .sort(),
      ).toEqual([...cycled].sort());
      expect(
        bars
          .filter((b) => b.outcome === "failed")
          .map((b) => b.id)
          .sort(),
      ).toEqual([...failed].sort());
      // Laid out, visible, one per row.
      for (const b of bars) {
        expect(b.w).toBeGreaterThan(0);
        expect(b.h).toBeGreaterThan(0);
      }
      expect(new Set(bars.map((b) => Math.round(b.y))).size).toBe(bars.length);
      const fillOf = async (selector: string): Promise<string> =>
        z
          .string()
          .parse(await page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).fill`));
      const cycledFill = await fillOf("svg.timeline rect.bar-cycled");
      const failedFill = await fillOf("svg.timeline rect.bar-failed");
      expect(cycledFill).not.toBe(failedFill);

      expect(await page.locator("details.skip-group").count()).toBe(3);
      expect(await page.locator("tr.failure").count()).toBe(failed.length);
      expect(await page.locator("tr.vnet").count()).toBe(2);
      expect(await page.locator("text=TCP 25 connected in 41 ms").count()).toBe(1);

      // Self-contained: the page fetched nothing and the policy refused nothing.
      expect(requests.filter((u) => !u.startsWith("about:") && !u.startsWith("data:"))).toEqual([]);
      expect(problems).toEqual([]);

      const shot = await page.screenshot({ fullPage: true });
      if (process.env.PORT25_SCREENSHOT_DIR !== undefined)
        writeFileSync(join(process.env.PORT25_SCREENSHOT_DIR, "report.png"), shot);
      const stats = pixelStats(decodePng(shot));
      expect(stats.distinctColours).toBeGreaterThan(50);
      expect(stats.nonBackgroundShare).toBeGreaterThan(0.05);
      expect(stats.luminanceStdDev).toBeGreaterThan(10);
    } finally {
      await page.close();
    }
  });

  it("tells a blank page from a rendered one (the screenshot check is not vacuous)", async () => {
    const { page } = await open("<!doctype html><html><body style='background:#fff'></body></html>");
    try {
      const stats = pixelStats(decodePng(await page.screenshot()));
      expect(stats.distinctColours).toBe(1);
      expect(stats.nonBackgroundShare).toBe(0);
    } finally {
      await page.close();
    }
  });

  it("shows markup in resource names as text and runs none of it", async () => {
    const hostile = `<img src=x onerror="document.title='pwned'"><b>bold</b>`;
    const outcomes = outcomesFor(SUB_A, 5).map((o, i) => (i === 1 ? { ...o, name: hostile, message: hostile } : o));
    const html = renderRunReport(auditedFrom(runResult({ outcomes, message: hostile })));
    const { page, requests } = await open(html);
    try {
      expect(await page.locator("img").count()).toBe(0);
      expect(await page.locator("b").count()).toBe(0);
      expect(await page.title()).not.toContain("pwned");
      const labels = await page.locator("svg.timeline text.label").allTextContents();
      expect(labels.some((l) => l.startsWith("<img src=x"))).toBe(true);
      expect(requests.filter((u) => !u.startsWith("about:") && !u.startsWith("data:"))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("renders a campaign's report: the left-down section first, a row and a run link per subscription, markup shown as text", async () => {
    const hostile = `<img src=x onerror="document.title='pwned'"><b>bold</b>`;
    const members = campaignMembers().map((m, i) => (i === 2 ? { ...m, displayName: hostile, reason: hostile } : m));
    const record = campaignRecord({ members });
    const html = renderCampaignReport(
      {
        campaignId: record.input.campaignId,
        status: record.summary.status,
        input: record.input,
        summary: record.summary,
      },
      { generatedAt: "2026-11-26T12:00:00Z" },
    );
    const { page, requests, problems } = await open(html);
    try {
      expect(await page.title()).toContain("Port 25 remediation campaign");
      expect(await page.locator("tr.member").count()).toBe(members.length);
      const links: (string | null)[] = [];
      for (const a of await page.locator("a.run-link").all()) links.push(await a.getAttribute("href"));
      expect(links).toEqual(members.flatMap((m) => (m.runId === undefined ? [] : [`../runs/${m.runId}?format=html`])));
      // The left-down section is laid out above the counts, and drawn in the alarm colour.
      const leftDown = await page.locator("section.left-down").boundingBox();
      const counts = await page.locator("div.counts").first().boundingBox();
      if (leftDown === null || counts === null) throw new Error("sections not laid out");
      expect(leftDown.y).toBeLessThan(counts.y);
      const border = z
        .string()
        .parse(await page.evaluate(`getComputedStyle(document.querySelector("section.left-down")).borderTopColor`));
      expect(border).toBe("rgb(198, 40, 40)");
      expect(await page.locator("img").count()).toBe(0);
      expect(await page.locator("b").count()).toBe(0);
      expect(await page.title()).not.toContain("pwned");
      expect(await page.locator("tr.member", { hasText: "<b>bold</b>" }).count()).toBe(1);
      expect(requests.filter((u) => !u.startsWith("about:") && !u.startsWith("data:"))).toEqual([]);
      expect(problems).toEqual([]);
      const shot = await page.screenshot({ fullPage: true });
      if (process.env.PORT25_SCREENSHOT_DIR !== undefined)
        writeFileSync(join(process.env.PORT25_SCREENSHOT_DIR, "campaign-report.png"), shot);
      const stats = pixelStats(decodePng(shot));
      expect(stats.distinctColours).toBeGreaterThan(50);
      expect(stats.nonBackgroundShare).toBeGreaterThan(0.05);
    } finally {
      await page.close();
    }
  });
});

describe("HTML run report at 1,000 VMs, in Chromium", () => {
  it("keeps the timeline short and legible: one row per wave, every label at 11px or more, each wave's resources a click away", async () => {
    const result = runResult({ vms: 1000 });
    const drawn = result.outcomes.filter(
      (o) => o.kind !== "vnet" && o.outcome !== "skipped" && o.startedAt !== undefined && o.endedAt !== undefined,
    );
    const waves = new Set(drawn.map((o) => o.wave));
    const html = renderRunReport(auditedFrom(result), { generatedAt: "2026-11-26T12:00:00Z" });
    const { page, problems } = await open(html);
    try {
      const svg = await page.locator("svg.timeline").boundingBox();
      if (svg === null) throw new Error("the timeline is not laid out");
      // One 20-pixel row per wave (not one per VM: 1,000 rows would be 20,000 pixels high).
      expect(await page.locator("svg.timeline rect.bar").count()).toBe(waves.size);
      expect(svg.height).toBeLessThanOrEqual(60 + waves.size * 20);
      const sizes = z
        .array(z.number())
        .parse(
          await page.evaluate(
            `[...document.querySelectorAll("svg.timeline text")].map((n) => parseFloat(getComputedStyle(n).fontSize))`,
          ),
        );
      expect(sizes.length).toBeGreaterThan(0);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
      // Every drawn resource is listed under its wave, closed until clicked.
      expect(await page.locator(".wave-detail details").count()).toBe(waves.size);
      expect(await page.locator(".wave-detail details tbody tr").count()).toBe(drawn.length);
      const first = page.locator(".wave-detail details").first();
      expect(await first.locator("tbody tr").first().isVisible()).toBe(false);
      await first.locator("summary").click();
      expect(await first.locator("tbody tr").first().isVisible()).toBe(true);
      // The legend's cycled count is the tile's.
      const tile = await page.locator(".count.tone-good .n").first().textContent();
      expect(await page.locator(".legend").textContent()).toContain(`cycled: ${tile ?? "?"}`);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("never breaks an error code inside a word", async () => {
    const result = runResult({ vms: 60 });
    const failed = result.outcomes.find((o) => o.outcome === "failed");
    if (failed === undefined) throw new Error("the fixture has no failure");
    failed.errorCode = "OperationNotAllowedOnAVeryLongErrorCodeName";
    const { page } = await open(renderRunReport(auditedFrom(result)));
    try {
      await page.setViewportSize({ width: 700, height: 900 });
      const code = page.locator("code.err", { hasText: "OperationNotAllowedOnAVeryLongErrorCodeName" }).first();
      const lineHeight = z
        .number()
        .parse(await page.evaluate(`parseFloat(getComputedStyle(document.querySelector("code.err")).fontSize) * 1.45`));
      const box = await code.boundingBox();
      if (box === null) throw new Error("the error code is not laid out");
      expect(box.height).toBeLessThan(lineHeight * 1.9);
    } finally {
      await page.close();
    }
  });
});
