/**
 * What a start request makes of a run: its id and everything in its input but the subscription. Shared by the HTTP
 * starters and `port25 run`, which start remediateSubscription with the same input; free of trigger registrations so
 * that the command line can import it.
 */
import { randomUUID } from "node:crypto";
import { RunTemplateSchema, type RunTemplate } from "../contracts/campaign";
import type { StartRequest } from "../contracts/startRequest";
import type { Caller } from "./http";
import type { ClockKind } from "../contracts/clock";

/** `<time>-<nonce>`: the time to the second and `nonceDigits` random hex digits. */
export function newRunId(now: Date, nonceDigits = 8): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${stamp}-${randomUUID().replace(/-/g, "").slice(0, nonceDigits)}`;
}

/**
 * What a start request and its caller make of a run, or of every run of a campaign: all of the run's input but the
 * subscription and the run id. The starter is the authenticated principal; attestation.approvedBy is the exemption's
 * approver, a claim about the exemption recorded as given.
 */
export function runTemplateOf(
  start: Pick<StartRequest, "attestation" | "mode" | "requireApproval" | "allowSelfApproval" | "options">,
  caller: Pick<Caller, "name" | "id">,
  now: Date,
  defaultProbeHost: string,
  clock: ClockKind = "wall",
): RunTemplate {
  return RunTemplateSchema.parse({
    attestation: start.attestation,
    mode: start.mode,
    requireApproval: start.requireApproval,
    ...(start.allowSelfApproval ? { allowSelfApproval: true } : {}),
    options: start.options,
    requestedBy: caller.name,
    requestedById: caller.id,
    requestedAt: now.toISOString(),
    probeHost: start.options.probeHost ?? defaultProbeHost,
    clock,
  });
}
