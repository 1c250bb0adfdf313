/** `npx tsx src/simulator/main.ts [--scenario F] [--vms N] [--port P] [--seed S]`: runs the simulator until interrupted. */
import { resolve } from "node:path";
import { ensureError } from "../errors";
import { generateFleet, startSimulator, type Scenario } from "./index";

export const DEFAULT_SCENARIO = resolve(__dirname, "../../scenarios/demo.json");

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) throw new Error(`${name} needs a value`);
  return v;
}

function intFlag(args: readonly string[], name: string): number | undefined {
  const v = flag(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

export async function main(args: readonly string[]): Promise<void> {
  const vms = intFlag(args, "--vms");
  const scenario: Scenario | string = vms !== undefined && vms > 0 ? generateFleet(vms, intFlag(args, "--seed") ?? 1) : resolve(flag(args, "--scenario") ?? DEFAULT_SCENARIO);
  const opts: Parameters<typeof startSimulator>[0] = { scenario };
  const port = intFlag(args, "--port");
  if (port !== undefined) opts.port = port;
  const seed = intFlag(args, "--seed");
  if (seed !== undefined) opts.seed = seed;
  const sim = await startSimulator(opts);
  console.log(`Azure simulator listening at ${sim.endpoint}`);
  console.log(`  subscription id: ${sim.subscriptionId}`);
  console.log(`  CA file:         ${sim.caFile}   (e.g. NODE_EXTRA_CA_CERTS=${sim.caFile})`);
  console.log(`  bearer token:    ${sim.token}`);
  console.log("Press Ctrl+C to stop.");
  await new Promise<void>((done) => process.once("SIGINT", () => done()));
  const c = sim.counters();
  await sim.close();
  console.log(`Stopped after ${c.requests} requests (${c.throttled} throttled).`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(ensureError(e).message);
    process.exitCode = 2;
  });
}
