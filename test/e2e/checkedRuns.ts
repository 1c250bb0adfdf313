/**
 * What the end-to-end files share: every host a test opens is closed after it (`track`), and `run` runs one
 * remediation to the end and fails the test on any broken invariant (test/support/invariants.ts) before returning it.
 */
import { afterEach, expect } from "vitest";
import { runRemediation } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import type { RemediationResult } from "../../src/contracts/remediation";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

/** Closes `closable` after the current test. */
export function track<T extends { close(): Promise<void> }>(closable: T): T {
  open.push(closable);
  return closable;
}

export async function run(...args: Parameters<typeof runRemediation>): ReturnType<typeof runRemediation> {
  const r = await runRemediation(...args);
  track(r.product);
  expect(checkInvariants(r.product.sim, r.result, r.product.scenario)).toEqual([]);
  return r;
}

/** The outcome of the resource named `name`; throws when the run has none. */
export function outcome(result: RemediationResult, name: string): RemediationResult["outcomes"][number] {
  const o = result.outcomes.find((x) => x.name === name);
  if (o === undefined) throw new Error(`no outcome for ${name}`);
  return o;
}
