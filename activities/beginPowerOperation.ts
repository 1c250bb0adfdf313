/**
 * Activity: one power step (power off, deallocate, start) on a VM or on instances of a uniform scale set.
 * Reads the current state first (or takes the state the orchestration's last poll just saw, `knownState`) and sends
 * the request only where the step is still needed, so a re-run after a lost completion sends nothing twice.
 * Throttling, conflicts and ARM's refusals come back as data. On a resource's first write (`expectedState`) it always
 * reads, and sends nothing when someone else has changed the resource since the plan: the product never powers off,
 * deallocates or starts a machine on a state its owner has since changed.
 */
import type { z } from "zod";
import { bindActivity, type BoundActivity } from "./binding";
import {
  beginPowerOperationActivity,
  type BeginPowerOperationInput,
  type BeginPowerOperationOutput,
} from "../src/contracts/durable/beginPowerOperation";
import { stepInTransition, stepSatisfied } from "../src/contracts/durable/common";
import type { PowerState } from "../src/contracts/power";
import type { OperationHandle } from "../src/contracts/azure";
import type { ArmGateway } from "../src/azure/gateway";
import type { SendIntents } from "../src/root";
import { ensureError, isAzureOperationError, ValidationError } from "../src/errors";
import { callArmPaced } from "./armFailure";
import { writeBudgetOf } from "../src/azure/writeBudget";
import type { ActivityDeps } from "./deps";

type Input = z.output<typeof BeginPowerOperationInput>;
type Output = z.input<typeof BeginPowerOperationOutput>;

export function beginPowerOperation({ gateway, sendIntents }: ActivityDeps): BoundActivity {
  const journal: SentJournal = new Map();
  return bindActivity(beginPowerOperationActivity, (input) => sendPowerStep(gateway, input, journal, sendIntents));
}

/**
 * The activity's answer to one send, failures as data: also what a poll that sends the next step at once
 * (observePowerState's `thenSend`) answers with.
 */
export async function sendPowerStep(
  gateway: ArmGateway,
  input: Input,
  journal: SentJournal,
  intents?: SendIntents,
): Promise<Output> {
  const budget = writeBudgetOf(gateway);
  const at = input.requestedAt === undefined ? undefined : Date.parse(input.requestedAt);
  // A VM's write waits unsent (its state unread) while this worker's view of ARM's write bucket says it cannot be
  // paid for; the token taken is given back when no write leaves after all.
  const hold: Hold | undefined =
    at === undefined || input.kind !== "vm"
      ? undefined
      : {
          take: () => {
            const wait = budget.take(input.resourceId, at);
            return wait === undefined ? undefined : writeBudgetSpent(input, wait);
          },
          giveBack: () => budget.giveBack(input.resourceId),
        };
  const answer = await callArmPaced(
    gateway,
    (arm) =>
      input.kind === "vm"
        ? beginOnVm(arm, input, journal, intents, hold)
        : beginOnScaleSet(arm, input, journal, intents),
    // Only a step under way is polled next.
    (value) => value.status === "started" || value.status === "inTransition",
    (budgets) => {
      if (at !== undefined) budget.heard(input.resourceId, at, budgets);
    },
  );
  // ARM's 429: its bucket is empty now.
  if (at !== undefined && answer.status === "throttled" && answer.code !== WRITE_BUDGET_SPENT)
    budget.remaining(input.resourceId, at, 0);
  return answer;
}

/** A write's token of the worker's view of ARM's write bucket: taken before the state is read, given back unspent. */
interface Hold {
  /** Undefined when the write may go, else the answer that holds it back. */
  take: () => Output | undefined;
  giveBack: () => void;
}

/** The code of a write held back unsent by the worker's view of ARM's write bucket (src/azure/writeBudget.ts). */
export const WRITE_BUDGET_SPENT = "SubscriptionWriteBudgetSpent";

function writeBudgetSpent(input: Input, seconds: number): Output {
  return {
    status: "throttled",
    code: WRITE_BUDGET_SPENT,
    message: `${input.step} not sent yet: ARM's write budget for the subscription is spent (x-ms-ratelimit-remaining-subscription-writes, refilled 10 a second); sending in ${seconds} s`,
    retryAfterSeconds: seconds,
  };
}

/**
 * Sends made on a state the orchestration handed in or checked against the plan, by resource, step (and, for a scale
 * set, instances) and the time the send was scheduled: a re-run after a lost completion on this worker returns the
 * first answer rather than sending again, or reading its own step under way as someone else's change. A re-run
 * elsewhere (the worker died) sends once more: ARM joins a power action already under way, or answers one already
 * done as a no-op. One journal per built activity set, bounded.
 */
export type SentJournal = Map<string, Output>;
const SENT_JOURNAL_SIZE = 20_000;

