/** The verdict on a subscription (docs/architecture.md, "Classification"). */
import { z } from "zod";

export const CategorySchema = z.enum(["exemptible", "notBlocked", "blockedNotExemptible", "unknown"]);

export const ClassificationSchema = z.object({
  category: CategorySchema,
  /** Human reason naming the fields that decided, e.g. "agreement EnterpriseAgreement + workload DevTest". */
  reason: z.string(),
  /** The field=value pairs that decided the category. */
  decidedBy: z.array(z.string()),
  /** For blocked subscriptions: what to do instead (authenticated relay on 587). */
  advice: z.string().optional(),
  /** e.g. MCA-E Dev/Test: the guidance names EA Dev/Test only. */
  warning: z.string().optional(),
  /** For "unknown": the permission or action that is missing. */
  missingPermission: z.string().optional(),
  quotaId: z.string().optional(),
  agreementType: z.string().optional(),
  workloadType: z.string().optional(),
});
export type Classification = z.output<typeof ClassificationSchema>;
