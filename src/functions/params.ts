/** Route parameters of the remediation endpoints. */
import type { HttpRequest } from "@azure/functions";
import { z } from "zod";
import { parseOr400 } from "./http";

/** Instance ids are "port25-<subscription guid>"; accept the bare subscription id too. */
const InstanceIdParamSchema = z
  .string()
  .trim()
  .transform((s) => s.toLowerCase())
  .pipe(
    z
      .string()
      .regex(
        /^(port25-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        "must be a remediation instance id (port25-<subscription id>) or a subscription id",
      ),
  )
  .transform((s) => (s.startsWith("port25-") ? s : `port25-${s}`));

const RouteSchema = z.object({ id: InstanceIdParamSchema });

/** The route's instance id; a 400 naming "id" when it is not one of ours. */
export function instanceIdParam(request: HttpRequest): string {
  return parseOr400(RouteSchema, { id: request.params.id ?? "" }, "route").id;
}
