/**
 * What the local host does where the durable engine's documentation decides: orchestration versioning (Learn,
 * "Orchestration versioning in Durable Functions"), sub-orchestration starts under a live instance id (no documented
 * failure: azure-functions-durable-extension#746, durabletask#1402), client starts under a live id (refused:
 * durabletask#325) and what it does not support (entities), failing loudly.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HttpRequest } from "@azure/functions";
import {
  compareVersions,
  versioningFromHostJson,
  type DurableHost,
  type DurableHostOptions,
} from "../../src/durable-host";
import { START, testHost } from "./helpers";

const hosts: DurableHost[] = [];
async function host(options: DurableHostOptions = {}): Promise<DurableHost> {
  const h = await testHost(options);
  hosts.push(h);
  return h;
}
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
});

/** Starts "Versioned" on a host with defaultVersion A and stops it mid-run, waiting for "Go". */
async function inFlightUnder(version: string): Promise<DurableHost> {
  const a = await host({ versioning: { defaultVersion: version } });
  a.startOrchestration("Versioned", undefined, { instanceId: "in-flight" });
  const report = await a.runUntilIdle();
  expect(report.waitingForEvents.map((w) => w.instanceId)).toEqual(["in-flight"]);
  await a.close();
  return a;
}

describe("orchestration versioning", () => {
  it("compares versions as documented: empty oldest, System.Version numerically, else text without case", () => {
    expect(compareVersions("", "")).toBe(0);
    expect(compareVersions("", "1.0")).toBe(-1);
    expect(compareVersions("1.10", "1.9")).toBe(1);
    expect(compareVersions("1.0", "1.0.0")).toBe(-1);
    expect(compareVersions("V2", "v2")).toBe(0);
    expect(compareVersions("2", "10")).toBe(1);
  });

  it("reads the settings from host.json with the documented defaults", () => {
    expect(versioningFromHostJson({ extensions: { durableTask: { defaultVersion: "1.0" } } })).toEqual({
      defaultVersion: "1.0",
      versionMatchStrategy: "CurrentOrOlder",
      versionFailureStrategy: "Reject",
    });
    expect(versioningFromHostJson({})).toEqual({
      defaultVersion: "",
      versionMatchStrategy: "CurrentOrOlder",
      versionFailureStrategy: "Reject",
    });
  });

  it("gives context.df.version the start's version, else defaultVersion, to the instance and its sub-orchestrations", async () => {
    const h = await host({ versioning: { defaultVersion: "3.1" } });
    h.startOrchestration("Versioned", undefined, { instanceId: "default" });
    h.startOrchestration("Versioned", undefined, { instanceId: "explicit", version: "1.0" });
    await h.runUntilIdle();
    h.raiseEvent("default", "Go");
    h.raiseEvent("explicit", "Go");
    await h.runUntilIdle();
    expect(h.getStatus("default")?.output).toEqual({
      version: "3.1",
      first: "Hello, first!",
      second: "new step",
      child: "3.1",
    });
    expect(h.getStatus("explicit")?.output).toEqual({
      version: "1.0",
      first: "Hello, first!",
      second: "Hello, old step!",
      child: "3.1",
    });
    expect(h.getStatus("explicit")?.version).toBe("1.0");
  });

  it("continues an in-flight instance of version A on a host of version B with A's behaviour, and starts new ones as B", async () => {
    const a = await inFlightUnder("1.0");
    const b = await host({ store: a.store.clone(), startTime: a.clock.now(), versioning: { defaultVersion: "2.0" } });
    b.raiseEvent("in-flight", "Go");
    b.startOrchestration("Versioned", undefined, { instanceId: "after-upgrade" });
    await b.runUntilIdle();
    b.raiseEvent("after-upgrade", "Go");
    await b.runUntilIdle();
    expect(b.getStatus("in-flight")).toMatchObject({
      runtimeStatus: "Completed",
      version: "1.0",
      output: { version: "1.0", second: "Hello, old step!" },
    });
    expect(b.getStatus("after-upgrade")).toMatchObject({
      runtimeStatus: "Completed",
      version: "2.0",
      output: { version: "2.0", second: "new step" },
    });
  });

  it("leaves an instance of another version alone under Strict with Reject, for a host of its version to finish", async () => {
    const a = await inFlightUnder("1.0");
    const b = await host({
      store: a.store.clone(),
      startTime: a.clock.now(),
      versioning: { defaultVersion: "2.0", versionMatchStrategy: "Strict" },
    });
    b.raiseEvent("in-flight", "Go");
    const report = await b.runUntilIdle();
    expect(report.rejectedByVersion).toEqual([
      { instanceId: "in-flight", name: "Versioned", runtimeStatus: "Running", version: "1.0" },
    ]);
    expect(b.getStatus("in-flight")?.runtimeStatus).toBe("Running");
    await b.close();
    const c = await host({
      store: b.store.clone(),
      startTime: b.clock.now(),
      versioning: { defaultVersion: "1.0", versionMatchStrategy: "Strict" },
    });
    await c.runUntilIdle();
    expect(c.getStatus("in-flight")).toMatchObject({
      runtimeStatus: "Completed",
      output: { second: "Hello, old step!" },
    });
  });

  it("under the app's host.json, leaves an instance of the previous version alone rather than replay it against new code", async () => {
    // The product keeps no branch for an older schedule (docs/architecture.md, "Orchestration versioning"): a
    // worker of the new version must neither run an older instance nor fail it, so that a worker of its own
    // version (a rollback) can still finish it and bring back what it took down.
    const app = versioningFromHostJson(JSON.parse(readFileSync(join(__dirname, "../../host.json"), "utf8")));
    expect(app).toMatchObject({ versionMatchStrategy: "Strict", versionFailureStrategy: "Reject" });
    const previous = `${Number.parseInt(app.defaultVersion, 10) - 1}.0`;
    const a = await inFlightUnder(previous);
    const b = await host({ store: a.store.clone(), startTime: a.clock.now(), versioning: app });
    b.raiseEvent("in-flight", "Go");
    b.startOrchestration("Versioned", undefined, { instanceId: "after-deploy" });
    const report = await b.runUntilIdle();
    expect(report.rejectedByVersion.map((r) => [r.instanceId, r.version])).toEqual([["in-flight", previous]]);
    expect(b.getStatus("in-flight")?.runtimeStatus).toBe("Running");
    expect(b.getStatus("after-deploy")?.version).toBe(app.defaultVersion);
  });

  it("fails an instance of another version under Strict with Fail, naming the mismatch", async () => {
    const a = await inFlightUnder("1.0");
    const b = await host({
      store: a.store.clone(),
      startTime: a.clock.now(),
      versioning: { defaultVersion: "2.0", versionMatchStrategy: "Strict", versionFailureStrategy: "Fail" },
    });
    b.raiseEvent("in-flight", "Go");
    await b.runUntilIdle();
    expect(b.getStatus("in-flight")?.runtimeStatus).toBe("Failed");
    expect(b.getStatus("in-flight")?.failureDetails).toMatchObject({ errorType: "VersionMismatch" });
    expect(b.getStatus("in-flight")?.failureDetails?.errorMessage).toMatch(
      /version '1\.0'.*defaultVersion '2\.0'.*Strict/,
    );
  });

  it("keeps an older worker from running an instance of a newer version (CurrentOrOlder)", async () => {
    const old = await host({ versioning: { defaultVersion: "1.0" } });
    old.startOrchestration("Versioned", undefined, { instanceId: "newer", version: "2.0" });
    const report = await old.runUntilIdle();
    expect(report.rejectedByVersion.map((r) => r.instanceId)).toEqual(["newer"]);
    expect(old.getStatus("newer")?.runtimeStatus).toBe("Pending");
  });

  it("takes the version of a start through the durable client's version option", async () => {
    const h = await host({ versioning: { defaultVersion: "2.0" } });
    await h.invokeHttp(
      "ManageInstance",
      new HttpRequest({
        method: "POST",
        url: "http://localhost/api/manage/by-client/startVersioned?version=1.5",
        params: { id: "by-client", op: "startVersioned" },
      }),
    );
    expect(h.getStatus("by-client")?.version).toBe("1.5");
  });
});

