/**
 * Body of POST /api/remediations. It says what to remediate and on what authority (the exemption's attestation); it
 * never says who is starting: the starter is the authenticated principal (src/functions/http.ts).
 */
import { z } from "zod";
import { SubscriptionIdSchema } from "./ids";
import { AttestationSchema, ModeSchema } from "./remediation";
import { RemediationOptionsSchema } from "./options";
import { CampaignInputSchema } from "./campaign";

export const StartRequestSchema = z
  .object({
    subscriptionId: SubscriptionIdSchema,
    attestation: AttestationSchema,
    mode: ModeSchema.default("execute"),
    requireApproval: z.boolean().default(false),
    /**
     * With requireApproval, let the starter approve their own run (a single-operator lab). Off by default: the
     * approver must be a different principal (403 SelfApprovalRefused). Recorded with the run.
     */
    allowSelfApproval: z.boolean().default(false),
    options: RemediationOptionsSchema.default(RemediationOptionsSchema.parse({})),
  })
  .strict();
export type StartRequest = z.output<typeof StartRequestSchema>;

/** Largest request body the API accepts. */
export const MAX_REQUEST_BYTES = 32 * 1024;

/** A campaign id as CampaignInput takes it: letters, digits and hyphens. */
export const CampaignIdSchema = CampaignInputSchema.shape.campaignId;

/**
 * A page's continuation token as the audit list returned it: Azure Tables' next partition and row keys, as base64
 * JSON (@azure/data-tables). Anything else is a 400 here, not a parse failure inside the table client.
 */
const ContinuationTokenSchema = z
  .string()
  .max(2048)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be a continuationToken returned by a previous page")
  .refine((token) => {
    try {
      const decoded: unknown = JSON.parse(atob(token));
      return (
        typeof decoded === "object" &&
        decoded !== null &&
        typeof (decoded as { nextPartitionKey?: unknown }).nextPartitionKey === "string"
      );
    } catch {
      return false;
    }
  }, "must be a continuationToken returned by a previous page");

/** The time window and the page of an audit listing. */
const ListingShape = {
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  continuationToken: ContinuationTokenSchema.optional(),
};

/** Instants, not strings: "2026-03-03T10:00:00+02:00" is before "2026-03-03T09:00:00Z". */
function windowInOrder(q: { from?: string | undefined; to?: string | undefined }): boolean {
  return q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to);
}
const WINDOW_OUT_OF_ORDER = { message: "from must not be after to", path: ["from"] };

/** Query of GET /api/audit/runs. */
export const AuditQuerySchema = z
  .object({
    subscriptionId: SubscriptionIdSchema.optional(),
    /** Only the runs the campaign started. */
    campaignId: CampaignIdSchema.optional(),
    ...ListingShape,
  })
  .strict()
  .refine(windowInOrder, WINDOW_OUT_OF_ORDER);

/** Query of GET /api/audit/campaigns. */
export const CampaignAuditQuerySchema = z.object(ListingShape).strict().refine(windowInOrder, WINDOW_OUT_OF_ORDER);
