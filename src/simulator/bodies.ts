/** ARM JSON bodies every provider shares, and those of ARM itself: subscriptions, billing, resource groups, operation status, the Activity Log (shaped after the REST specs' examples). */
import type { Scenario } from "./scenario";
import type { ActivityEvent } from "./world/activityLog";
import type { Operation, RgRecord } from "./world/types";

export const iso = (ms: number): string => new Date(ms).toISOString();

export function subscriptionBody(s: Scenario["subscription"], tenantId: string): object {
  return {
    id: `/subscriptions/${s.id}`,
    subscriptionId: s.id,
    tenantId,
    displayName: s.name,
    state: s.state,
    subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: s.quotaId, spendingLimit: "Off" },
    authorizationSource: "RoleBased",
    managedByTenants: [],
    tags: {},
  };
}

export function billingPropertyBody(
  subscriptionId: string,
  b: Exclude<Scenario["subscription"]["billing"], "forbidden">,
): object {
  const properties: Record<string, unknown> = {
    billingAccountAgreementType: b.agreementType,
    subscriptionWorkloadType: b.workloadType,
    billingAccountDisplayName: "Contoso",
    billingAccountId: "/providers/Microsoft.Billing/billingAccounts/12345678",
    subscriptionBillingStatus: "Active",
    subscriptionBillingType: "Paid",
  };
  if (b.accountType !== undefined) properties["billingAccountType"] = b.accountType;
  if (b.accountSubType !== undefined) properties["billingAccountSubType"] = b.accountSubType;
  if (b.skuId !== undefined) properties["skuId"] = b.skuId;
  if (b.skuDescription !== undefined) properties["skuDescription"] = b.skuDescription;
  return {
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.Billing/billingProperty/default`,
    name: "default",
    type: "Microsoft.Billing/billingProperty",
    properties,
  };
}

export function resourceGroupBody(rg: RgRecord): object {
  return {
    id: rg.id,
    name: rg.name,
    type: "Microsoft.Resources/resourceGroups",
    location: rg.location,
    managedBy: rg.managedBy,
    tags: rg.tags,
    properties: { provisioningState: "Succeeded" },
  };
}

export function operationStatusBody(op: Operation, status: "InProgress" | "Succeeded" | "Failed"): object {
  // Network's Azure-AsyncOperation body is AzureAsyncOperationResult (network.json): status and error, nothing else.
  if (op.provider === "Microsoft.Network")
    return {
      status,
      ...(status === "Failed" && op.failure !== undefined
        ? { error: { code: op.failure.code, message: op.failure.message } }
        : {}),
    };
  return {
    name: op.id,
    status: status === "Failed" && op.canceled === true ? "Canceled" : status,
    startTime: iso(op.startedAt),
    ...(status === "InProgress" ? {} : { endTime: iso(op.endsAt) }),
    ...(status === "Failed" && op.failure !== undefined
      ? { error: { code: op.failure.code, message: op.failure.message, details: op.failure.details } }
      : {}),
  };
}

/** One Activity Log entry (EventData of activityLogs_API.json, 2015-04-01): what ARM records for a power operation. */
/** The caller the Activity Log names for the product's own requests. */
export const PRODUCT_CALLER = "port25@contoso.example";

/** The claims of the product's token, as the Activity Log shows them: audience, issuer, the app (a subset). */
function productClaims(tenantId: string): Record<string, string> {
  return {
    aud: "https://management.core.windows.net/",
    iss: `https://sts.windows.net/${tenantId}/`,
    appid: "0d4c2a51-7e6b-4c1a-9f33-2b8a6d5e7c10",
    appidacr: "2",
    "http://schemas.microsoft.com/identity/claims/objectidentifier": "6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
  };
}

export function activityEventBody(e: ActivityEvent, subscriptionId: string, tenantId: string): Record<string, unknown> {
  const ticks = BigInt(e.at) * 10_000n + 621_355_968_000_000_000n;
  const started = e.status === "Started";
  const operation = { value: e.operationName, localizedValue: e.operationName };
  return {
    authorization: { action: e.operationName, scope: e.resourceId },
    // Who acted (EventData.caller, claims in activityLogs_API.json): the product's identity for its own requests,
    // a person's UPN and token claims for an owner's action, the platform for an eviction.
    caller: e.caller ?? PRODUCT_CALLER,
    claims: e.claims ?? productClaims(tenantId),
    correlationId: e.correlationId,
    description: "",
    eventDataId: e.eventDataId,
    eventName: started
      ? { value: "BeginRequest", localizedValue: "Begin request" }
      : { value: "EndRequest", localizedValue: "End request" },
    category: { value: "Administrative", localizedValue: "Administrative" },
    httpRequest: { clientRequestId: e.correlationId, clientIpAddress: "203.0.113.10", method: e.httpMethod ?? "POST" },
    id: `${e.resourceId}/events/${e.eventDataId}/ticks/${ticks.toString()}`,
    level: e.status === "Failed" ? "Error" : "Informational",
    resourceGroupName: e.resourceGroup,
    resourceProviderName: { value: "Microsoft.Compute", localizedValue: "Microsoft.Compute" },
    resourceId: e.resourceId,
    resourceType: { value: e.resourceType, localizedValue: e.resourceType },
    operationId: e.correlationId,
    operationName: operation,
    properties: started
      ? { eventCategory: "Administrative", entity: e.resourceId }
      : { statusCode: e.status === "Succeeded" ? "OK" : "InternalServerError" },
    status: { value: e.status, localizedValue: e.status },
    subStatus: started
      ? { value: "", localizedValue: "" }
      : e.status === "Succeeded"
        ? { value: "OK", localizedValue: "OK (HTTP Status Code: 200)" }
        : { value: "InternalServerError", localizedValue: "Internal Server Error (HTTP Status Code: 500)" },
    eventTimestamp: iso(e.at),
    submissionTimestamp: iso(e.submittedAt),
    subscriptionId,
    tenantId,
  };
}
