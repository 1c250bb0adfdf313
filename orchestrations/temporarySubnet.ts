/**
 * Deleting a temporary subnet, one implementation for the VNet refresh (its compensation) and the re-verification's
 * leak sweep: send the delete, poll until the subnet is gone, and send it again when ARM lost it — an operation that
 * ended Failed or Canceled, or a subnet still there with no delete in flight. A send past its deadline that ARM still
 * reports in progress is not abandoned: it is watched for up to one more deadline, since once nobody watches it, an
 * operation that then ends Failed leaves the subnet behind with nothing to send the delete again.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { z } from "zod";
import { callActivity } from "./toolkit/calls";
import { readSubnetStateActivity } from "../src/contracts/durable/readSubnetState";
import { removeTemporarySubnetActivity } from "../src/contracts/durable/removeTemporarySubnet";
import type { OperationHandle } from "../src/contracts/azure";
import { governanceReason, type ReasonCode } from "../src/contracts/outcome";
import { backoffSeconds, transientRetry } from "./shared";
import { awayClock, monitor } from "./toolkit/monitor";

const SUBNET_POLL_SECONDS = 10;
/** A leaked subnet is worse than a slow run: throttled or conflicting sends and reads are repeated this often. */
const MAX_SUBNET_DELETE_ATTEMPTS = 16;
/** Sends of the delete after ARM lost one (Failed, Canceled, or the subnet lingering with nothing in flight). */
const MAX_RESENDS = 3;
/** Sends after an operation lost to another one on the VNet (AnotherOperationInProgress): expected to pass later. */
const MAX_BUSY_RESENDS = 8;
/** Polls without an operation in flight that find the subnet still present before the delete is sent again. */
const RESEND_AFTER_POLLS = 6;

interface SubnetTarget {
  vnetId: string;
  subnetName: string;
}

export type SubnetStep = { ok: true } | { ok: false; reasonCode: ReasonCode; message: string; errorCode?: string };

/** A subnet step ends on a read that failed, or stayed throttled or in conflict past its attempts. */
export function subnetReadFailed(subnetName: string, read: { message: string; code: string }): { end: SubnetStep } {
  return {
    end: {
      ok: false,
      reasonCode: "operationFailed",
      message: `reading ${subnetName} failed: ${read.message}`,
      errorCode: read.code,
    },
  };
}

/**
 * Deletes the subnet and waits until it is gone; each send has `timeoutMinutes` to take effect, and one ARM still
 * reports in progress then (its operation InProgress, or the subnet Deleting) up to `timeoutMinutes` more.
 */
export function* deleteTemporarySubnet(
  context: OrchestrationContext,
  target: SubnetTarget,
  timeoutMinutes: number,
): Generator<Task, SubnetStep, unknown> {
  const name = target.subnetName;
  let resends = 0;
  let busyResends = 0;
  let handle: OperationHandle | undefined;
  // Time the host was away while the delete was watched (late timers) does not count against its deadlines.
  const clock = awayClock(context);
  let deadline = clock.deadline(timeoutMinutes * 60);
  let lastChance = deadline.after(timeoutMinutes * 60);
  /** The last read showed this delete still running in ARM: past the deadline it is watched, not abandoned. */
  let inFlight = false;
  let lingering = 0;
  let busy = 0;
  type Read = z.output<typeof readSubnetStateActivity.output>;
  return yield* monitor<Read, SubnetStep>(context, {
    // 1. Send (the activity reads first: absent is done, Deleting is left to finish).
    *begin() {
      for (let attempt = 1; ; attempt++) {
        const r = yield* callActivity(context, removeTemporarySubnetActivity, target, transientRetry());
        if (r.status === "absent") return { end: { ok: true } };
        if (r.status === "started" || r.status === "deleting") {
          handle = r.status === "started" && !r.handle.completed ? r.handle : undefined;
          break;
        }
        if (r.status === "failed" || r.status === "notFound" || attempt >= MAX_SUBNET_DELETE_ATTEMPTS) {
          // A lock (ScopeLocked) is final: the subnet stays until its owner removes the lock.
          const reasonCode =
            r.status === "throttled" || r.status === "conflict"
              ? r.status
              : (governanceReason(r.code) ?? "operationFailed");
          return {
            end: { ok: false, reasonCode, message: `deleting ${name} failed: ${r.message}`, errorCode: r.code },
          };
        }
        yield* clock.pause(backoffSeconds(attempt, r.retryAfterSeconds));
      }
      // 2. Poll until gone, or until ARM says this send is over without it.
      deadline = clock.deadline(timeoutMinutes * 60);
      lastChance = deadline.after(timeoutMinutes * 60);
      inFlight = false;
      lingering = 0;
      busy = 0;
      return { wait: SUBNET_POLL_SECONDS };
    },
    beforeWait(wait) {
      if (!deadline.passed() || (inFlight && !lastChance.passed())) return { wait };
      const message = inFlight
        ? `${name} was still being deleted after ${2 * timeoutMinutes} min`
        : `${name} was not deleted within ${timeoutMinutes} min`;
      return { end: { ok: false, reasonCode: "transitionTimedOut", message } };
    },
    *readStatus() {
      const r = yield* callActivity(context, readSubnetStateActivity, { ...target, handle }, transientRetry());
      if (r.status === "ok")
        inFlight = r.operation?.status === "InProgress" || r.subnet?.provisioningState?.toLowerCase() === "deleting";
      return r;
    },
    readError(r) {
      if (r.status !== "ok") {
        if (r.status === "notFound") return { end: { ok: true } };
        if (r.status === "failed" || ++busy >= MAX_SUBNET_DELETE_ATTEMPTS) {
          return subnetReadFailed(name, r);
        }
        return undefined;
      }
      const op = r.operation;
      if (op?.status === "Failed" || op?.status === "Canceled") {
        // Lost to another write on the VNet: that one ends, then ours goes through. Anything else: a few more sends.
        const lostToAnother = op.error?.retryable === true && busyResends < MAX_BUSY_RESENDS;
        if (!lostToAnother && resends >= MAX_RESENDS) {
          return {
            end: {
              ok: false,
              reasonCode: "operationFailed",
              message: `deleting ${name} failed: ${op.error?.message ?? op.status}`,
              errorCode: op.error?.code ?? op.status,
            },
          };
        }
        if (lostToAnother) return { resend: backoffSeconds(++busyResends, undefined) };
        resends++;
        return { resend: 0 };
      }
      if (op?.status === "Succeeded") handle = undefined;
      // No delete in flight as far as ARM says, yet the subnet is still there: send the delete again, a few times.
      if (
        handle === undefined &&
        r.subnet?.exists === true &&
        ++lingering % RESEND_AFTER_POLLS === 0 &&
        resends < MAX_RESENDS
      ) {
        resends++;
        return { resend: 0 };
      }
      return undefined;
    },
    isDone: (r) => (r.status === "ok" && r.subnet !== undefined && !r.subnet.exists ? { ok: true } : undefined),
    nextWait: () => SUBNET_POLL_SECONDS,
    pause: clock.pause,
  });
}
