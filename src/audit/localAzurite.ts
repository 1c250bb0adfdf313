/**
 * Starts the `azurite` storage emulator (blob, queue, table) as a child process on free loopback ports.
 * Used by the `simulate` command and the tests; the function app's triggers never import it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Port25Error, ensureError } from "../errors";

/** Azurite's fixed development account; its key is the emulator's published well-known key. */
const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface LocalAzurite {
  /** Full connection string naming all three endpoints (http, loopback). */
  readonly connectionString: string;
  readonly blobEndpoint: string;
  readonly queueEndpoint: string;
  readonly tableEndpoint: string;
  /** The emulator's process id (for diagnostics). */
  readonly pid: number;
  /** Stops the emulator and waits for it to exit; safe to call more than once (each call answers the same). */
  stop(): Promise<AzuriteStopped>;
}

/** How the emulator ended. */
export interface AzuriteStopped {
  /**
   * Its table service said it had closed: its LokiJS store saves a changed database as it closes (lokijs `close()`),
   * and Azurite prints "Azurite Table service successfully closed" only once that close has resolved (azurite.js
   * `shutdown`). False when it had to be killed, or ended otherwise: writes of its last seconds may be lost.
   */
  readonly tablesSaved: boolean;
}

export interface StartAzuriteOptions {
  /** How long to wait for all three services to listen (default 60 s: the machine may be busy). */
  readyTimeoutMs?: number;
  /** Receives every line Azurite prints (for debugging a failed start). */
  onOutput?: (line: string) => void;
  /**
   * Keep the data in this folder (Azurite's --location) instead of in memory, so that a later start on the same
   * folder sees the same tables. The folder must not be shared by two emulators at once.
   */
  location?: string;
}

type Service = "blob" | "queue" | "table";
const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/;
const TABLES_CLOSED = "Azurite Table service successfully closed";

/** What the emulator has said that matters after its start: the last lines (for errors) and its tables' close. */
interface Said {
  readonly last: string[];
  tablesClosed: boolean;
}

/** Path of Azurite's combined entry point, resolved from the installed package. */
function azuriteEntryPoint(): string {
  let pkgJson: string;
  try {
    pkgJson = require.resolve("azurite/package.json");
  } catch (e) {
    throw new Port25Error("The azurite package is not installed (it is a development dependency: run `npm ci`)", {
      code: "AzuriteMissing",
      cause: ensureError(e),
    });
  }
  return join(dirname(pkgJson), "dist", "src", "azurite.js");
}

function azuriteConnectionString(endpoints: Record<Service, string>): string {
  return (
    [
      "DefaultEndpointsProtocol=http",
      `AccountName=${AZURITE_ACCOUNT}`,
      `AccountKey=${AZURITE_ACCOUNT_KEY}`,
      `BlobEndpoint=${endpoints.blob}/${AZURITE_ACCOUNT}`,
      `QueueEndpoint=${endpoints.queue}/${AZURITE_ACCOUNT}`,
      `TableEndpoint=${endpoints.table}/${AZURITE_ACCOUNT}`,
    ].join(";") + ";"
  );
}

