/**
 * The deployed app's record of first writes, in its storage account's table `<prefix>sends`, on real Azurite: what
 * one worker records before sending, every other worker reads, so a power step re-run on another worker after the
 * first died takes the step it finds under way for its own.
 */
import { FIRST_POWER_OFF, stoppingScaleSet, stoppingVm, VM, VMSS } from "../support/stoppingGateway";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvocationContext } from "@azure/functions";
import { auditTables } from "../support/auditTables";
import { createSendIntentTable, sendIntentsTableName } from "../../src/audit/sendIntents";
import { beginPowerOperation } from "../../activities/beginPowerOperation";
import type { ArmGateway } from "../../src/azure/gateway";
import { parseConfig } from "../../src/config";
import { appRootFrom } from "../../src/root";
import type { PowerState } from "../../src/contracts/power";

const tables = auditTables("sends");

function freshTable(): { prefix: string; open: () => ReturnType<typeof createSendIntentTable> } {
  const prefix = tables.freshPrefix();
  const config = { PORT25_AUDIT_TABLE_CONNECTION: tables.connectionString(), PORT25_AUDIT_TABLE_PREFIX: prefix };
  return { prefix, open: () => createSendIntentTable(config) };
}

const KEY = `${VM.toLowerCase()}|powerOff|2026-12-07T10:00:00.000Z`;

describe("the table of first writes", () => {
  it("creates its table when missing, and answers a recorded key and no other", async () => {
    const { prefix, open } = freshTable();
    const intents = open();
    expect(await intents.has(KEY)).toBe(false);
    await intents.add(KEY);
    expect(await intents.has(KEY)).toBe(true);
    expect(await intents.has(KEY.replace("powerOff", "deallocate"))).toBe(false);
    expect(await intents.has(KEY.toUpperCase())).toBe(false);
    const rows = await tables.rawEntities(sendIntentsTableName(prefix));
    expect(rows).toHaveLength(1);
  });

  it("keeps each attempt's record apart: dropping one (ARM refused it) leaves the other's, for every worker", async () => {
    const { prefix, open } = freshTable();
    const intents = open();
    const first = await intents.add(KEY);
    const again = await intents.add(KEY);
    expect(again).not.toBe(first);
    expect(await tables.rawEntities(sendIntentsTableName(prefix))).toHaveLength(2);
    await intents.drop(KEY, again);
    expect(await open().has(KEY)).toBe(true);
    await intents.drop(KEY, first);
    expect(await open().has(KEY)).toBe(false);
    expect(await tables.rawEntities(sendIntentsTableName(prefix))).toHaveLength(0);
  });

  it("forgets a key dropped (a send ARM refused) for every worker, and takes a drop of a key not there calmly", async () => {
    const { prefix, open } = freshTable();
    const intents = open();
    const id = await intents.add(KEY);
    await intents.drop(KEY, id);
    expect(await open().has(KEY)).toBe(false);
    expect(await tables.rawEntities(sendIntentsTableName(prefix))).toHaveLength(0);
    await intents.drop(KEY, id);
    await intents.drop(KEY.replace("powerOff", "deallocate"), id);
    expect(await intents.has(KEY)).toBe(false);
  });

  it("reads a row an earlier version wrote (its RowKey the key's digest alone) as a record of the key", async () => {
    const { prefix, open } = freshTable();
    const intents = open();
    const other = KEY.replace("10:00", "10:05");
    await intents.add(other);
    const digest = createHash("sha256").update(KEY, "utf8").digest("hex");
    await tables
      .rawClient(sendIntentsTableName(prefix))
      .upsertEntity({ partitionKey: digest.slice(0, 2), rowKey: digest, key0: KEY, keyPieces: 1 }, "Replace");
    expect(await open().has(KEY)).toBe(true);
  });

  it("records keys holding characters table keys cannot ('/', '\\', '#', '?', control characters)", async () => {
    const { open } = freshTable();
    const intents = open();
    const odd = `${KEY}|a/b\\c#d?e\u0001f\u007f`;
    await intents.add(odd);
    expect(await intents.has(odd)).toBe(true);
    expect(await intents.has(`${KEY}|a/b\\c#d?e\u0001f`)).toBe(false);
  });

  it("records a key longer than one property holds (a scale set's many instances), whole", async () => {
    const { open } = freshTable();
    const intents = open();
    const ids = Array.from({ length: 9_000 }, (_, i) => String(i)).join(",");
    // A surrogate pair across the first piece's end must come back whole.
    const long = `${KEY}|${"x".repeat(29_999 - KEY.length - 1)}😀${ids}`;
    await intents.add(long);
    expect(await intents.has(long)).toBe(true);
    expect(await intents.has(long.slice(0, -1))).toBe(false);
  });

  it("answers only for the key the row holds, not for another key sent to the same row", async () => {
    const { prefix, open } = freshTable();
    const intents = open();
    await intents.add(KEY);
    const [row] = await tables.rawEntities(sendIntentsTableName(prefix));
    // The row as found by its key's digest, but holding another key (as a digest collision would).
    await tables
      .rawClient(sendIntentsTableName(prefix))
      .upsertEntity(
        { partitionKey: String(row?.partitionKey), rowKey: String(row?.rowKey), key0: "other", keyPieces: 1 },
        "Replace",
      );
    expect(await intents.has(KEY)).toBe(false);
  });

  it("is shared by every worker of the app: each sees what another recorded", async () => {
    const { open } = freshTable();
    const one = open();
    const two = open();
    await one.add(KEY);
    const other = KEY.replace("10:00", "10:05");
    await two.add(other);
    expect([await two.has(KEY), await one.has(other)]).toEqual([true, true]);
  });

  it("creates its table again when it was deleted (cleared) while a worker ran", async () => {
    const { prefix, open } = freshTable();
    const intents = open();
    await intents.add(KEY);
    await tables.rawClient(sendIntentsTableName(prefix)).deleteTable();
    const other = KEY.replace("10:00", "10:05");
    await intents.add(other);
    expect([await intents.has(other), await open().has(KEY)]).toEqual([true, false]);
  });
});

