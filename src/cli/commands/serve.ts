/**
 * port25 serve: the function app's HTTP API on 127.0.0.1, served by the local durable host with the product's own
 * triggers, orchestrations and activities, against the Azure simulator and a real Azurite (src/cli/localStack.ts,
 * as `simulate`: the app reaches the simulator only through its settings — ARM endpoint, CA file, static token).
 * Virtual time runs at --time-scale simulated seconds per real second, from the wall clock at start, so a run can be
 * watched, approved and cancelled with the remote commands (`start`, `status --watch`, `approve`, `cancel`, `audit`).
 * With --state DIR it keeps everything in DIR, as `port25 run` does: the durable host's instances (DIR/durable), the
 * audit store's Azurite data (DIR/audit) and the simulated world (DIR/simulator, src/simulator/persist.ts); the same
 * command again, after Ctrl+C or a kill, resumes them all.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { camelKeys, environment, parseFlags, parseFlagValues, UsageError } from "../args";
import { displayPath, invocation, shellQuote } from "../invocation";
import { acquireLock, stopOrphanAzurite, type StateLock } from "../runState";
import { rewriteRecordedAudit } from "../auditCatchUp";
import { createActivities } from "../../../activities";
import { startLocalStack, type LocalStack } from "../localStack";
import { packageRoot } from "../localApp";
import { generateKeys, routePrefixFrom, startHttpFront, type HttpFront } from "../serveHttp";
import { defaultScenarioPath, loadEstateFlag, WorldFlags } from "./simulator";
import { describeScenario, scenarioCounts } from "./simulate";
import { generateFleet, latestExemption, loadEstate, readSavedWorld, rootGroup, type Estate } from "../../simulator";
import { ensureError } from "../../errors";
import { REMEDIATE_SUBSCRIPTION } from "../../contracts/names";
import type { CommandResult } from "../command";

export const DEFAULT_SERVE_PORT = 7071;
export const DEFAULT_TIME_SCALE = 60;

const Flags = z
  .object({
    ...WorldFlags,
    port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_SERVE_PORT),
    timeScale: z.coerce.number().positive().max(1e6).default(DEFAULT_TIME_SCALE),
    auth: z.boolean().default(false),
    state: z.string().min(1).optional(),
  })
  .strict();

/** Real milliseconds between two turns of the host loop when it is idle. */
const TICK_MS = 50;

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Drives the durable host in the background: virtual time follows the wall clock times `timeScale`, timers fire
 * when their time comes, and work started through the API (starts, events) is picked up within a tick.
 */
function pace(stack: LocalStack, timeScale: number, log: (line: string) => void): { stop(): Promise<void> } {
  const clock = stack.host.clock;
  // Starting took a few seconds of wall clock: virtual time catches up, so it never runs behind the wall clock.
  clock.advanceTo(Date.now());
  const real0 = Date.now();
  const virtual0 = clock.now();
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const until = virtual0 + (Date.now() - real0) * timeScale;
      try {
        const report = await stack.host.runUntilIdle({ advanceTimersUpTo: until, maxEpisodes: 200 });
        clock.advanceTo(until);
        if (report.stoppedBy === "idle") await realSleep(TICK_MS);
      } catch (e) {
        log(`durable host: ${ensureError(e).message}`);
        await realSleep(1000);
      }
    }
  })();
  return {
    async stop(): Promise<void> {
      stopping = true;
      await loop;
    },
  };
}

export async function serveCommand(argv: string[], until: Promise<void>): Promise<CommandResult> {
  const { values } = parseFlags(argv, {
    scenario: { type: "string" },
    vms: { type: "string" },
    seed: { type: "string" },
    port: { type: "string" },
    "time-scale": { type: "string" },
    auth: { type: "boolean" },
    state: { type: "string" },
  });
  const f = parseFlagValues(Flags, camelKeys(values));
  if (f.scenario !== undefined && f.vms !== undefined)
    throw new UsageError("--vms: cannot be combined with --scenario");
  if (f.state === undefined) return serveWith(f, undefined, until);
  // One process at a time on a folder, with the message `port25 run` gives (runState.ts).
  const dir = resolve(f.state);
  const lock = acquireLock(dir, [invocation(), "serve", ...argv.map(shellQuote)].join(" "));
  try {
    return await serveWith(f, { dir, lock }, until);
  } finally {
    // A serve that closed cleanly has left the mark and released already; any other end leaves no mark.
    lock.release();
  }
}

