/**
 * Spreading a round's first requests over ARM's subscription write bucket rather than meeting it. ARM keeps one token
 * bucket of writes per subscription and region: 200 tokens, 10 more a second (Learn, "Understand how Azure Resource
 * Manager throttles requests"; docs/architecture.md, "Azure's answers"). A wave that starts 500 VMs together spends the
 * bucket in its first 200 writes: the rest are answered 429, each waited out at the cost of a request and two
 * orchestrator episodes, and meanwhile every other writer of the subscription (its owners' deployments) is throttled
 * too. So each lane's round starts its first chains at once, up to its part of a burst the run allows itself, and
 * the others one after another at its part of the bucket's refill. Later steps follow their VM's first one, so they
 * come as spread out as the first writes were.
 */
import type { SendPace } from "../contracts/durable/cycleBatch";

/** ARM's write bucket of a subscription and region: its tokens, and how many it refills a second. */
export const WRITE_BUCKET_CAPACITY = 200;
export const WRITE_REFILL_PER_SECOND = 10;
/** Writes of the bucket the run takes at once: 50 stay for the subscription's other writers. */
export const RUN_WRITE_BURST = 150;

/** The pace of a lane with cap share `share` among lanes running beside it with `groupShares` in all. */
export function lanePace(share: number, groupShares: number): SendPace {
  const part = Math.min(1, share / Math.max(1, groupShares));
  return {
    burst: Math.max(1, Math.floor(RUN_WRITE_BURST * part)),
    perSecond: WRITE_REFILL_PER_SECOND * part,
  };
}

/** Seconds the chain at `position` (0-based) of a round waits before its first request. */
export function startDelaySeconds(position: number, pace: SendPace): number {
  if (position < pace.burst) return 0;
  return Math.ceil((position - pace.burst + 1) / pace.perSecond);
}
