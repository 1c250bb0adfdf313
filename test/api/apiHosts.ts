/**
 * What the API test files share: one Azurite for the file, and every API host (or other closable) a test opens,
 * closed after that test. Call at the top of a file.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import { startAzurite, type LocalAzurite } from "../support/azurite";
import { startApiHost, type ApiHost } from "./apiHost";

type HostOptions = Omit<Parameters<typeof startApiHost>[0], "azuriteConnection">;

export interface ApiHosts {
  /** Starts an API host on the file's Azurite; closed after the test. */
  start(opts: HostOptions): Promise<ApiHost>;
  /** Starts an API host on the file's Azurite that the caller closes (one host for all the tests of a describe). */
  startShared(opts: HostOptions): Promise<ApiHost>;
  /** Closes `closable` after the current test (in the reverse order of tracking). */
  track<T extends { close(): Promise<void> }>(closable: T): T;
}

export function apiHosts(): ApiHosts {
  let azurite: LocalAzurite | undefined;
  const open: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });
  afterEach(async () => {
    while (open.length > 0) await open.pop()?.close();
  });
  const track = <T extends { close(): Promise<void> }>(closable: T): T => {
    open.push(closable);
    return closable;
  };
  const startShared = (opts: HostOptions): Promise<ApiHost> => {
    if (azurite === undefined) throw new Error("apiHosts(): Azurite is not running (call apiHosts() at the top of the file)");
    return startApiHost({ ...opts, azuriteConnection: azurite.connectionString });
  };
  return {
    track,
    startShared,
    async start(opts) {
      return track(await startShared(opts));
    },
  };
}
