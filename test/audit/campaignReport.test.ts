import { describe, expect, it } from "vitest";
import { renderCampaignReport } from "../../src/audit/campaignReport";
import { escapeHtml, renderRunReport } from "../../src/audit/report";
import { runSummaryOf, runRecordOf } from "../../src/audit/runStore";
import type { AuditedCampaign } from "../../src/contracts/audit";
import { campaignInstanceId, type CampaignRecord } from "../../src/contracts/campaign";
import { campaignInput, campaignMembers, campaignRecord, CAMPAIGN_SUBS } from "./campaignFixtures";
import { auditedFrom, runResult } from "./fixtures";

const INJECTION = `"><img src=x onerror=alert(1)><script>alert('x')</script>`;

const audited = (record: CampaignRecord): AuditedCampaign => ({
  campaignId: record.input.campaignId,
  status: record.summary.status,
  input: record.input,
  summary: record.summary,
});

/** The number on the count card of a member state ("done", "notExemptible", …). */
function stateCount(html: string, state: string): number | undefined {
  const m = new RegExp(`<div class="count [^"]*" data-state="${state}"><div class="n">(\\d+)</div>`).exec(html);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** The number on a count card by its label ("cycled", "left down", …). */
function cardCount(html: string, label: string): number[] {
  return [...html.matchAll(new RegExp(`<div class="n">(\\d+)</div><div class="l">${label}</div>`, "g"))].map((m) =>
    Number(m[1]),
  );
}

describe("renderCampaignReport", () => {
  it("counts subscriptions by state and sums every run's resources, left down included", () => {
    const html = renderCampaignReport(audited(campaignRecord()));
    expect(stateCount(html, "done")).toBe(2);
    expect(stateCount(html, "notExemptible")).toBe(1);
    expect(stateCount(html, "nothingToDo")).toBe(1);
    expect(stateCount(html, "alreadyRunning")).toBe(1);
    expect(stateCount(html, "cancelled")).toBe(1);
    expect(stateCount(html, "pending")).toBeUndefined();
    expect(cardCount(html, "subscriptions")).toEqual([6]);
    expect(cardCount(html, "cycled")).toEqual([15]);
    expect(cardCount(html, "skipped")).toEqual([3]);
    expect(cardCount(html, "failed")).toEqual([2]);
    expect(cardCount(html, "left down")).toEqual([1]);
  });

  it("puts the subscriptions whose runs left resources down first, loudly, with a link to the run", () => {
    const html = renderCampaignReport(audited(campaignRecord()));
    const section = /<section class="left-down" id="left-down">(.*?)<\/section>/s.exec(html)?.[1] ?? "";
    expect(section).toContain("Left down by this campaign");
    expect(section).toContain("One resource was taken down");
    expect(section).toContain(CAMPAIGN_SUBS[1]);
    expect(section).not.toContain(CAMPAIGN_SUBS[0]);
    expect(section).toContain(`href="../runs/camp-0001-aaaaaaaa-1?format=html"`);
    expect(html.indexOf('id="left-down"')).toBeLessThan(html.indexOf("Resources, every run summed"));

    const calm = campaignMembers().map((m) =>
      m.counts === undefined ? m : { ...m, counts: { ...m.counts, leftDown: 0 } },
    );
    const quiet = renderCampaignReport(audited(campaignRecord({ members: calm })));
    expect(quiet).not.toContain('id="left-down"');
    expect(cardCount(quiet, "left down")).toEqual([]);
  });

  it("lists every subscription with its state, why it was left alone, its run's status and counts, and a link to the run's report", () => {
    const record = campaignRecord();
    const html = renderCampaignReport(audited(record));
    const rows = [
      ...html.matchAll(/<tr class="member" data-subscription="([^"]+)" data-state="([^"]+)">(.*?)<\/tr>/gs),
    ];
    expect(rows.map((r) => [r[1], r[2]])).toEqual(record.summary.members.map((m) => [m.subscriptionId, m.state]));
    const rowOf = (i: number): string => rows[i]?.[3] ?? "";
    expect(rowOf(0)).toContain("Dev/Test Team A");
    expect(rowOf(0)).toContain("10 cycled, 2 skipped, 0 failed");
    expect(rowOf(0)).toContain(
      `<a class="run-link" href="../runs/camp-0001-11111111-0?format=html">camp-0001-11111111-0</a>`,
    );
    expect(rowOf(1)).toContain("1 left down");
    expect(rowOf(1)).toContain("completed with failures");
    expect(rowOf(2)).toContain("blocked, not exemptible");
    expect(rowOf(2)).toContain("not a Dev/Test subscription");
    expect(rowOf(2)).toContain("Use an authenticated SMTP relay on port 587.");
    expect(rowOf(2)).not.toContain("run-link");
    expect(rowOf(3)).toContain("Port 25 is not blocked (agreement MCA)");
    expect(rowOf(4)).toContain(`href="../runs/solo-run-77?format=html"`);
    expect(rowOf(4)).toContain("a run started by dave@example.com is live");
    expect(rowOf(5)).toContain("before this subscription&#39;s turn");
    expect(html.match(/class="run-link"/g)).toHaveLength(3);
  });

  it("shows who started it and when, the target, mode, status, message, cancellation and warnings", () => {
    const record = campaignRecord({ input: { target: { kind: "managementGroup", managementGroupId: "mg-devtest" } } });
    const html = renderCampaignReport(audited(record), { generatedAt: "2026-11-26T12:00:00Z" });
    expect(html).toContain("<dt>Started by</dt><dd>carol@example.com</dd>");
    expect(html).toContain("<dt>Requested at</dt><dd>2026-11-26 09:00:00 UTC</dd>");
    expect(html).toContain("management group <code>mg-devtest</code>");
    expect(html).toContain("<dt>Mode</dt><dd>execute</dd>");
    expect(html).toContain(`<dt>Outcome</dt><dd>${escapeHtml(record.summary.message)}</dd>`);
    expect(html).toContain("<dt>Cancelled by</dt><dd>erin@example.com at 2026-11-26 09:30:00 UTC</dd>");
    expect(html).toContain("<li>1 subscription was already being remediated by another run</li>");
    expect(html).toContain("REQ-2026-0100");
    expect(html).toContain("<dt>Duration</dt><dd>59 min 55 s</dd>");
    expect(html).toContain("generated 2026-11-26 12:00:00 UTC");
    expect(html).toMatch(/<h1>.*Campaign <span class="runid">camp-0001<\/span>.*completed with failures/);
  });

  it("escapes every value that comes from Azure or the request", () => {
    const members = campaignMembers().map((m, i) =>
      i === 0 ? { ...m, displayName: INJECTION } : i === 2 ? { ...m, reason: INJECTION, advice: INJECTION } : m,
    );
    const input = campaignInput();
    const record = campaignRecord({
      input: {
        run: {
          ...input.run,
          requestedBy: INJECTION,
          attestation: { ...input.run.attestation, reference: INJECTION, approvedBy: INJECTION },
        },
      },
      members,
      summary: {
        message: INJECTION,
        warnings: [INJECTION],
        cancellation: { by: INJECTION, at: "2026-11-26T09:30:00.000Z" },
      },
    });
    const html = renderCampaignReport(audited(record));
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain(`"><img`);
    expect(html.split(escapeHtml(INJECTION)).length - 1).toBeGreaterThanOrEqual(9);
  });

  it("links to an absolute audit API when given one", () => {
    const html = renderCampaignReport(audited(campaignRecord()), {
      auditBase: "https://port25.contoso.example/api/audit/",
    });
    expect(html).toContain(`href="https://port25.contoso.example/api/audit/runs/camp-0001-11111111-0?format=html"`);
    expect(html).not.toContain(`href="../`);
  });

  it("shows a campaign still running from its start and the runs recorded so far", () => {
    const input = campaignInput();
    const link = { campaignId: input.campaignId, instanceId: campaignInstanceId(input.campaignId) };
    const first = runRecordOf(runResult({ vms: 30, input: { runId: "camp-0001-11111111-0", campaign: link } }));
    const running = {
      ...runRecordOf(
        runResult({
          vms: 3,
          input: { runId: "camp-0001-aaaaaaaa-1", subscriptionId: CAMPAIGN_SUBS[1], campaign: link },
        }),
      ),
      status: "running" as const,
      summary: undefined,
    };
    const html = renderCampaignReport(
      { campaignId: input.campaignId, status: "running", input },
      { runs: [runSummaryOf(running), runSummaryOf(first)] },
    );
    expect(html).toContain("The campaign is still running");
    expect(html).toMatch(/<h1>.*<span class="badge tone-info">running<\/span>/);
    const rows = [...html.matchAll(/<tr class="member" data-subscription="([^"]+)" data-state="([^"]+)">/g)].map(
      (m) => [m[1], m[2]],
    );
    expect(rows).toEqual([
      [CAMPAIGN_SUBS[0], "done"],
      [CAMPAIGN_SUBS[1], "running"],
    ]);
    expect(stateCount(html, "done")).toBe(1);
    expect(stateCount(html, "running")).toBe(1);
    expect(cardCount(html, "cycled")).toEqual([first.summary?.counts.cycled]);
    expect(html).toContain(`href="../runs/camp-0001-aaaaaaaa-1?format=html"`);
    expect(html).not.toContain("<dt>Outcome</dt>");

    const empty = renderCampaignReport({ campaignId: input.campaignId, status: "running", input });
    expect(empty).toContain("No run of this campaign has been recorded yet.");
  });
});

describe("the run report of a campaign's run", () => {
  it("names its campaign with a link to the campaign's report; a run on its own names none", () => {
    const link = { campaignId: "camp-0001", instanceId: campaignInstanceId("camp-0001") };
    const html = renderRunReport(auditedFrom(runResult({ input: { runId: "camp-0001-11111111-0", campaign: link } })));
    expect(html).toContain(
      `<dt>Campaign</dt><dd><a class="campaign-link" href="../campaigns/camp-0001?format=html">camp-0001</a></dd>`,
    );
    const absolute = renderRunReport(auditedFrom(runResult({ input: { campaign: link } })), {
      auditBase: "https://a.example/api/audit",
    });
    expect(absolute).toContain(`href="https://a.example/api/audit/campaigns/camp-0001?format=html"`);
    expect(renderRunReport(auditedFrom(runResult()))).not.toContain("campaign-link");
  });
});