async function beginOnVm(
  arm: ArmGateway,
  input: Input,
  journal: SentJournal,
  intents: SendIntents | undefined,
  hold: Hold | undefined,
): Promise<Output> {
  if (input.expectedState === undefined && input.knownState === undefined) return unheld(arm, input, journal, intents);
  const sent = input.requestedAt !== undefined ? journal.get(sentKey(input)) : undefined;
  if (sent !== undefined) return sent;
  const held = hold?.take();
  if (held !== undefined) return held;
  let wrote = false;
  try {
    return await unheld(arm, input, journal, intents, () => (wrote = true));
  } finally {
    if (!wrote) hold?.giveBack();
  }
}

/** A VM's step as beginOnVm sends it once its write may go; `writing` is told just before the request leaves. */
async function unheld(
  arm: ArmGateway,
  input: Input,
  journal: SentJournal,
  intents: SendIntents | undefined,
  writing: () => void = () => undefined,
): Promise<Output> {
  const send = (): Promise<OperationHandle> => {
    writing();
    return arm.beginVmPowerOperation(input.resourceId, input.step);
  };
  if (input.expectedState !== undefined) {
    const key = sentKey(input);
    const state = await arm.getVmState(input.resourceId);
    if (!state.exists) return notFound(input.resourceId);
    // The record is read after the state: a send the state shows was recorded before it left.
    if (
      state.powerState !== input.expectedState &&
      !(onTheStepsWay(input.step, state.powerState) && (await wasIntended(intents, input, key)))
    )
      return { status: "changed", state: state.powerState };
    const record = state.powerState === input.expectedState ? await intend(intents, input, key) : undefined;
    const answer = await decide(input, state.powerState, () => unlessRefused(intents, key, record, send));
    if (input.requestedAt !== undefined && answer.status === "started") remember(journal, key, answer);
    return answer;
  }
  if (input.knownState !== undefined) {
    const key = sentKey(input);
    const answer = await decide(input, input.knownState, send);
    if (input.requestedAt !== undefined && answer.status === "started") remember(journal, key, answer);
    return answer;
  }
  const state = await arm.getVmState(input.resourceId);
  if (!state.exists) return notFound(input.resourceId);
  return decide(input, state.powerState, send);
}

/**
 * The key of one send in the journal and the send-intent record: the resource, the step and the orchestration time
 * the step's first attempt was scheduled at (every attempt of one step shares it).
 */
export function sentKey(input: Pick<Input, "resourceId" | "step" | "requestedAt" | "firstRequestedAt">): string {
  return `${input.resourceId.toLowerCase()}|${input.step}|${input.firstRequestedAt ?? input.requestedAt ?? ""}`;
}

/**
 * Whether this first write was recorded as about to be sent by an earlier run of the activity (whose worker died
 * before its answer was kept): then the step under way, or done, that the resource shows may be the run's own.
 * Read only when the resource shows a state on the step's way, after that state was read (a send the state shows
 * was recorded before it left). A record that cannot be read (the app's table storage failing) fails the activity:
 * taken for "not recorded", a step of the run's own would be left as someone else's change. The failure is thrown,
 * not answered as data, so the orchestration retries it like every other transient failure (transientRetry).
 */
async function wasIntended(intents: SendIntents | undefined, input: Input, key: string): Promise<boolean> {
  return input.requestedAt !== undefined && intents !== undefined && (await intents.has(key));
}

/**
 * Records a first write before it is sent (write-ahead): a re-run elsewhere then knows it may have been sent. The
 * request leaves only once the record is durable; a record that fails (storage unreachable, throttled, refused)
 * stops the send, and the activity fails and is retried like any transient failure: a write never leaves unrecorded.
 * Answers the id of this attempt's record (undefined when nothing was recorded).
 */
async function intend(intents: SendIntents | undefined, input: Input, key: string): Promise<string | undefined> {
  return input.requestedAt !== undefined ? await intents?.add(key) : undefined;
}

/**
 * A state the step itself leads to: under way or done. Found by a re-run or a later attempt of a recorded first
 * write, it is taken for the run's own step: an owner's change of the same kind while the step is being sent (until
 * its deadline) cannot be told apart; the run then ends the resource as the plan found it.
 */
function onTheStepsWay(step: Input["step"], state: PowerState): boolean {
  return stepSatisfied(step, state) || stepInTransition(step, state);
}

/**
 * Sends a recorded first write; when ARM refuses it (a 4xx answer: a conflict, throttling, a lock, a policy), this
 * attempt's record is dropped before the refusal is answered: this request did nothing to the resource, so a re-run
 * (its answer lost) must not take a state someone else caused for this step's own. An earlier attempt's record of
 * the same send stays (it may have been sent, and this refusal may be a conflict with its step under way). Any other
 * failure (5xx, a socket) leaves the record: the request may have reached the resource.
 */
