/**
 * Where every subscription of a running campaign stands, read from its queues and lanes (and each running run's
 * progress) through whatever reads instance statuses: the durable client in the API, the local host in the CLI.
 */
import type { z } from "zod";
import { PhaseSchema, ProgressSchema, type Phase } from "../contracts/remediation";
import { liveProgress } from "../contracts/durable/runWave";
import {
  CampaignQueueInput,
  CampaignQueueOutput,
  QueueStatusSchema,
  laneInstanceId,
  LaneStatusSchema,
} from "../contracts/durable/campaign";
import { CampaignMemberSchema, type CampaignMember, cancelledBeforeRun } from "../contracts/campaign";

/** The durable runtime statuses (by name, as durable-functions' OrchestrationRuntimeStatus spells them) of an instance that may still act. */
const LIVE: readonly string[] = ["Running", "Pending", "Suspended"];

/** Pending, running or suspended: the instance may still act. */
export function isLive(status: { runtimeStatus: string }): boolean {
  return LIVE.includes(status.runtimeStatus);
}

export const CampaignViewMemberSchema = CampaignMemberSchema.extend({ phase: PhaseSchema.optional() });
export type CampaignViewMember = z.output<typeof CampaignViewMemberSchema>;

/** An instance's status as a durable client (or the local host) gives it. */
interface StatusRead {
  runtimeStatus: string;
  input?: unknown;
  customStatus?: unknown;
  output?: unknown;
}
type ReadStatus = (instanceId: string, showInput: boolean) => Promise<StatusRead | undefined>;

/**
 * Every subscription of a running campaign where it stands, from its queues (their inputs list every subscription;
 * their statuses, how many lanes have started and who was cancelled ahead) and their lanes (whose statuses list
 * their subscriptions as they stand), each running one with its run's phase and counts.
 */
export async function liveMembers(
  read: ReadStatus,
  queues: readonly string[],
): Promise<{ members: CampaignViewMember[]; active: string[]; holders: Map<string, string> }> {
  const members: CampaignViewMember[] = [];
  const active: string[] = [];
  const holders = new Map<string, string>();
  for (const queueId of queues) {
    const q = await read(queueId, true);
    const input = CampaignQueueInput.safeParse(q?.input);
    if (q === undefined || !input.success) continue;
    const ended = CampaignQueueOutput.safeParse(q.output);
    if (q.runtimeStatus === "Completed" && ended.success) {
      members.push(...ended.data.members);
      continue;
    }
    if (isLive(q)) active.push(queueId);
    const status = QueueStatusSchema.safeParse(q.customStatus);
    const listed = new Map<string, { member: CampaignMember; lane: string; live: boolean }>();
    const laneIds = Array.from({ length: status.success ? status.data.lanes : 0 }, (_, l) =>
      laneInstanceId(queueId, l),
    );
    const lanes = await Promise.all(laneIds.map((id) => read(id, false)));
    for (const [l, laneId] of laneIds.entries()) {
      const lane = lanes[l];
      const live = lane !== undefined && isLive(lane);
      if (live) active.push(laneId);
      const s = LaneStatusSchema.safeParse(lane?.customStatus);
      for (const m of s.success ? s.data.members : []) listed.set(m.subscriptionId, { member: m, lane: laneId, live });
    }
    const ahead = new Set(status.success ? status.data.cancelled : []);
    const queueMembers = input.data.members.map((m): CampaignMember => {
      const found = listed.get(m.subscriptionId);
      if (found !== undefined) return found.member;
      // Cancelled ahead of its lane: the queue records who when it reaches it; until then, the same words.
      if (ahead.has(m.subscriptionId)) return cancelledBeforeRun(m, undefined);
      return { subscriptionId: m.subscriptionId, displayName: m.displayName, state: "pending" };
    });
    for (const m of queueMembers) {
      const found = listed.get(m.subscriptionId);
      if (m.state === "pending") holders.set(m.subscriptionId, found?.live === true ? found.lane : queueId);
    }
    members.push(...(await Promise.all(queueMembers.map((m) => withRunProgress(read, m)))));
  }
  return { members, active, holders };
}

/** A running member with its run's phase and counts as they stand (the running wave's finished lanes counted). */
async function withRunProgress(read: ReadStatus, member: CampaignMember): Promise<CampaignViewMember> {
  if (member.state !== "running" || member.runInstanceId === undefined) return member;
  const run = await read(member.runInstanceId, false);
  const parsed = ProgressSchema.safeParse(run?.customStatus);
  if (!parsed.success) return member;
  // The running wave's finished lanes, and the finished resources of the lanes and chains in flight.
  const progress = await liveProgress(parsed.data, async (id) => (await read(id, false))?.customStatus);
  const phase: Phase = progress.phase;
  return { ...member, phase, counts: progress.counts };
}
