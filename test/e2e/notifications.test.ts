/**
 * Telling people: every event of a run reaches a real local webhook receiver over HTTP, as the one JSON contract,
 * with links that carry no key; a receiver that fails or hangs neither delays nor fails the run (virtual time), and
 * its failure is in the audit under the run, without the webhook's address.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "../../src/cli/localStack";
import { createAuditStore } from "../../src/audit/store";
import { renderRunReport } from "../../src/audit/report";
import {
  EVENT_TRACE_PREFIX,
  NotificationMessageSchema,
  type NotificationMessage,
  type NotificationRecord,
} from "../../src/contracts/notification";
import { TEMP_SUBNET_PREFIX } from "../../src/contracts/options";
import { REVERIFY_SUBSCRIPTION } from "../../src/contracts/names";
import { checkInvariants } from "../support/invariants";
import { TEST_ATTESTATION } from "../support/productHost";
import { fleet, scenario, START, SUBSCRIPTION_ID } from "./scenarios";

type Behaviour = "ok" | "fail" | "hang";

/** A webhook receiver on 127.0.0.1: answers 204, 500, or never. */
class Receiver {
  readonly received: { path: string; body: unknown }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  url = "";

  private constructor(behaviour: Behaviour) {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.received.push({
          path: req.url ?? "",
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown,
        });
        if (behaviour === "ok") res.writeHead(204).end();
        else if (behaviour === "fail") res.writeHead(500).end("receiver down");
      });
    });
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  static async start(behaviour: Behaviour): Promise<Receiver> {
    const r = new Receiver(behaviour);
    await new Promise<void>((resolve) => r.server.listen(0, "127.0.0.1", resolve));
    const { port } = r.server.address() as AddressInfo;
    r.url = `http://127.0.0.1:${port}/hooks/${SECRET}`;
    return r;
  }

  messages(): NotificationMessage[] {
    return this.received.map((r) => NotificationMessageSchema.parse(r.body));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The token a webhook address embeds: it must never show up in the audit or the logs. */
const SECRET = "T0KEN-in-the-webhook-address-5e3c";
const PUBLIC_URL = "https://port25-func.example.net";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

async function stackWith(receiver: Receiver | undefined, opts: Partial<LocalStackOptions> = {}, timeoutMs = 5000) {
  const logs: string[] = [];
  const stack = await startLocalStack({
    scenario: scenario({ vms: fleet(3) }),
    audit: true,
    ...opts,
    host: { log: (_level, _fn, ...args) => logs.push(args.map(String).join(" ")) },
    env: {
      PORT25_PUBLIC_URL: PUBLIC_URL,
      PORT25_NOTIFY_TIMEOUT_MS: String(timeoutMs),
      ...(receiver !== undefined ? { PORT25_NOTIFY_WEBHOOKS: receiver.url } : {}),
      ...opts.env,
    },
  });
  open.push(stack);
  return { stack, logs };
}

function start(stack: LocalStack, runId: string, extra: Parameters<LocalStack["start"]>[0] = {}) {
  return stack.start({ attestation: TEST_ATTESTATION, requestedBy: "e2e", runId, ...extra });
}

async function notifications(stack: LocalStack, runId: string): Promise<NotificationRecord[]> {
  const store = createAuditStore({
    PORT25_AUDIT_TABLE_CONNECTION: stack.azurite?.connectionString ?? "",
    PORT25_AUDIT_TABLE_PREFIX: "port25",
  });
  return store.listNotifications(runId);
}

describe("a run with approval", () => {
  it("posts approvalNeeded with its deadline while it waits, then runCompleted, each with links that carry no key", async () => {
    const receiver = await Receiver.start("ok");
    open.push(receiver);
    const { stack, logs } = await stackWith(receiver);
    const input = start(stack, "notify-approval", { requireApproval: true, options: { approvalTimeoutMinutes: 120 } });
    await stack.run(Date.parse(START) + 10 * 60_000);
    expect(stack.progress()?.phase).toBe("approve");
    const waiting = receiver.messages();
    expect(waiting.map((m) => m.type)).toEqual(["approvalNeeded"]);
    const approval = waiting[0];
    if (approval?.type !== "approvalNeeded") throw new Error("no approvalNeeded");
    expect(approval).toMatchObject({
      runId: "notify-approval",
      subscriptionId: SUBSCRIPTION_ID,
      requestedBy: "e2e",
      counts: { toCycle: 4, toRefresh: 0 },
    });
    expect(Date.parse(approval.deadline) - Date.parse(approval.at)).toBe(120 * 60_000);
    const status = `${PUBLIC_URL}/api/remediations/${encodeURIComponent(stack.instanceId)}`;
    expect(approval.links).toEqual({
      status,
      approve: `${status}/approve`,
      cancel: `${status}/cancel`,
      report: `${PUBLIC_URL}/api/audit/runs/notify-approval?format=html`,
    });
    for (const link of Object.values(approval.links))
      expect(new URL(link ?? "").search).not.toMatch(/code=|key|token|sig=/i);
    expect(receiver.received[0]?.path).toBe(`/hooks/${SECRET}`);

    stack.approve();
    await stack.run();
    const result = stack.result();
    expect(result.summary.status).toBe("completed");
    expect(checkInvariants(stack.sim, result, stack.scenario)).toEqual([]);
    const all = receiver.messages();
    expect(all.map((m) => m.type)).toEqual(["approvalNeeded", "runCompleted"]);
    expect(all[1]).toMatchObject({
      type: "runCompleted",
      status: "completed",
      counts: { cycled: 4, failed: 0, leftDown: 0 },
      leftDown: [],
      failures: [],
    });
    expect(all[1]?.links).toEqual({ status, report: `${PUBLIC_URL}/api/audit/runs/notify-approval?format=html` });
    expect(input.runId).toBe("notify-approval");

    // Each event is also one structured trace line, the JSON the alert rules parse.
    const traced = logs
      .filter((l) => l.startsWith(EVENT_TRACE_PREFIX))
      .map((l) => NotificationMessageSchema.parse(JSON.parse(l.slice(EVENT_TRACE_PREFIX.length))));
    expect(traced.map((m) => m.type)).toEqual(["approvalNeeded", "runCompleted"]);
    expect(logs.join("\n")).not.toContain(SECRET);

    const records = await notifications(stack, "notify-approval");
    expect(records.map((r) => [r.type, r.status, r.attempts, r.delivered])).toEqual([
      ["approvalNeeded", "delivered", 1, 1],
      ["runCompleted", "delivered", 1, 1],
    ]);
  });
});

describe("a halted run", () => {
  it("posts canaryHalted, then runCompleted with status halted", async () => {
    const receiver = await Receiver.start("ok");
    open.push(receiver);
    const { stack } = await stackWith(receiver, {
      scenario: scenario({ exemption: { exempted: false }, vms: fleet(3) }),
    });
    start(stack, "notify-halted");
    await stack.run();
    expect(stack.result().summary.status).toBe("halted");
    const messages = receiver.messages();
    expect(messages.map((m) => m.type)).toEqual(["canaryHalted", "runCompleted"]);
    expect(messages[0]).toMatchObject({ type: "canaryHalted", result: "unreachable", runId: "notify-halted" });
    expect(messages[0]?.title).toMatch(/halted by the canary/);
    expect(messages[1]).toMatchObject({ type: "runCompleted", status: "halted" });
  });
});

describe("a run that leaves a VM down", () => {
  it("calls out the resource left down in runCompleted", async () => {
    const receiver = await Receiver.start("ok");
    open.push(receiver);
    const { stack } = await stackWith(receiver, {
      scenario: scenario({
        vms: fleet(3),
        behaviour: { faults: [{ kind: "allocationFailure", match: { resource: "app-002" } }] },
      }),
    });
    start(stack, "notify-left-down", { options: { restoreTimeoutMinutes: 20 } });
    await stack.run();
    const result = stack.result();
    expect(checkInvariants(stack.sim, result, stack.scenario)).toEqual([]);
    const messages = receiver.messages();
    expect(messages.map((m) => m.type)).toEqual(["runCompleted"]);
    const done = messages[0];
    if (done?.type !== "runCompleted") throw new Error("no runCompleted");
    expect(done.status).toBe("completedWithFailures");
    expect(done.counts).toMatchObject({ failed: 1, leftDown: 1 });
    expect(done.leftDown).toEqual([
      expect.objectContaining({ name: "app-002", state: "deallocated", errorCode: "AllocationFailed" }),
    ]);
    expect(done.title).toMatch(/LEFT 1 resource\(s\) DOWN/);
  });
});

describe("a refused run", () => {
  it("posts runRefused with the category and the advice", async () => {
    const receiver = await Receiver.start("ok");
    open.push(receiver);
    const { stack } = await stackWith(receiver, {
      scenario: scenario({
        subscription: {
          id: SUBSCRIPTION_ID,
          name: "PAYG DT",
          quotaId: "MSDNDevTest_2014-09-01",
          billing: { agreementType: "MicrosoftOnlineServicesProgram", workloadType: "DevTest" },
        },
      }),
    });
    start(stack, "notify-refused");
    await stack.run();
    expect(stack.result().summary.status).toBe("refused");
    expect(receiver.messages()).toEqual([
      expect.objectContaining({
        type: "runRefused",
        category: "blockedNotExemptible",
        advice: expect.stringMatching(/587/) as unknown,
      }),
    ]);
  });
});

describe("the re-verification", () => {
  it("posts leakedSubnetsRemoved when it removes a temporary subnet a run left behind", async () => {
    const receiver = await Receiver.start("ok");
    open.push(receiver);
    const leaked = `${TEMP_SUBNET_PREFIX}leaked01`;
    const { stack } = await stackWith(receiver, {
      scenario: scenario({
        vnets: [
          {
            name: "vnet-app",
            resourceGroup: "rg-app",
            addressPrefixes: ["10.0.0.0/16"],
            subnets: [
              { name: "default", addressPrefix: "10.0.0.0/24" },
              { name: leaked, addressPrefix: "10.0.9.0/29" },
            ],
          },
        ],
      }),
    });
    stack.host.startOrchestration(
      REVERIFY_SUBSCRIPTION,
      { subscriptionId: SUBSCRIPTION_ID, lastRunId: "run-earlier", probeHost: "smtp.contoso.example" },
      { instanceId: "reverify-notify" },
    );
    await stack.run();
    expect(stack.host.getStatus("reverify-notify")?.runtimeStatus).toBe("Completed");
    const vnetId = stack.sim.snapshot().vnets[0]?.id ?? "";
    expect(receiver.messages()).toEqual([
      expect.objectContaining({
        type: "leakedSubnetsRemoved",
        runId: "run-earlier",
        subscriptionId: SUBSCRIPTION_ID,
        removed: [`${vnetId}/subnets/${leaked}`],
        removedCount: 1,
        failedCount: 0,
        links: { report: `${PUBLIC_URL}/api/audit/runs/run-earlier?format=html` },
      }),
    ]);
  });
});

describe("a receiver that fails or hangs", () => {
  /** A run with approval (two events), approved at once: when its summary says it ended, and when its instance did. */
  async function endedAt(
    receiver: Receiver | undefined,
  ): Promise<{ endedAt: string; completedAt: number; stack: LocalStack; logs: string[] }> {
    const { stack, logs } = await stackWith(receiver, {}, 300);
    start(stack, "notify-receiver", { requireApproval: true });
    await stack.run(Date.parse(START) + 10 * 60_000);
    stack.approve();
    await stack.run();
    const result = stack.result();
    expect(result.summary.status).toBe("completed");
    expect(checkInvariants(stack.sim, result, stack.scenario)).toEqual([]);
    const status = stack.host.getStatus(stack.instanceId);
    expect(status?.runtimeStatus).toBe("Completed");
    return { endedAt: result.summary.endedAt, completedAt: status?.lastUpdatedTime.getTime() ?? 0, stack, logs };
  }

  it.each([
    ["fails (500)", "fail", "HTTP 500"],
    ["hangs", "hang", "timeout"],
  ] as const)(
    "when it %s, the run ends when it would without one, and the audit records the failure",
    async (_what, behaviour, error) => {
      const baseline = await endedAt(undefined);
      const receiver = await Receiver.start(behaviour);
      open.push(receiver);
      const withReceiver = await endedAt(receiver);
      expect(withReceiver.endedAt).toBe(baseline.endedAt);
      expect(withReceiver.completedAt).toBe(baseline.completedAt);
      // Every attempt reached the receiver: for each event, the first and three retries.
      expect(receiver.received).toHaveLength(8);
      const records = await notifications(withReceiver.stack, "notify-receiver");
      const failed = { status: "failed", attempts: 4, webhooks: 1, delivered: 0, failed: [{ index: 0, error }] };
      expect(records).toEqual([
        expect.objectContaining({ type: "approvalNeeded", ...failed }),
        expect.objectContaining({ type: "runCompleted", ...failed }),
      ]);
      const record = records[1];
      // The retries waited on durable timers after the run had ended: 30 s, 2 min and 8 min.
      expect(Date.parse(record?.finishedAt ?? "") - Date.parse(withReceiver.endedAt)).toBeGreaterThanOrEqual(
        (30 + 120 + 480) * 1000,
      );
      expect(JSON.stringify(records)).not.toContain(SECRET);
      // The audited run carries them, and its report shows them.
      const store = createAuditStore({
        PORT25_AUDIT_TABLE_CONNECTION: withReceiver.stack.azurite?.connectionString ?? "",
        PORT25_AUDIT_TABLE_PREFIX: "port25",
      });
      const audited = await store.getRun("notify-receiver");
      expect(audited?.notifications).toEqual(records);
      if (audited === undefined) throw new Error("the run is not in the audit");
      const html = renderRunReport(audited);
      expect(html).toContain('id="notifications"');
      expect(html).toContain(`webhook #1: ${error}`);
      expect(html).not.toContain(SECRET);
      expect(JSON.stringify(records)).not.toContain("127.0.0.1");
      expect(withReceiver.logs.join("\n")).not.toContain(SECRET);
    },
  );
});
