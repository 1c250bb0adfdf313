/**
 * Benchmark of the local durable host: a Task.all fan-out of 1,000 and 5,000 activities. Prints replays per
 * instance and orchestrator CPU time, and the 5,000/1,000 cost ratio (target ≤ 8x thanks to batched delivery).
 * Run: npx tsx bench/durableHost.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { createDurableHost, type SchemaName } from "../src/durable-host";

const APP = ["activities.ts", "orchestrations.ts"].map((f) =>
  path.join(__dirname, "..", "test", "durable-host", "app", f),
);
const SIZES = [1000, 5000] as const;
const REPEATS = 5;
type Order = "finished" | "reversed" | "shuffled";
const TARGET_RATIO = 8;

interface Sample {
  replays: number;
  historyLength: number;
  orchestratorCpuMs: number;
  episodeMs: number;
  elapsedMs: number;
}

async function fanOut(n: number, schema: SchemaName, order: Order): Promise<Sample> {
  const host = createDurableHost({ schema, completionOrder: order });
  await host.importApp(APP);
  const t0 = performance.now();
  const id = host.startOrchestration("FanOut", n);
  await host.runUntilIdle();
  const elapsedMs = performance.now() - t0;
  const status = host.getStatus(id);
  if (status?.runtimeStatus !== "Completed")
    throw new Error(`FanOut(${n}) ended ${status?.runtimeStatus ?? "missing"}`);
  const stats = host.stats();
  const instance = stats.instances.find((i) => i.instanceId === id);
  await host.close();
  return {
    replays: instance?.replays ?? 0,
    historyLength: instance?.historyLength ?? 0,
    orchestratorCpuMs: stats.orchestratorCpuMs,
    episodeMs: stats.episodeMs,
    elapsedMs,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function measure(n: number, schema: SchemaName, order: Order): Promise<Sample> {
  const samples: Sample[] = [];
  for (let i = 0; i < REPEATS; i++) samples.push(await fanOut(n, schema, order));
  return {
    replays: median(samples.map((s) => s.replays)),
    historyLength: median(samples.map((s) => s.historyLength)),
    orchestratorCpuMs: median(samples.map((s) => s.orchestratorCpuMs)),
    episodeMs: median(samples.map((s) => s.episodeMs)),
    elapsedMs: median(samples.map((s) => s.elapsedMs)),
  };
}

async function main(): Promise<void> {
  // Warm the JIT so the first measured size is not charged for compilation.
  for (let i = 0; i < 2; i++) for (const n of SIZES) await fanOut(n, "V3", "finished");
  const configurations: { schema: SchemaName; order: Order }[] = [
    { schema: "V3", order: "finished" },
    { schema: "V3", order: "shuffled" },
    { schema: "V3", order: "reversed" },
    { schema: "V1", order: "finished" },
  ];
  const results = [];
  for (const { schema, order } of configurations) {
    const bySize: Record<string, Sample> = {};
    for (const n of SIZES) bySize[String(n)] = await measure(n, schema, order);
    const small = bySize[String(SIZES[0])];
    const large = bySize[String(SIZES[1])];
    const ratio =
      small && large && small.orchestratorCpuMs > 0 ? large.orchestratorCpuMs / small.orchestratorCpuMs : Number.NaN;
    results.push({
      schema,
      completionOrder: order,
      sizes: bySize,
      cpuRatio5000to1000: Number(ratio.toFixed(2)),
      withinTarget: ratio <= TARGET_RATIO,
    });
    console.log(`schema ${schema}, completions ${order}`);
    for (const n of SIZES) {
      const s = bySize[String(n)];
      if (!s) continue;
      console.log(
        `  fan-out ${String(n).padStart(5)}: replays/instance ${s.replays}, history ${s.historyLength} events, ` +
          `orchestrator CPU ${s.orchestratorCpuMs.toFixed(1)} ms, episodes ${s.episodeMs.toFixed(1)} ms, elapsed ${s.elapsedMs.toFixed(1)} ms`,
      );
    }
    console.log(
      `  CPU ratio 5000/1000: ${ratio.toFixed(2)}x (target ≤ ${TARGET_RATIO}x) ${ratio <= TARGET_RATIO ? "OK" : "OVER TARGET"}`,
    );
  }
  const out = path.join(__dirname, "results", "durable-host.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ benchmark: "durable-host fan-out", node: process.version, repeats: REPEATS, targetRatio: TARGET_RATIO, results }, null, 2)}\n`,
  );
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