const context = new InvocationContext({ invocationId: "inv-1", functionName: "beginPowerOperation" });

const vm = (initial: PowerState): { gateway: ArmGateway; sends: string[] } => stoppingVm(initial);
const scaleSet = (initial: PowerState): { gateway: ArmGateway; sends: string[] } =>
  stoppingScaleSet(initial, ["0", "1"]);

describe("a first power off re-run on another worker of the deployed app (the first died after sending)", () => {
  /** A worker of the app as its settings build it: its own activities and memory, the app's audit connection. */
  const worker = (prefix: string, gateway: ArmGateway): ReturnType<typeof beginPowerOperation> =>
    beginPowerOperation({
      ...appRootFrom(
        parseConfig({ PORT25_AUDIT_TABLE_CONNECTION: tables.connectionString(), PORT25_AUDIT_TABLE_PREFIX: prefix }),
      ),
      gateway,
    });

  it("takes the VM's power off under way for its own and goes on (watching it), sending nothing twice", async () => {
    const prefix = tables.freshPrefix();
    const { gateway, sends } = vm("running");
    const input = FIRST_POWER_OFF;
    expect(await worker(prefix, gateway).handler(input, context)).toMatchObject({ status: "started" });
    expect(await worker(prefix, gateway).handler(input, context)).toEqual({
      status: "inTransition",
      state: "stopping",
    });
    expect(sends).toEqual(["powerOff"]);
  });

  it("takes the scale set's power off under way for its own", async () => {
    const prefix = tables.freshPrefix();
    const { gateway, sends } = scaleSet("running");
    const input = {
      resourceId: VMSS,
      kind: "scaleSet",
      step: "powerOff",
      instanceIds: ["0", "1"],
      expectedState: "running",
      requestedAt: "2026-12-07T10:00:00.000Z",
    };
    expect(await worker(prefix, gateway).handler(input, context)).toMatchObject({ status: "started" });
    expect(await worker(prefix, gateway).handler(input, context)).toEqual({
      status: "inTransition",
      state: "stopping",
    });
    expect(sends).toEqual(["powerOff 0,1"]);
  });

  it("still leaves a VM found stopping with no record of the run's send as someone else's change", async () => {
    const prefix = tables.freshPrefix();
    const { gateway, sends } = vm("stopping");
    const input = FIRST_POWER_OFF;
    expect(await worker(prefix, gateway).handler(input, context)).toEqual({ status: "changed", state: "stopping" });
    expect(sends).toEqual([]);
  });
});
