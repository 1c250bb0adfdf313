/**
 * The Durable client API over loopback HTTP: the routes the real `DurableClient` calls when `rpcBaseUrl` is set,
 * plus the webhook routes of `createCheckStatusResponse` links, all answered from the local host.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { ensureError } from "../errors";
import type { InstanceOperations, InstanceQuery, InstanceStatus } from "./types";
import { DurableHostError, isDurableHostError } from "./hostError";
import { RuntimeStatusSchema, isTerminal } from "./wire";
import { readRequestBody } from "../httpBody";

/** What the extension hands a function through its `durableClient` input binding. */
export interface DurableClientData {
  taskHubName: string;
  creationUrls: Record<string, string>;
  managementUrls: Record<string, string>;
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
}

const RPC_PREFIX = "/durabletask/";
const WEBHOOK_PREFIX = "/runtime/webhooks/durabletask/";

const flag = z.enum(["true", "false"]).transform((v) => v === "true");
const isoDate = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

const QuerySchema = z.object({
  showHistory: flag.optional(),
  showHistoryOutput: flag.optional(),
  showInput: flag.optional(),
  runtimeStatus: z
    .string()
    .transform((v) => v.split(",").filter((s) => s !== ""))
    .pipe(z.array(RuntimeStatusSchema))
    .optional(),
  createdTimeFrom: isoDate.optional(),
  createdTimeTo: isoDate.optional(),
  reason: z.string().optional(),
  version: z.string().optional(),
});

type Reply = { status: number; body?: unknown };

function wireStatus(s: InstanceStatus, showHistory: boolean, showInput: boolean): Record<string, unknown> {
  return {
    name: s.name,
    instanceId: s.instanceId,
    runtimeStatus: s.runtimeStatus,
    input: showInput ? (s.input ?? null) : null,
    customStatus: s.customStatus ?? null,
    output: s.output ?? null,
    createdTime: s.createdTime.toISOString(),
    lastUpdatedTime: s.lastUpdatedTime.toISOString(),
    ...(showHistory ? { history: s.history } : {}),
  };
}

function checkJson(text: string): string | undefined {
  if (text === "") return undefined;
  try {
    JSON.parse(text);
  } catch (e) {
    throw new DurableHostError(`The request body is not JSON: ${ensureError(e).message}`, {
      code: "BadRequest",
      statusCode: 400,
    });
  }
  return text;
}

export class ClientRpcServer {
  private readonly server: Server;
  private readonly listening: Promise<number>;

