/**
 * How an orchestration tells people of an event without waiting for them: it starts the event's deliverNotification
 * instance and yields it together with a timer due now, so it goes on at once (the timer wins) while the delivery
 * keeps going on its own, retries and all. The delivery task is never yielded again: re-yielding it alone would
 * wait for it, and putting it in another Task.any would schedule it again (azure-functions-durable-js#574). Its
 * completion, when it comes, lands on a task nobody waits for, or on an instance that has ended, where the
 * durable engine drops it.
 */
import type { OrchestrationContext, Task } from "durable-functions";
import { subOrchestrationTask } from "./toolkit/calls";
import { deliverNotificationOrchestration, notificationInstanceId } from "../src/contracts/durable/deliverNotification";
import type { NotificationEvent } from "../src/contracts/notification";

export function* announce(context: OrchestrationContext, event: NotificationEvent): Generator<Task, void, unknown> {
  const delivery = subOrchestrationTask(
    context,
    deliverNotificationOrchestration,
    { event },
    notificationInstanceId(context.df.instanceId, event),
  );
  yield context.df.Task.any([delivery, context.df.createTimer(context.df.currentUtcDateTime)]);
}
