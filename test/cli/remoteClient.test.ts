/** What the remote commands send to a deployed app: the function key, and the Entra access token when given. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callApi, RemoteError, RemoteFlagsSchema } from "../../src/cli/remoteClient";

let server: Server;
let app: string;
const seen: IncomingHttpHeaders[] = [];
const urls: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    urls.push(req.url ?? "");
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
    const withoutToken = await callApi(RemoteFlagsSchema.parse({ app, key: "k1" }), "GET", "/api/audit/runs").catch(
      (e: unknown) => e,
    );
    expect(withoutToken).toBeInstanceOf(RemoteError);
    expect(seen.at(-1)?.authorization).toBeUndefined();
    expect((withoutToken as RemoteError).message).toMatch(/--token or PORT25_API_TOKEN/);
    const badToken = await callApi(
      RemoteFlagsSchema.parse({ app, key: "k1", token: "expired" }),
      "GET",
      "/api/audit/runs",
    ).catch((e: unknown) => e);
    expect((badToken as RemoteError).message).toMatch(/refused the function key .* or the access token/);
  });

  it("refuses a token pasted with its scheme or with spaces, naming the flag", () => {
    const bad = RemoteFlagsSchema.safeParse({ app, key: "k1", token: "Bearer abc" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({
      path: ["token"],
      message: expect.stringMatching(/without the word Bearer/),
    });
  });

  it("takes the app's address as `port25 serve` prints it, with the API's /api prefix, without doubling it", async () => {
    const flags = RemoteFlagsSchema.parse({ app: `${app}/api/`, key: "k1", token: "good.token-value" });
    expect(flags.app).toBe(app);
    await callApi(flags, "GET", "/api/audit/runs");
    expect(urls.at(-1)).toBe("/api/audit/runs");
  });

  it("names the address and the system's reason when nothing answers there", async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, "127.0.0.1", done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const err = await callApi(
      RemoteFlagsSchema.parse({ app: `http://127.0.0.1:${port}`, key: "k1" }),
      "GET",
      "/api/audit/runs",
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).message).toBe(
      `could not reach the app at http://127.0.0.1:${port} (ECONNREFUSED): is it running (\`port25 serve\` prints its address), and is --app right?`,
    );
  });
});
