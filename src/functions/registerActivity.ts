/** The one way activities are registered: input parsed before the implementation runs, output checked after. */
import * as df from "durable-functions";
import type { InvocationContext } from "@azure/functions";
import type { z } from "zod";
import type { ActivityDefinition } from "../contracts/define";
import { parseWith } from "../contracts/parse";

export type ActivityImpl<I extends z.ZodType, O extends z.ZodType> = (
  input: z.output<I>,
  context: InvocationContext,
) => Promise<z.input<O>>;

export function registerActivity<I extends z.ZodType, O extends z.ZodType>(
  def: ActivityDefinition<I, O>,
  impl: ActivityImpl<I, O>,
): void {
  df.app.activity(def.name, {
    handler: async (raw: unknown, context: InvocationContext): Promise<z.output<O>> => {
      const input = parseWith(def.input, raw, `input of ${def.name}`);
      const output = await impl(input, context);
      return parseWith(def.output, output, `output of ${def.name}`);
    },
  });
}