describe("starts under an instance id that is live", () => {
  it("refuses a client start whose instance is running (409), and starts one whose instance has ended", async () => {
    const h = await host();
    const { rpcBaseUrl } = await h.durableClientData();
    h.startOrchestration("WaitForever", undefined, { instanceId: "singleton" });
    const refused = await fetch(`${rpcBaseUrl}orchestrators/Hello/singleton`, { method: "POST", body: "" });
    expect(refused.status).toBe(409);
    h.startOrchestration("Hello", undefined, { instanceId: "ended" });
    await h.runUntilIdle();
    const again = await fetch(`${rpcBaseUrl}orchestrators/Hello/ended`, { method: "POST", body: "" });
    expect(again.status).toBe(202);
  });

  it("drops a sub-orchestration start under a live id by default: the parent hears nothing and only its deadline ends the wait", async () => {
    const h = await host();
    h.startOrchestration("WaitForever", undefined, { instanceId: "occupied" });
    h.startOrchestration("ParentWithDeadline", "occupied", { instanceId: "parent" });
    const before = await h.runUntilIdle({ advanceTimersUpTo: START + 60_000 });
    expect(h.getStatus("parent")?.runtimeStatus).toBe("Running");
    expect(before.stuck).toEqual([]);
    await h.runUntilIdle();
    expect(h.getStatus("parent")?.output).toEqual({ outcome: "deadline" });
    expect(h.getStatus("occupied")).toMatchObject({ runtimeStatus: "Running", name: "WaitForever" });
  });

  it("fails the parent's task instead when the host plays the opt-in guard", async () => {
    const h = await host({ subOrchestrationIdInUse: "failed" });
    h.startOrchestration("WaitForever", undefined, { instanceId: "occupied" });
    h.startOrchestration("ParentWithDeadline", "occupied", { instanceId: "parent" });
    await h.runUntilIdle();
    expect(h.getStatus("parent")?.output).toMatchObject({
      outcome: "failed",
      message: expect.stringMatching(/already exists/) as unknown,
    });
  });
});

describe("what the local host does not support", () => {
  it("answers an entity state read with an error naming entities, never with 'no such entity'", async () => {
    const h = await host();
    const response = await h.invokeHttp(
      "ManageInstance",
      new HttpRequest({
        method: "GET",
        url: "http://localhost/api/manage/one/readEntity",
        params: { id: "one", op: "readEntity" },
      }),
    );
    expect(response.status).toBe(500);
    const body = JSON.parse(await response.text()) as { error: string };
    expect(body.error).toMatch(
      /501.*Durable entities are not supported by the local durable host \(readEntityState of Counter\/one\)/,
    );
  });
});