  constructor(
    private readonly host: InstanceOperations,
    private readonly taskHubName: string,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.listening = new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  async clientData(): Promise<DurableClientData> {
    const port = await this.listening;
    const origin = `http://127.0.0.1:${port}`;
    const hook = `${origin}${WEBHOOK_PREFIX.slice(0, -1)}`;
    const qs = `taskHub=${encodeURIComponent(this.taskHubName)}&connection=Storage&code=local`;
    const instance = `${hook}/instances/INSTANCEID`;
    return {
      taskHubName: this.taskHubName,
      creationUrls: {
        createNewInstancePostUri: `${hook}/orchestrators/{functionName}[/{instanceId}]?code=local`,
        createAndWaitOnNewInstancePostUri: `${hook}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=local`,
      },
      managementUrls: {
        id: "INSTANCEID",
        statusQueryGetUri: `${instance}?${qs}`,
        sendEventPostUri: `${instance}/raiseEvent/{eventName}?${qs}`,
        terminatePostUri: `${instance}/terminate?reason={text}&${qs}`,
        rewindPostUri: `${instance}/rewind?reason={text}&${qs}`,
        purgeHistoryDeleteUri: `${instance}?${qs}`,
        restartPostUri: `${instance}/restart?${qs}`,
        suspendPostUri: `${instance}/suspend?reason={text}&${qs}`,
        resumePostUri: `${instance}/resume?reason={text}&${qs}`,
      },
      baseUrl: hook,
      requiredQueryStringParameters: "code=local",
      rpcBaseUrl: `${origin}${RPC_PREFIX}`,
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.route(req);
    } catch (e) {
      const error = ensureError(e);
      reply = isDurableHostError(error)
        ? { status: error.statusCode, body: { message: error.message, code: error.code } }
        : { status: 500, body: { message: error.message } };
    }
    const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
    res.writeHead(reply.status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
    res.end(text);
  }

  private async route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const prefix = [RPC_PREFIX, WEBHOOK_PREFIX].find((p) => url.pathname.startsWith(p));
    if (!prefix) return { status: 404, body: { message: `No route for ${url.pathname}` } };
    const parts = url.pathname.slice(prefix.length).split("/").map(decodeURIComponent);
    const queryResult = QuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!queryResult.success) {
      throw new DurableHostError(`Bad query: ${queryResult.error.message}`, { code: "BadRequest", statusCode: 400 });
    }
    const query = queryResult.data;
    const method = req.method ?? "GET";
    const [head, id, action, eventName] = parts;
    const body = method === "POST" ? (await readRequestBody(req)).toString("utf8") : "";

    if (head === "orchestrators" && method === "POST" && id) {
      const instanceId = this.host.startWithInputText(id, checkJson(body), action || undefined, query.version);
      const data = await this.clientData();
      const links = Object.fromEntries(
        Object.entries(data.managementUrls).map(([k, v]) => [k, v.replace("INSTANCEID", instanceId)]),
      );
      return { status: 202, body: { ...links, id: instanceId } };
    }
    if (head === "entities") {
      // A 404 here would read as "no such entity" to the client (readEntityState answers { entityExists: false }):
      // the host does not run entities, so it says that instead of answering as if it did.
      throw new DurableHostError(
        `Durable entities are not supported by the local durable host (${method === "GET" ? "readEntityState" : "signalEntity"} of ${id ?? "?"}/${action ?? "?"})`,
        { code: "NotSupported", statusCode: 501 },
      );
    }
    if (head !== "instances") return { status: 404, body: { message: `No route for ${url.pathname}` } };

    const filter: InstanceQuery = {
      ...(query.runtimeStatus ? { runtimeStatus: query.runtimeStatus } : {}),
      ...(query.createdTimeFrom ? { createdTimeFrom: query.createdTimeFrom } : {}),
      ...(query.createdTimeTo ? { createdTimeTo: query.createdTimeTo } : {}),
    };
    if (!id) {
      if (method === "GET") {
        return {
          status: 200,
          body: this.host
            .listInstances(filter)
            .map((s) => wireStatus(s, query.showHistory === true, query.showInput !== false)),
        };
      }
      if (method === "DELETE") return { status: 200, body: { instancesDeleted: this.host.purgeBy(filter) } };
      return { status: 405, body: { message: `${method} is not allowed here` } };
    }
    if (action === undefined || action === "") {
      if (method === "GET") {
        const status = this.host.getStatus(id);
        if (!status) return { status: 404, body: { message: `No instance with ID '${id}'` } };
        return {
          status: isTerminal(status.runtimeStatus) ? 200 : 202,
          body: wireStatus(status, query.showHistory === true, query.showInput !== false),
        };
      }
      if (method === "DELETE") {
        return this.host.purge(id) ? { status: 200, body: { instancesDeleted: 1 } } : { status: 404 };
      }
      return { status: 405, body: { message: `${method} is not allowed here` } };
    }
    if (method !== "POST") return { status: 405, body: { message: `${method} is not allowed here` } };
    switch (action) {
      case "raiseEvent":
        if (!eventName)
          throw new DurableHostError("An event name is required", { code: "BadRequest", statusCode: 400 });
        this.host.raiseEventText(id, eventName, checkJson(body));
        return { status: 202 };
      case "terminate":
        this.host.terminate(id, query.reason ?? "");
        return { status: 202 };
      default:
        throw new DurableHostError(`'${action}' is not supported by the local durable host`, {
          code: "NotSupported",
          statusCode: 501,
        });
    }
  }
}
