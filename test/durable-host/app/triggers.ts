/** HTTP and timer triggers of the durable-host test app, using the real durable client. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext, type Timer } from "@azure/functions";
import * as df from "durable-functions";

df.app.client.http("StartOrchestration", {
  route: "orchestrators/{name}",
  methods: ["POST"],
  handler: async (request: HttpRequest, client: df.DurableClient) => {
    const body = await request.text();
    const instanceId = await client.startNew(request.params.name ?? "", {
      ...(body === "" ? {} : { input: JSON.parse(body) as unknown }),
      ...(request.query.get("instanceId") ? { instanceId: request.query.get("instanceId") ?? "" } : {}),
    });
    return client.createCheckStatusResponse(request, instanceId);
  },
});

/** Exercises every client call the product uses, reporting what each returned. */
df.app.client.http("ManageInstance", {
  route: "manage/{id}/{op}",
  methods: ["POST", "GET"],
  handler: async (request: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> => {
    const id = request.params.id ?? "";
    switch (request.params.op) {
      case "status": {
        const s = await client.getStatus(id, { showHistory: true });
        return {
          jsonBody: {
            runtimeStatus: s.runtimeStatus,
            output: s.output,
            customStatus: s.customStatus,
            historyLength: Array.isArray(s.history) ? s.history.length : 0,
          },
        };
      }
      case "approve":
        await client.raiseEvent(id, "Approve", { by: "tester" });
        return { status: 202 };
      case "terminate":
        await client.terminate(id, "stopped by test");
        return { status: 202 };
      case "purge": {
        const r = await client.purgeInstanceHistory(id);
        return { jsonBody: { deleted: r.instancesDeleted } };
      }
      case "list": {
        const all = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] });
        return { jsonBody: all.map((s) => s.instanceId).sort() };
      }
      case "startVersioned":
        return {
          jsonBody: {
            id: await client.startNew("Versioned", { instanceId: id, version: request.query.get("version") ?? "" }),
          },
        };
      case "readEntity":
        try {
          const state = await client.readEntityState(new df.EntityId("Counter", id));
          return { jsonBody: { entityExists: state.entityExists } };
        } catch (e) {
          return { status: 500, jsonBody: { error: e instanceof Error ? e.message : String(e) } };
        }
      default:
        return { status: 400 };
    }
  },
});

df.app.client.timer("NightlyStart", {
  schedule: "0 0 2 * * *",
  handler: async (timer: Timer, client: df.DurableClient, context: InvocationContext) => {
    const id = await client.startNew("Hello", { instanceId: `nightly-${timer.scheduleStatus?.last ?? "x"}` });
    context.log(`started ${id}`);
  },
});

app.http("Ping", { route: "ping", handler: () => ({ jsonBody: { pong: true } }) });