async function unlessRefused(
  intents: SendIntents | undefined,
  key: string,
  record: string | undefined,
  send: () => Promise<OperationHandle>,
): Promise<OperationHandle> {
  try {
    return await send();
  } catch (e) {
    if (record !== undefined && intents !== undefined && refusedByArm(e)) await intents.drop(key, record);
    throw e;
  }
}

function refusedByArm(error: unknown): boolean {
  const e = ensureError(error);
  return isAzureOperationError(e) && e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500;
}

function remember(journal: SentJournal, key: string, answer: Output): void {
  if (journal.size >= SENT_JOURNAL_SIZE) journal.delete(journal.keys().next().value ?? "");
  journal.set(key, answer);
}

async function decide(input: Input, state: PowerState, send: () => Promise<OperationHandle>): Promise<Output> {
  if (stepSatisfied(input.step, state)) return { status: "alreadyDone", state };
  if (stepInTransition(input.step, state)) return { status: "inTransition", state };
  return { status: "started", handle: await send(), stateBefore: state };
}

async function beginOnScaleSet(
  arm: ArmGateway,
  input: Input,
  journal: SentJournal,
  intents: SendIntents | undefined,
): Promise<Output> {
  const wanted = input.instanceIds ?? [];
  if (wanted.length === 0) {
    throw new ValidationError("input of beginPowerOperation", [
      { path: "instanceIds", message: "a scale-set step needs the instance ids it applies to" },
    ]);
  }
  // A first write re-run after its completion was lost would read its own power off under way as the instances'
  // owner stopping them (`changed`), and leave them stopped: the journal answers as the first run did.
  const key = `${sentKey(input)}|${wanted.join(",")}`;
  const sent = input.requestedAt !== undefined ? journal.get(key) : undefined;
  if (sent !== undefined) return sent;
  const answer = await sendOnScaleSet(
    arm,
    input,
    wanted,
    () => wasIntended(intents, input, key),
    () => intend(intents, input, key),
    (send, record) => unlessRefused(intents, key, record, send),
  );
  if (input.requestedAt !== undefined && answer.status === "started") remember(journal, key, answer);
  return answer;
}

async function sendOnScaleSet(
  arm: ArmGateway,
  input: Input,
  wanted: readonly string[],
  intended: () => Promise<boolean>,
  beforeSend: () => Promise<string | undefined>,
  guarded: (send: () => Promise<OperationHandle>, record: string | undefined) => Promise<OperationHandle>,
): Promise<Output> {
  const state = await arm.getScaleSetState(input.resourceId);
  if (!state.exists) return notFound(input.resourceId);
  const byId = new Map(state.instances.map((i) => [i.instanceId, i.powerState] as const));
  // Instances that vanished (scale-in) need nothing more.
  const present = wanted.filter((id) => byId.has(id));
  const states = present.map((id) => byId.get(id) ?? "unknown");
  if (input.expectedState !== undefined) {
    // A first write: instances someone else changed since the plan make the whole set theirs for this run. The
    // record is read (after the state) only when some instance shows the step's own way.
    const moved = present.filter((id) => (byId.get(id) ?? "unknown") !== input.expectedState);
    const onTheWay = (id: string): boolean => onTheStepsWay(input.step, byId.get(id) ?? "unknown");
    const ours = moved.some(onTheWay) && (await intended());
    const changed = moved.filter((id) => !(ours && onTheWay(id)));
    if (changed.length > 0)
      return {
        status: "changed",
        state: commonState(changed.map((id) => byId.get(id) ?? "unknown")),
        instanceIds: changed,
      };
  }
  const todo = present.filter((id) => {
    const s = byId.get(id) ?? "unknown";
    return !stepSatisfied(input.step, s) && !stepInTransition(input.step, s);
  });
  const summary = commonState(states);
  if (todo.length === 0) {
    return present.every((id) => stepSatisfied(input.step, byId.get(id) ?? "unknown"))
      ? { status: "alreadyDone", state: summary }
      : { status: "inTransition", state: summary };
  }
  const record = input.expectedState !== undefined ? await beforeSend() : undefined;
  const handle = await guarded(() => arm.beginScaleSetPowerOperation(input.resourceId, input.step, todo), record);
  return { status: "started", handle, stateBefore: summary, instanceIds: todo };
}

/** The instances' shared state, or "unknown" when they differ. */
function commonState(states: readonly PowerState[]): PowerState {
  const first = states[0];
  return first !== undefined && states.every((s) => s === first) ? first : "unknown";
}

function notFound(resourceId: string): Output {
  return { status: "notFound", code: "ResourceNotFound", message: `${resourceId} no longer exists`, statusCode: 404 };
}
