/** Management groups: the subscriptions under a management group (Microsoft.Management). */
import { getContinuationToken } from "@azure/arm-managementgroups";
import { z } from "zod";
import { parseWith } from "../../contracts/parse";
import { AzureOperationError } from "../../errors";
import type { ManagementGroupOperations, ManagementGroupSubscription } from "../gateway";
import { type ArmRequests, optional } from "./requests";

/** Pages of a management group's descendants followed at most. */
const DESCENDANTS_MAX_PAGES = 1000;

/** A descendant's `type` when it is a subscription (management.json's GetDescendants example). */
const SUBSCRIPTION_DESCENDANT_TYPE = "microsoft.management/managementgroups/subscriptions";

/** A DescendantInfo as the SDK gives it (properties flattened). */
const DescendantSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  name: z.string().min(1).optional(),
  displayName: z.string().nullable().optional(),
  parent: z.object({ id: z.string().nullable().optional() }).nullable().optional(),
});

function isSubscriptionDescendant(d: z.output<typeof DescendantSchema>): boolean {
  const type = d.type.toLowerCase();
  return type === SUBSCRIPTION_DESCENDANT_TYPE || type === "/subscriptions" || /^\/subscriptions\/[^/]+$/i.test(d.id);
}

export class ManagementGroupReads implements ManagementGroupOperations {
  constructor(private readonly arm: ArmRequests) {}

  /**
   * ManagementGroups_GetDescendants, every page followed (only on ARM's own endpoint): the subscriptions at any
   * depth, each once, with its display name and the group it sits in directly. Groups are descendants too; they
   * are skipped.
   */
  listManagementGroupSubscriptions(managementGroupId: string): Promise<ManagementGroupSubscription[]> {
    const operation = "listManagementGroupSubscriptions";
    return this.arm.call(operation, async () => {
      const listing = this.arm.clients.managementGroups().managementGroups.listDescendants(managementGroupId);
      const found = new Map<string, ManagementGroupSubscription>();
      let from: string | undefined;
      for (let pages = 0; ; pages++) {
        if (pages >= DESCENDANTS_MAX_PAGES)
          throw new AzureOperationError(
            operation,
            `management group ${managementGroupId} has more than ${DESCENDANTS_MAX_PAGES} pages of descendants`,
            { code: "TooManyPages", retryable: false },
          );
        const page = await listing.byPage(from === undefined ? {} : { continuationToken: from }).next();
        if (page.done === true) break;
        for (const raw of page.value) {
          const d = parseWith(DescendantSchema, raw, "management group descendant");
          if (!isSubscriptionDescendant(d)) continue;
          const subscriptionId = d.name ?? d.id.slice(d.id.lastIndexOf("/") + 1);
          const key = subscriptionId.toLowerCase();
          if (found.has(key)) continue;
          const parent = d.parent?.id ?? undefined;
          found.set(key, {
            subscriptionId: key,
            displayName: d.displayName ?? subscriptionId,
            ...optional(
              "parentManagementGroupId",
              parent === undefined || parent === "" ? undefined : parent.slice(parent.lastIndexOf("/") + 1),
            ),
          });
        }
        // This SDK keeps a page's nextLink beside the page, not on it.
        const next = getContinuationToken(page.value);
        if (next === undefined || next === "") break;
        from = this.arm.onEndpoint(next, operation);
      }
      return [...found.values()];
    });
  }
}
