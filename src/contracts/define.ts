/** The definition pattern: a durable function's name plus the zod schemas of its input and output. */
import type { z } from "zod";

export interface ActivityDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly kind: "activity";
  readonly name: string;
  readonly input: I;
  readonly output: O;
}

export interface OrchestrationDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly kind: "orchestration";
  readonly name: string;
  readonly input: I;
  readonly output: O;
}

export function defineActivity<I extends z.ZodType, O extends z.ZodType>(
  name: string,
  input: I,
  output: O,
): ActivityDefinition<I, O> {
  return { kind: "activity", name, input, output };
}

export function defineOrchestration<I extends z.ZodType, O extends z.ZodType>(
  name: string,
  input: I,
  output: O,
): OrchestrationDefinition<I, O> {
  return { kind: "orchestration", name, input, output };
}
