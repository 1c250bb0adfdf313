import { HttpRequest } from "@azure/functions";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DurableHost } from "../../src/durable-host";
import { START, testHost } from "./helpers";

function post(url: string, params: Record<string, string>, body = ""): HttpRequest {
  return new HttpRequest({ method: "POST", url, params, body: { string: body } });
}

async function jsonOf(response: { text(): Promise<string> }): Promise<unknown> {
  return JSON.parse(await response.text()) as unknown;
}

describe.each(["V3", "V1"] as const)("durable client over loopback HTTP, schema %s", (schema) => {
  let host: DurableHost;
  beforeEach(async () => {
    host = await testHost({ schema });
  });
  afterEach(async () => {
    await host.close();
  });

  it("starts an orchestration from the HTTP starter and answers with createCheckStatusResponse", async () => {
    const response = await host.invokeHttp(
      "StartOrchestration",
      post("http://localhost:7071/api/orchestrators/Hello?instanceId=via-http", { name: "Hello" }),
    );
    expect(response.status).toBe(202);
    const body = (await jsonOf(response)) as { id: string; statusQueryGetUri: string };
    expect(body.id).toBe("via-http");
    expect(response.headers.get("location")).toBe(body.statusQueryGetUri);
    expect(body.statusQueryGetUri).toMatch(
      /^http:\/\/localhost:7071\/runtime\/webhooks\/durabletask\/instances\/via-http\?/,
    );
    await host.runUntilIdle();
    expect(host.getStatus("via-http")?.output).toEqual(["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"]);
  });

  it("reads status, lists and purges instances through the real client", async () => {
    const id = host.startOrchestration("Hello", undefined, { instanceId: "managed" });
    await host.runUntilIdle();
    const status = await host.invokeHttp(
      "ManageInstance",
      new HttpRequest({
        method: "GET",
        url: "http://localhost/api/manage/managed/status",
        params: { id, op: "status" },
      }),
    );
    expect(await jsonOf(status)).toEqual({
      runtimeStatus: "Completed",
      output: ["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"],
      customStatus: { greeted: 3 },
      historyLength: host.getStatus(id)?.history.length,
    });
    const listed = await host.invokeHttp(
      "ManageInstance",
      post("http://localhost/api/manage/managed/list", { id, op: "list" }),
    );
    expect(await jsonOf(listed)).toEqual(["managed"]);
    const purged = await host.invokeHttp(
      "ManageInstance",
      post("http://localhost/api/manage/managed/purge", { id, op: "purge" }),
    );
    expect(await jsonOf(purged)).toEqual({ deleted: 1 });
    expect(host.getStatus(id)).toBeUndefined();
  });

  it("raises an event and terminates through the real client", async () => {
    const approval = host.startOrchestration("ApprovalOrTimeout", undefined, { instanceId: "approval" });
    const forever = host.startOrchestration("WaitForever", undefined, { instanceId: "forever" });
    await host.runUntilIdle({ advanceTimersUpTo: START + 60_000 });
    await host.invokeHttp(
      "ManageInstance",
      post("http://localhost/api/manage/approval/approve", { id: approval, op: "approve" }),
    );
    await host.invokeHttp(
      "ManageInstance",
      post("http://localhost/api/manage/forever/terminate", { id: forever, op: "terminate" }),
    );
    await host.runUntilIdle({ advanceTimersUpTo: START + 60_000 });
    expect(host.getStatus(approval)?.output).toEqual({ approved: { by: "tester" } });
    expect(host.getStatus(forever)).toMatchObject({ runtimeStatus: "Terminated", output: "stopped by test" });
  });

  it("answers the client API with 404 for unknown instances and 410 for finished ones", async () => {
    const id = host.startOrchestration("Hello");
    await host.runUntilIdle();
    const { rpcBaseUrl } = await host.durableClientData();
    const gone = await fetch(`${rpcBaseUrl}instances/${id}/raiseEvent/Approve`, { method: "POST", body: "{}" });
    const missing = await fetch(`${rpcBaseUrl}instances/nobody/raiseEvent/Approve`, { method: "POST", body: "{}" });
    const missingStatus = await fetch(`${rpcBaseUrl}instances/nobody`);
    const done = await fetch(`${rpcBaseUrl}instances/${id}`);
    expect([gone.status, missing.status, missingStatus.status, done.status]).toEqual([410, 404, 404, 200]);
    expect(((await done.json()) as { runtimeStatus: string }).runtimeStatus).toBe("Completed");
  });

  it("filters listed instances by status and creation time", async () => {
    const early = host.startOrchestration("Hello");
    host.clock.advanceBy(60_000);
    const late = host.startOrchestration("WaitForever");
    await host.runUntilIdle();
    const { rpcBaseUrl } = await host.durableClientData();
    const running = await fetch(`${rpcBaseUrl}instances/?runtimeStatus=Running`);
    const recent = await fetch(`${rpcBaseUrl}instances/?createdTimeFrom=${new Date(START + 30_000).toISOString()}`);
    const ids = (r: unknown): string[] => (r as { instanceId: string }[]).map((s) => s.instanceId);
    expect(ids(await running.json())).toEqual([late]);
    expect(ids(await recent.json())).toEqual([late]);
    expect(host.listInstances({ runtimeStatus: ["Completed"] }).map((s) => s.instanceId)).toEqual([early]);
  });

  it("invokes a timer trigger whose durable client starts an orchestration", async () => {
    await host.invokeTimer("NightlyStart");
    await host.runUntilIdle();
    const nightly = host.listInstances({ name: "Hello" });
    expect(nightly.map((s) => [s.instanceId, s.runtimeStatus])).toEqual([
      [`nightly-${new Date(START).toISOString()}`, "Completed"],
    ]);
  });

  it("processes HTTP-started instances in the background loop", async () => {
    host.start();
    const response = await host.invokeHttp(
      "StartOrchestration",
      post("http://localhost:7071/api/orchestrators/FanOut", { name: "FanOut" }, "50"),
    );
    const { id } = (await jsonOf(response)) as { id: string };
    const finished = await host.waitFor(id);
    await host.stop();
    expect(finished.output).toEqual({ count: 50, sum: 1225 });
  });

  it("invokes a plain HTTP trigger", async () => {
    const response = await host.invokeHttp(
      "Ping",
      new HttpRequest({ method: "GET", url: "http://localhost/api/ping" }),
    );
    expect(await jsonOf(response)).toEqual({ pong: true });
  });
});
