/** What the remote commands send to a deployed app: the function key, and the Entra access token when given. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callApi, RemoteError, RemoteFlagsSchema } from "../../src/cli/remoteClient";

let server: Server;
let app: string;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    // As App Service authentication answers a request without a valid token: 401, empty body.
    if (req.headers.authorization !== "Bearer good.token-value") {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
});

describe("the remote client", () => {
  it("sends the token as a bearer token beside the function key", async () => {
    const flags = RemoteFlagsSchema.parse({ app, key: "k1", token: "good.token-value" });
    await expect(callApi(flags, "GET", "/api/audit/runs")).resolves.toEqual({ ok: true });
    expect(seen.at(-1)).toMatchObject({ "x-functions-key": "k1", authorization: "Bearer good.token-value" });
  });

  it("says what to send when the app refuses a request without a token, and when it refuses the token", async () => {
    const withoutToken = await callApi(RemoteFlagsSchema.parse({ app, key: "k1" }), "GET", "/api/audit/runs").catch((e: unknown) => e);
    expect(withoutToken).toBeInstanceOf(RemoteError);
    expect(seen.at(-1)?.authorization).toBeUndefined();
    expect((withoutToken as RemoteError).message).toMatch(/--token or PORT25_API_TOKEN/);
    const badToken = await callApi(RemoteFlagsSchema.parse({ app, key: "k1", token: "expired" }), "GET", "/api/audit/runs").catch((e: unknown) => e);
    expect((badToken as RemoteError).message).toMatch(/refused the function key .* or the access token/);
  });

  it("refuses a token pasted with its scheme or with spaces, naming the flag", () => {
    const bad = RemoteFlagsSchema.safeParse({ app, key: "k1", token: "Bearer abc" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ["token"], message: expect.stringMatching(/without the word Bearer/) });
  });
});
