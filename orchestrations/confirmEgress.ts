/**
 * A canary's egress path confirmed from its NIC's effective routes (NetworkInterfaces_GetEffectiveRouteTable, a
 * long-running POST on a running VM's NIC): what Azure routes by, where the route tables and peerings read at
 * discovery can only suggest (a hub's gateway advertising a default route over BGP is visible nowhere else). Never
 * fatal: a read refused (403 without networkInterfaces/effectiveRouteTable/action), throttled past its deadline, or
 * failing leaves the computed path, and says why it is not confirmed.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import type { EgressPath, PathConfirmation } from "../src/contracts/egress";
import { activityTask, parseActivityResult } from "./toolkit/calls";
import { addSeconds } from "../src/contracts/durable/clock";
import {
  readEffectiveRoutesActivity,
  type ReadEffectiveRoutesResult,
} from "../src/contracts/durable/readEffectiveRoutes";
import type { OperationHandle } from "../src/contracts/azure";
import { confirmEgress } from "../src/domain/egressConfirm";
import type { TaskAwaiter } from "./probeSmtp";
import { transientRetry } from "./shared";
import { awayClock } from "./toolkit/monitor";
import { clippedMessage, TEXT_LIMITS } from "../src/contracts/textLimits";

/** Time the read may take, from its first start attempt to its list. */
export const EFFECTIVE_ROUTES_DEADLINE_SECONDS = 300;
export const EFFECTIVE_ROUTES_POLL_SECONDS = 10;

export interface Confirmed {
  path: EgressPath;
  confirmation: PathConfirmation;
}

function unconfirmed(path: EgressPath, why: string): Confirmed {
  return {
    path,
    confirmation: {
      status: "unconfirmed",
      detail: `effective routes not read (${why}): the path stands as computed from route tables`,
    },
  };
}

export function* confirmPath(
  context: OrchestrationContext,
  awaitTask: TaskAwaiter,
  nicId: string,
  path: EgressPath,
): Generator<Task, Confirmed, unknown> {
  // Time the host was away while the list was awaited (late timers) does not count against its deadline.
  const clock = awayClock(context, function* (seconds) {
    yield* awaitTask(
      context.df.createTimer(addSeconds(context.df.currentUtcDateTime, Math.max(1, Math.ceil(seconds)))),
    );
  });
  const deadline = clock.deadline(EFFECTIVE_ROUTES_DEADLINE_SECONDS);
  const left = (): number => deadline.left();
  const pause = clock.pause;
  const read = function* (handle: OperationHandle | undefined): Generator<Task, ReadEffectiveRoutesResult, unknown> {
    const raw = yield* awaitTask(
      activityTask(context, readEffectiveRoutesActivity, { nicId, handle }, transientRetry()),
    );
    return parseActivityResult(readEffectiveRoutesActivity, raw);
  };
  try {
    let handle: OperationHandle | undefined;
    for (;;) {
      const answer = yield* read(handle);
      switch (answer.status) {
        case "done":
          return confirmEgress(path, answer.routes);
        case "started":
          handle = answer.handle;
          if (left() < EFFECTIVE_ROUTES_POLL_SECONDS) return unconfirmed(path, "no list within the time allowed");
          yield* pause(EFFECTIVE_ROUTES_POLL_SECONDS);
          break;
        case "inProgress": {
          const wait = Math.max(EFFECTIVE_ROUTES_POLL_SECONDS, answer.retryAfterSeconds ?? 0);
          if (left() < wait) return unconfirmed(path, "no list within the time allowed");
          yield* pause(wait);
          break;
        }
        case "readFailed":
          return unconfirmed(path, `the read failed: ${answer.code}`);
        case "throttled":
        case "conflict": {
          const wait = Math.max(EFFECTIVE_ROUTES_POLL_SECONDS, answer.retryAfterSeconds ?? 30);
          if (left() < wait) return unconfirmed(path, `${answer.code}, still at the deadline`);
          yield* pause(wait);
          break;
        }
        default: {
          const access =
            answer.statusCode === 403
              ? "; the role needs Microsoft.Network/networkInterfaces/effectiveRouteTable/action"
              : "";
          return unconfirmed(path, `${answer.statusCode ?? ""} ${answer.code}${access}`.trim());
        }
      }
    }
  } catch (e) {
    return unconfirmed(path, clippedMessage(e, TEXT_LIMITS.note));
  }
}
