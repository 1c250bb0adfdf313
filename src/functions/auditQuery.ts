/** The query both audit pages take (a run's, a campaign's): JSON or the HTML report, and how the report links. */
import type { HttpRequest } from "@azure/functions";
import { z } from "zod";

/**
 * `links=absolute` makes the report's links to other audit pages absolute (this API's address), for a report saved
 * to a file (`port25 audit --html`); relative by default, as the report is served.
 */
export const AuditPageQuerySchema = z
  .object({
    format: z.enum(["json", "html"]).default("json"),
    links: z.enum(["relative", "absolute"]).default("relative"),
  })
  .strict();

/** Where the report's links to other audit pages point: this API's address when absolute, else relative. */
export function reportLinking(
  request: HttpRequest,
  links: z.output<typeof AuditPageQuerySchema>["links"],
): { auditBase?: string } {
  return links === "absolute" ? { auditBase: `${new URL(request.url).origin}/api/audit` } : {};
}
