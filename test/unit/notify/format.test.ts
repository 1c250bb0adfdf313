/** The words and bodies of notifications: one message, three webhook formats, links without keys. */
import { describe, expect, it } from "vitest";
import { NotificationMessageSchema, type NotificationEvent } from "../../../src/contracts/notification";
import { describe as describeEvent, linksFor, messageOf, webhookBody } from "../../../src/notify/format";

const SUB = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const base = { runId: "run-1", instanceId: `port25-${SUB}`, subscriptionId: SUB, at: "2026-03-03T08:00:00.000Z" };

const approval: NotificationEvent = {
  type: "approvalNeeded",
  ...base,
  deadline: "2026-03-04T08:00:00.000Z",
  requestedBy: "ops@contoso.example",
  counts: { total: 10, toCycle: 7, toRefresh: 1, skipped: 2 },
};

const leftDown: NotificationEvent = {
  type: "runCompleted",
  ...base,
  status: "completedWithFailures",
  message: "1 resource(s) LEFT DOWN",
  counts: { total: 3, cycled: 1, skipped: 0, failed: 2, pending: 0, leftDown: 1 },
  failures: [{ name: "app-003", resourceGroup: "rg-app", reasonCode: "operationFailed", errorCode: "InternalError" }],
  leftDown: [
    {
      resourceId: `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/app-002`,
      kind: "vm",
      name: "app-002",
      resourceGroup: "rg-app",
      state: "deallocated",
      reason: "no capacity",
      errorCode: "AllocationFailed",
      manualAction: "start it later, or resize it or move it to another zone",
      attempts: 3,
    },
  ],
};

describe("links", () => {
  it("point to the API under the public address, approve and cancel only while a run waits, never with a key", () => {
    const links = linksFor(approval, "https://func.example.net/");
    const status = `https://func.example.net/api/remediations/port25-${SUB}`;
    expect(links).toEqual({
      status,
      approve: `${status}/approve`,
      cancel: `${status}/cancel`,
      report: "https://func.example.net/api/audit/runs/run-1?format=html",
    });
    expect(linksFor(leftDown, "https://func.example.net")).toEqual({
      status,
      report: "https://func.example.net/api/audit/runs/run-1?format=html",
    });
    expect(linksFor(approval, undefined)).toEqual({});
  });
});

describe("the words", () => {
  it("puts resources left down first and in the title, with each one's manual action", () => {
    const { title, lines } = describeEvent(leftDown);
    expect(title).toMatch(/LEFT 1 resource\(s\) DOWN/);
    expect(lines[1]).toMatch(/^LEFT DOWN/);
    expect(lines[2]).toBe(
      "- rg-app/app-002: deallocated (AllocationFailed); start it later, or resize it or move it to another zone",
    );
    expect(lines.join("\n")).toMatch(/rg-app\/app-003: InternalError/);
  });

  it("gives the approval deadline in the title", () => {
    expect(describeEvent(approval).title).toBe("Port 25 remediation waits for approval until 2026-03-04T08:00:00.000Z");
  });
});

describe("webhook bodies", () => {
  const message = messageOf(approval, "https://func.example.net");

  it("json: the message itself, as the contract parses it", () => {
    expect(NotificationMessageSchema.parse(webhookBody(message, "json"))).toEqual(message);
  });

  it("teams: an Adaptive Card with the title, the lines and a button per link", () => {
    const body = webhookBody(message, "teams") as {
      type: string;
      attachments: {
        contentType: string;
        content: { type: string; body: { text: string }[]; actions: { type: string; title: string; url: string }[] };
      }[];
    };
    expect(body.type).toBe("message");
    const card = body.attachments[0];
    expect(card?.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card?.content.type).toBe("AdaptiveCard");
    expect(card?.content.body[0]?.text).toBe(message.title);
    expect(card?.content.actions.map((a) => [a.type, a.title])).toEqual([
      ["Action.OpenUrl", "Status"],
      ["Action.OpenUrl", "Approve"],
      ["Action.OpenUrl", "Cancel"],
      ["Action.OpenUrl", "Report"],
    ]);
  });

  it("slack: one mrkdwn text with the title in bold and the links, escaped as Slack asks", () => {
    const body = webhookBody(messageOf({ ...leftDown, message: "<b>&" }, "https://func.example.net"), "slack") as {
      text: string;
    };
    expect(body.text.split("\n")[0]).toMatch(/^\*Port 25 remediation LEFT 1 resource\(s\) DOWN/);
    expect(body.text).toContain("<https://func.example.net/api/audit/runs/run-1?format=html|Report>");
    expect(Object.keys(body)).toEqual(["text"]);
  });
});

describe("the re-verification's stragglers message", () => {
  const found = (reasons: ("createdAfterRun" | "notStartedSinceRun" | "startUnknown")[]): NotificationEvent => {
    const unknown = reasons.filter((r) => r === "startUnknown").length;
    return {
      type: "stragglersFound",
      subscriptionId: SUB,
      at: "2026-03-10T08:00:00.000Z",
      runId: "run-1",
      count: reasons.length,
      stragglers: reasons.map((reason, i) => ({ name: `vm-${i}`, resourceGroup: "rg-app", reason })),
      ...(unknown > 0 ? { startUnknownCount: unknown } : {}),
    };
  };

  it("says the old network policy only of machines whose stale start is established", () => {
    expect(describeEvent(found(["notStartedSinceRun", "createdAfterRun"])).title).toBe(
      `Re-verification found 2 machines running with the old network policy on subscription ${SUB}`,
    );
  });

  it("says a start that cannot be established is unknown, not that the machine runs with the old policy", () => {
    const title = describeEvent(found(["startUnknown"])).title;
    expect(title).not.toContain("old network policy");
    expect(title).toBe(
      `Re-verification could not establish whether 1 machine on subscription ${SUB} restarted since the exemption (start unknown)`,
    );
  });

  it("tells the two apart when both are found", () => {
    expect(describeEvent(found(["notStartedSinceRun", "startUnknown", "startUnknown"])).title).toBe(
      `Re-verification found 1 machine running with the old network policy on subscription ${SUB}, and 2 machines whose start since the exemption is unknown`,
    );
  });
});