/**
 * Starts Azurite with in-memory persistence (or on disk under `options.location`). Ports are chosen by the OS (port 0) and read back from
 * the "successfully listening" lines, so parallel test files never collide.
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<LocalAzurite> {
  const entry = azuriteEntryPoint();
  // Azurite writes its debug log and policy files into the working location even in memory mode.
  const workDir = options.location ?? mkdtempSync(join(tmpdir(), "port25-azurite-"));
  if (options.location !== undefined) mkdirSync(options.location, { recursive: true });
  const args = [
    entry,
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    "0",
    "--queueHost",
    "127.0.0.1",
    "--queuePort",
    "0",
    "--tableHost",
    "127.0.0.1",
    "--tablePort",
    "0",
    ...(options.location === undefined ? ["--inMemoryPersistence"] : ["--location", options.location]),
    "--disableTelemetry",
    "--skipApiVersionCheck",
    "--loose",
  ];
  // Azurite runs in a process group of its own, so Ctrl+C at the terminal reaches only this process, which then
  // reads the audit for its partial report and stops Azurite itself. It holds the read end of a pipe from this
  // process, and ends when that pipe closes: when this process ends in any way, a SIGKILL included (a test
  // worker ended by the runner, a crash), no Azurite outlives it. It ends as on SIGTERM, Azurite's own shutdown:
  // on disk its table service keeps LokiJS data that it saves every 5 s (azurite's LokiTableMetadataStore,
  // `autosaveInterval: 5000`) and once more when it closes (lokijs `close()` saves a dirty database), so the writes
  // of the last seconds reach the disk. A plain exit would lose them. Ten seconds later it exits regardless.
  // (test/audit/localAzurite.test.ts kills a parent right after a write and finds the write.)
  const watchdog = join(workDir, "exit-with-parent.cjs");
  writeFileSync(
    watchdog,
    [
      "let ending = false;",
      "const end = () => {",
      "  if (ending) return;",
      "  ending = true;",
      // Its output went to the parent: writing there now fails (EPIPE) and would end it before its save.
      '  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);',
      "  for (const level of ['log', 'info', 'warn', 'error']) console[level] = () => undefined;",
      "  setTimeout(() => process.exit(0), 10000).unref();",
      '  if (process.listenerCount("SIGTERM") > 0) process.emit("SIGTERM", "SIGTERM");',
      "  else process.exit(0);",
      "};",
      'process.stdin.on("end", end);',
      'process.stdin.on("error", end);',
      "process.stdin.resume();",
      // The pipe only watches: once Azurite has closed its servers (SIGTERM), nothing else keeps it alive.
      "process.stdin.unref?.();",
      "",
    ].join("\n"),
  );
  const child = spawn(process.execPath, ["--require", watchdog, ...args], {
    cwd: workDir,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  const said: Said = { last: [], tablesClosed: false };
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  const cleanup = (): void => {
    process.removeListener("exit", killOnExit);
    if (options.location === undefined) rmSync(workDir, { recursive: true, force: true });
  };

  let endpoints: Record<Service, string>;
  try {
    endpoints = await waitForListening(child, said, options);
  } catch (e) {
    await stopChild(child, closed);
    cleanup();
    throw e;
  }
  let stopped: Promise<AzuriteStopped> | undefined;
  return {
    connectionString: azuriteConnectionString(endpoints),
    blobEndpoint: `${endpoints.blob}/${AZURITE_ACCOUNT}`,
    queueEndpoint: `${endpoints.queue}/${AZURITE_ACCOUNT}`,
    tableEndpoint: `${endpoints.table}/${AZURITE_ACCOUNT}`,
    pid: child.pid ?? -1,
    stop: () => {
      stopped ??= stopChild(child, closed)
        .finally(cleanup)
        .then(() => ({ tablesSaved: said.tablesClosed }));
      return stopped;
    },
  };
}

function waitForListening(
  child: ChildProcess,
  said: Said,
  options: StartAzuriteOptions,
): Promise<Record<Service, string>> {
  const found: Partial<Record<Service, string>> = {};
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.removeListener("exit", onExit);
      child.removeListener("error", onError);
      if (error !== undefined) {
        reject(error);
        return;
      }
      const { blob, queue, table } = found;
      if (blob !== undefined && queue !== undefined && table !== undefined) resolve({ blob, queue, table });
    };
    const failure = (why: string, cause?: unknown): Error =>
      new Port25Error(`Azurite did not start: ${why}\n${said.last.join("\n")}`, {
        code: "AzuriteStartFailed",
        cause,
      });
    const onLine = (line: string): void => {
      // Only the last lines are kept: Azurite logs every request, and an emulator may serve for hours.
      said.last.push(line);
      if (said.last.length > 20) said.last.shift();
      if (line.includes(TABLES_CLOSED)) said.tablesClosed = true;
      options.onOutput?.(line);
      const m = LISTENING.exec(line);
      if (m?.[1] === undefined || m[2] === undefined) return;
      found[m[1].toLowerCase() as Service] = m[2].replace(/\/$/, "");
      if (found.blob !== undefined && found.queue !== undefined && found.table !== undefined) finish(undefined);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      finish(failure(`the process exited (code ${String(code)}, signal ${String(signal)})`));
    };
    const onError = (e: Error): void => finish(failure(e.message, e));
    const timer = setTimeout(() => finish(failure(`no listening lines after ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", onExit);
    child.once("error", onError);
    splitLines(child.stdout, onLine);
    splitLines(child.stderr, onLine);
  });
}

function splitLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream === null) return;
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      onLine(buffered.slice(0, nl).replace(/\r$/, ""));
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
    }
  });
}

/**
 * SIGTERM lets Azurite close its servers; SIGKILL only if it has not exited within five seconds. Resolves once its
 * output is closed too ('close', not 'exit': the lines it printed last, its tables' close among them, are read).
 */
function stopChild(child: ChildProcess, closed: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return closed;
  const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
  child.kill("SIGTERM");
  return closed.finally(() => clearTimeout(force));
}
