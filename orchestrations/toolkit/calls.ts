/** The one way orchestrations call activities and sub-orchestrations: inputs checked, outputs parsed. */
import * as df from "durable-functions";
import type { OrchestrationContext, RetryOptions, Task } from "durable-functions";
import type { z } from "zod";
import type { ActivityDefinition, OrchestrationDefinition } from "../../src/contracts/define";
import { parseWith } from "../../src/contracts/parse";

/** `const out = yield* callActivity(ctx, def, input)`: the yielded result parsed with the output schema. */
export function* callActivity<I extends z.ZodType, O extends z.ZodType>(
  context: OrchestrationContext,
  def: ActivityDefinition<I, O>,
  input: z.input<I>,
  retry?: RetryOptions,
): Generator<Task, z.output<O>, unknown> {
  const raw: unknown = yield activityTask(context, def, input, retry);
  return parseWith(def.output, raw, `output of ${def.name}`);
}

/** The task of an activity call, for Task.all / Task.any; parse its result with `parseActivityResult`. */
export function activityTask<I extends z.ZodType, O extends z.ZodType>(
  context: OrchestrationContext,
  def: ActivityDefinition<I, O>,
  input: z.input<I>,
  retry?: RetryOptions,
): Task {
  const checked = parseWith(def.input, input, `input of ${def.name}`);
  return retry
    ? context.df.callActivityWithRetry(def.name, retry, checked)
    : context.df.callActivity(def.name, checked);
}

export function parseActivityResult<O extends z.ZodType>(def: { name: string; output: O }, raw: unknown): z.output<O> {
  return parseWith(def.output, raw, `output of ${def.name}`);
}

export function* callSubOrchestration<I extends z.ZodType, O extends z.ZodType>(
  context: OrchestrationContext,
  def: OrchestrationDefinition<I, O>,
  input: z.input<I>,
  instanceId?: string,
): Generator<Task, z.output<O>, unknown> {
  const raw: unknown = yield subOrchestrationTask(context, def, input, instanceId);
  return parseWith(def.output, raw, `output of ${def.name}`);
}

export function subOrchestrationTask<I extends z.ZodType, O extends z.ZodType>(
  context: OrchestrationContext,
  def: OrchestrationDefinition<I, O>,
  input: z.input<I>,
  instanceId?: string,
): Task {
  const checked = parseWith(def.input, input, `input of ${def.name}`);
  return context.df.callSubOrchestrator(def.name, checked, instanceId);
}

export type OrchestrationBody<I extends z.ZodType, O extends z.ZodType> = (
  context: OrchestrationContext,
  input: z.output<I>,
) => Generator<Task, z.output<O>, unknown>;

/** Registers an orchestration whose input is parsed before the body runs and whose output is checked. */
export function registerOrchestration<I extends z.ZodType, O extends z.ZodType>(
  def: OrchestrationDefinition<I, O>,
  body: OrchestrationBody<I, O>,
): void {
  df.app.orchestration(def.name, function* (context: OrchestrationContext): Generator<Task, z.output<O>, unknown> {
    const input = parseWith(def.input, context.df.getInput(), `input of ${def.name}`);
    const output = yield* body(context, input);
    return parseWith(def.output, output, `output of ${def.name}`);
  });
}
