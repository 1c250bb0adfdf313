/** Route parameters of the remediation endpoints. */
import { z } from "zod";

/** Instance ids are "port25-<subscription guid>"; accept the bare subscription id too. */
export const InstanceIdParamSchema = z
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
