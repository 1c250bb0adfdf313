/** Shared set-up for the durable-host tests: a host with the test app loaded. */
import * as path from "node:path";
import {
  createDurableHost,
  type DurableHost,
  type DurableHostOptions,
  type HistoryEvent,
} from "../../src/durable-host";

export const APP_MODULES = ["activities.ts", "orchestrations.ts", "triggers.ts"].map((f) =>
  path.join(__dirname, "app", f),
);

export const START = Date.UTC(2025, 0, 6, 8, 0, 0);

export async function testHost(options: DurableHostOptions = {}): Promise<DurableHost> {
  const host = createDurableHost({ startTime: START, ...options });
  await host.importApp(APP_MODULES);
  return host;
}

export function eventsOf(history: readonly HistoryEvent[], type: number): HistoryEvent[] {
  return history.filter((e) => e.EventType === type);
}
