/** A scripted HTTPS endpoint for gateway unit tests: each request is recorded and answered by a test-given handler. */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { generate } from "selfsigned";
import { parseConfig } from "../../src/config";
import { ArmClients, createArmConnection, type ArmRetryOptions } from "../../src/azure/clients";
import { ArmGatewayImpl } from "../../src/azure/armGateway";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type FakeHandler = (req: RecordedRequest, endpoint: string) => FakeReply;

export interface FakeArm {
  endpoint: string;
  caPem: string;
  requests: RecordedRequest[];
  setHandler(handler: FakeHandler): void;
  close(): Promise<void>;
}

export const SUB = "00000000-0000-0000-0000-000000000001";
export const FAST_RETRY: ArmRetryOptions = { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 20 };

export async function startFakeArm(handler: FakeHandler): Promise<FakeArm> {
  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keySize: 2048,
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  });
  let current = handler;
  const requests: RecordedRequest[] = [];
  let endpoint = "";
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", endpoint);
      const recorded: RecordedRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(recorded);
      const reply = current(recorded, endpoint);
      const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    caPem: pems.cert,
    requests,
    setHandler(h) {
      current = h;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

/** The gateway and its clients, configured exactly as production does it but for the fake's endpoint and CA. */
export function gatewayFor(fake: { endpoint: string; caPem: string }, retry: ArmRetryOptions = FAST_RETRY) {
  const config = parseConfig({ PORT25_ARM_ENDPOINT: fake.endpoint, PORT25_ARM_STATIC_TOKEN: "test-token" });
  const clients = new ArmClients(createArmConnection(config, { caPem: fake.caPem, retry }));
  return { clients, gateway: new ArmGatewayImpl(clients) };
}

export function armError(
  status: number,
  code: string,
  message = code,
  headers: Record<string, string> = {},
): FakeReply {
  return { status, headers, body: { error: { code, message } } };
}