async function serveWith(
  f: z.output<typeof Flags>,
  held: { dir: string; lock: StateLock } | undefined,
  until: Promise<void>,
): Promise<CommandResult> {
  const dir = held?.dir;
  const source =
    f.vms !== undefined
      ? `a generated fleet of ${f.vms} VMs (seed ${f.seed})`
      : displayPath(resolve(f.scenario ?? defaultScenarioPath()));
  // What a restart on the same --state must ask for again: the world in the folder was built from it.
  const asked =
    f.vms !== undefined
      ? `--vms ${f.vms} --seed ${f.seed}`
      : `--scenario ${resolve(f.scenario ?? defaultScenarioPath())} --seed ${f.seed}`;
  const simulatorDir = dir === undefined ? undefined : join(dir, "simulator");
  const saved = simulatorDir === undefined ? undefined : readSavedWorld(simulatorDir);
  if (saved !== undefined && saved.source !== asked) {
    throw new UsageError(
      `--state ${displayPath(dir ?? "")}: holds the simulated world of \`${saved.source}\`; start serve with those flags to resume it, or use another --state`,
    );
  }
  let estate: Estate;
  if (saved !== undefined) {
    estate = saved.estate;
  } else {
    const loaded = loadEstate(
      f.vms !== undefined ? generateFleet(f.vms, f.seed) : loadEstateFlag(f.scenario ?? defaultScenarioPath()),
    );
    // Virtual time starts at the wall clock, so the first times read as today's; every time after that (requests,
    // approvals, runs) is the virtual clock's, and the records say so (clock: "simulated").
    const startTime = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    estate = { ...loaded, clock: { ...loaded.clock, startTime } };
  }
  const startedAt = new Date(Date.parse(estate.clock.startTime ?? new Date().toISOString()));
  const scenario = estate.subscriptions[0]?.scenario;
  if (scenario === undefined)
    throw new UsageError(`--scenario ${f.scenario ?? defaultScenarioPath()}: serves no subscription`);
  const root = rootGroup(estate.managementGroups);
  const env = environment();
  const auth = f.auth || env.PORT25_AUTH_ENABLED === "true" || env.PORT25_AUTH_ENABLED === "1";

  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const log = (line: string): void => out(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const routePrefix = routePrefixFrom(packageRoot());
  const prefix = routePrefix === "" ? "" : `${routePrefix}/`;
  process.stderr.write(
    `${saved !== undefined ? "Resuming" : "Starting"} the simulator (${source}), Azurite and the local durable host${dir === undefined ? "" : ` from ${displayPath(dir)}`}…\n`,
  );
  const auditDir = dir === undefined ? undefined : join(dir, "audit");
  // An Azurite left running by a killed serve still holds the audit data: it is stopped before a new one opens it.
  if (auditDir !== undefined) await stopOrphanAzurite(auditDir);
  const stack = await startLocalStack({
    scenario: estate,
    seed: f.seed,
    audit: true,
    // The API may serve for hours: the simulator counts its requests rather than keeping each one.
    requestLog: false,
    ...(auditDir === undefined ? {} : { auditLocation: auditDir }),
    ...(simulatorDir === undefined ? {} : { simulatorPersist: { dir: simulatorDir, source: asked } }),
    env: {
      // The operator's app settings apply as on Azure; the ARM and audit settings are the stack's own.
      ...env,
      // The links in notifications (logged as Port25Event lines) point at this API when its port is known up front.
      ...(f.port !== 0 ? { PORT25_PUBLIC_URL: `http://127.0.0.1:${f.port}` } : {}),
      // Sign-in enforced as on Azure, with local identities (--user on the remote commands) in place of Entra ID.
      ...(auth ? { PORT25_AUTH_ENABLED: "true" } : {}),
    },
    host: {
      // The host writes every instance under DIR/durable before acting on it, and resumes what it holds.
      ...(dir === undefined ? {} : { stateDir: join(dir, "durable") }),
      log: (level, fn, ...args) => {
        if (level === "trace" || level === "debug") return;
        log(
          `${fn}${level === "information" ? "" : ` ${level}`}: ${args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")}`,
        );
      },
    },
  });
  if (auditDir !== undefined && stack.azurite !== undefined)
    writeFileSync(join(auditDir, "azurite.pid"), String(stack.azurite.pid));
  // Azurite may have lost the last writes before a kill: the durable state says which were made (auditCatchUp.ts).
  // Only after an unclean stop: a folder closed cleanly holds the mark of it (cleanClose.ts).
  const auditStore = stack.root.auditStore;
  let auditWhole = held?.lock.closedCleanly === true;
  if (held !== undefined && !auditWhole && auditStore !== undefined) {
    try {
      const sent = await rewriteRecordedAudit(stack.host, auditStore, createActivities(stack.root));
      auditWhole = true;
      if (sent > 0)
        process.stderr.write(
          `${displayPath(held.dir)}: its last process did not close it cleanly; ${sent} audit records written again from the durable state.\n`,
        );
    } catch (e) {
      await stack.close();
      if (auditDir !== undefined) rmSync(join(auditDir, "azurite.pid"), { force: true });
      throw e;
    }
  }
  const keys = generateKeys();
  let front: HttpFront;
  try {
    front = await startHttpFront({ host: stack.host, keys, port: f.port, routePrefix, log });
  } catch (e) {
    await stack.close();
    if (auditDir !== undefined) rmSync(join(auditDir, "azurite.pid"), { force: true });
    const err = ensureError(e);
    if ("code" in err && err.code === "EADDRINUSE") {
      throw new UsageError(`--port: ${f.port} is in use; choose another port (--port 0 takes any free one)`);
    }
    throw err;
  }
  const driver = pace(stack, f.timeScale, log);

  const app = front.origin;
  const sub = stack.sim.subscriptionId;
  const effective = latestExemption(estate);
  const approvedAt =
    effective !== undefined && Date.parse(effective) <= startedAt.getTime()
      ? effective
      : new Date(startedAt.getTime() - 86_400_000).toISOString();
  const cli = invocation();
  const base = `--app ${app} --key ${keys.functionKey}`;
  // With sign-in enforced, each command names a local person: alice starts, bob approves (four eyes).
  const as = (user: string): string => (auth ? ` --user ${user}` : "");
  out(
    [
      `port25 serve: the function app's HTTP API at ${app}/${routePrefix}`,
      ...(estate.subscriptions.length === 1
        ? [`  simulated subscription ${sub}: ${describeScenario(scenarioCounts(scenario))} (${source})`]
        : [
            `  simulated estate (${source}): ${estate.subscriptions.length} subscriptions under ${estate.managementGroups.length} management groups${root !== undefined ? `, root ${root.id}` : ""}`,
            ...estate.subscriptions.map(
              (x) =>
                `    ${x.scenario.subscription.id.toLowerCase()}  ${x.scenario.subscription.name}${x.managementGroup !== undefined ? ` (in ${x.managementGroup})` : ""}: ${describeScenario(scenarioCounts(x.scenario))}`,
            ),
          ]),
      `  time: ${f.timeScale} simulated seconds per real second, from ${new Date(stack.host.clock.now()).toISOString()}`,
      ...(dir === undefined
        ? []
        : [
            `  state: ${displayPath(dir)} (${
              stack.sim.resumed === undefined
                ? "new"
                : `resumed: ${stack.host.listInstances({ name: REMEDIATE_SUBSCRIPTION }).length} runs, the simulated world after ${stack.sim.resumed.requests} requests`
            }); stop with Ctrl+C and start again with the same command to resume`,
          ]),
      "",
      `Function key: ${keys.functionKey}`,
      "  (header x-functions-key, or ?code=; any other key gets 401)",
      `Master key:   ${keys.masterKey}`,
      `  (admin API: POST ${app}/admin/functions/reverifySubscriptions runs the re-verification timer now)`,
      "",
      "Routes:",
      ...[...front.routes]
        .sort((a, b) => a.template.localeCompare(b.template))
        .map((r) => `  ${r.methods.join(",").padEnd(5)} ${app}/${prefix}${r.template}  (${r.functionName})`),
      "",
      "Try:",
      ...(root !== undefined
        ? [
            "  # start prints the campaign's status, approve and cancel commands",
            `  ${cli} start ${base}${as("alice")} --management-group ${root.id} --attestation-ref REQ-25-0001 --approved-by you@contoso.example --approved-at ${approvedAt}`,
          ]
        : [
            `  ${cli} start ${base}${as("alice")} --subscription ${sub} --require-approval --attestation-ref REQ-25-0001 --approved-by you@contoso.example --approved-at ${approvedAt}`,
            `  ${cli} status ${base}${as("alice")} --id ${sub} --watch`,
            ...(auth ? ["  # a second person approves: alice's own approval is refused (four eyes)"] : []),
            `  ${cli} approve ${base}${as("bob")} --id ${sub}`,
          ]),
      "Then:",
      `  ${cli} audit ${base}${as("alice")}`,
      ...(auth
        ? [
            "",
            "Sign-in is enforced as on Azure (App Service authentication, app roles): --user NAME on the commands above signs in",
            "as NAME with both app roles, a local identity this server accepts because it listens on 127.0.0.1 only.",
          ]
        : []),
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );

  await until;
  out("Stopping…");
  await front.close();
  await driver.stop();
  const c = stack.sim.counters();
  await stack.close();
  if (auditDir !== undefined) rmSync(join(auditDir, "azurite.pid"), { force: true });
  // The durable state is written (stack.close closed the host) and Azurite saved its tables: the folder is closed
  // cleanly, and the next start needs no catch-up. An Azurite that had to be killed may have lost its last writes.
  if (auditWhole && (await stack.azurite?.stop())?.tablesSaved === true) held?.lock.releaseClean();
  out(`Stopped after ${c.requests} ARM requests (${c.throttled} throttled).`);
  return { exitCode: 0 };
}
