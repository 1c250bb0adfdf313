/** Resources, billing and authorization: the subscription, its billing property, resource groups, locks and the caller's permissions. */
import type { ResourceGroup } from "@azure/arm-resources";
import type { PipelineResponse } from "@azure/core-rest-pipeline";
import { z } from "zod";
import {
  BillingPropertySchema,
  BillingReadSchema,
  LockInfoSchema,
  ResourceGroupInfoSchema,
  SubscriptionInfoSchema,
  type BillingRead,
  type GroupPermissions,
  type LockInfo,
  type ResourceGroupInfo,
  type SubscriptionInfo,
} from "../../contracts/discovery";
import { parseWith } from "../../contracts/parse";
import { AzureOperationError } from "../../errors";
import { ARM_ACTIONS } from "../../contracts/armActions";
import { armErrorFromBody, errorFromResponse } from "../errors";
import type { ResourceOperations } from "../gateway";
import { type ArmRequests, collect, optional, parseJson } from "./requests";

/** api-version of the billing property REST API (no SDK major on Node 20 carries the 2024 fields). */
const BILLING_API_VERSION = "2024-04-01";

/** api-version of management locks (Microsoft.Authorization/locks; locks.json's newest stable version). */
const LOCKS_API_VERSION = "2020-05-01";

/** Pages of management locks followed at most. */
const LOCKS_MAX_PAGES = 100;

/** api-version of Permissions - List For Resource Group (Microsoft.Authorization permissions, newest stable). */
const PERMISSIONS_API_VERSION = "2022-04-01";

export class ResourceReads implements ResourceOperations {
  constructor(private readonly arm: ArmRequests) {}

  getSubscription(subscriptionId: string): Promise<SubscriptionInfo> {
    return this.arm.call("getSubscription", async () => {
      const s = await this.arm.clients.subscriptions().subscriptions.get(subscriptionId);
      return parseWith(
        SubscriptionInfoSchema,
        {
          subscriptionId: s.subscriptionId ?? subscriptionId,
          displayName: s.displayName ?? "",
          state: s.state,
          quotaId: s.subscriptionPolicies?.quotaId,
        },
        "subscription",
      );
    });
  }

  getBillingProperty(subscriptionId: string): Promise<BillingRead> {
    return this.arm.call("getBillingProperty", async () => {
      const path = `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Billing/billingProperty/default`;
      const response = await this.arm.send(
        this.arm.clients.generic(),
        "GET",
        `${path}?api-version=${BILLING_API_VERSION}`,
      );
      if (response.status === 200) {
        const body = parseWith(BillingEnvelopeSchema, parseJson(response.bodyAsText), "billing property response");
        return parseWith(BillingReadSchema, { status: "ok", property: body.properties }, "billing property");
      }
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        const armError = armErrorFromBody(response.bodyAsText ?? "");
        const what = response.status === 404 ? "not found" : "not readable with this identity";
        return parseWith(
          BillingReadSchema,
          {
            status: "unreadable",
            httpStatus: response.status,
            code: armError.code ?? `Http${response.status}`,
            message:
              `The billing property of subscription ${subscriptionId} is ${what}` +
              ` (${armError.message ?? `HTTP ${response.status}`}); reading it needs ${ARM_ACTIONS.readBillingProperty}.`,
          },
          "billing property",
        );
      }
      throw errorFromResponse("getBillingProperty", response);
    });
  }

  listResourceGroups(subscriptionId: string): Promise<ResourceGroupInfo[]> {
    return this.arm.call("listResourceGroups", async () => {
      const groups = await collect<ResourceGroup>(this.arm.clients.resources(subscriptionId).resourceGroups.list());
      return groups.map((g) =>
        parseWith(
          ResourceGroupInfoSchema,
          { id: g.id, name: g.name, location: g.location, managedBy: g.managedBy ?? undefined, tags: g.tags ?? {} },
          "resource group",
        ),
      );
    });
  }

  /**
   * ManagementLocks_ListAtSubscriptionLevel (raw REST, api-version 2020-05-01; no SDK on Node 20 is installed for
   * it): every lock of the subscription, whatever its scope (the subscription's listing holds resource groups' and
   * resources' locks too, as its x-ms-example shows), every page followed. Needs Microsoft.Authorization/locks/read.
   */
  listLocks(subscriptionId: string): Promise<LockInfo[]> {
    return this.arm.call("listLocks", async () => {
      const url = `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Authorization/locks?api-version=${LOCKS_API_VERSION}`;
      const refused = (response: PipelineResponse): Error => {
        const e = errorFromResponse("listLocks", response);
        if (response.status !== 401 && response.status !== 403) return e;
        const said = armErrorFromBody(response.bodyAsText ?? "").message ?? `HTTP ${response.status}`;
        return new AzureOperationError(
          "listLocks",
          `${said} (reading management locks needs ${ARM_ACTIONS.readLocks})`,
          { code: e.code, statusCode: response.status, retryable: false, cause: e },
        );
      };
      const items = await this.arm.rawListing(
        "listLocks",
        url,
        { maxPages: LOCKS_MAX_PAGES, what: "the subscription's locks", refused },
        LockPageSchema,
      );
      return items.map((l) => {
        const at = l.id.toLowerCase().lastIndexOf("/providers/microsoft.authorization/locks/");
        return parseWith(
          LockInfoSchema,
          {
            id: l.id,
            name: l.name ?? l.id.slice(l.id.lastIndexOf("/") + 1),
            level: l.properties.level,
            scope: at < 0 ? "" : l.id.slice(0, at),
            ...optional("notes", l.properties.notes ?? undefined),
          },
          "management lock",
        );
      });
    });
  }

  /**
   * Permissions - List For Resource Group (raw REST, api-version 2022-04-01; Learn "Permissions - List For Resource
   * Group": "Gets all permissions the caller has for a resource group"): the caller's own actions and notActions
   * there, one entry per role, every page followed. It lists the caller's own permissions, so the roles grant no
   * action for it; a refusal is reported as such (discovery then treats the group as not writable).
   */
  listResourceGroupPermissions(
    subscriptionId: string,
    resourceGroup: string,
  ): Promise<GroupPermissions["permissions"]> {
    return this.arm.call("listPermissions", async () => {
      let url: string | undefined =
        `/subscriptions/${encodeURIComponent(subscriptionId)}/resourceGroups/${encodeURIComponent(resourceGroup)}/providers/Microsoft.Authorization/permissions?api-version=${PERMISSIONS_API_VERSION}`;
      const entries: GroupPermissions["permissions"] = [];
      for (let pages = 0; url !== undefined; pages++) {
        if (pages >= LOCKS_MAX_PAGES)
          throw new AzureOperationError(
            "listPermissions",
            `the resource group has more than ${LOCKS_MAX_PAGES} pages of permissions`,
            { code: "TooManyPages", retryable: false },
          );
        const response = await this.arm.send(this.arm.clients.generic(), "GET", url);
        if (response.status !== 200) throw errorFromResponse("listPermissions", response);
        const page = parseWith(PermissionPageSchema, parseJson(response.bodyAsText), "permission page");
        for (const p of page.value) entries.push({ actions: p.actions ?? [], notActions: p.notActions ?? [] });
        url =
          page.nextLink === undefined || page.nextLink === null || page.nextLink === ""
            ? undefined
            : this.arm.onEndpoint(page.nextLink, "listPermissions");
      }
      return entries;
    });
  }
}
const BillingEnvelopeSchema = z.object({ properties: BillingPropertySchema.default({}) });

/** A page of ManagementLockListResult (locks.json): each lock's id, name and level. */
const LockPageSchema = z.object({
  value: z
    .array(
      z
        .object({
          id: z.string().min(1),
          name: z.string().optional(),
          properties: z.object({ level: z.string(), notes: z.string().nullable().optional() }).loose(),
        })
        .loose(),
    )
    .default([]),
  nextLink: z.string().nullable().optional(),
});

/** A page of PermissionGetResult (authorization's permissions spec): each Permission's actions and notActions. */
const PermissionPageSchema = z.object({
  value: z
    .array(
      z
        .object({
          actions: z
            .array(z.string())
            .nullable()
            .optional()
            .transform((v) => v ?? undefined),
          notActions: z
            .array(z.string())
            .nullable()
            .optional()
            .transform((v) => v ?? undefined),
        })
        .loose(),
    )
    .default([]),
  nextLink: z.string().nullable().optional(),
});
