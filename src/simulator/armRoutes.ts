/**
 * ARM's own routes: the subscription, its billing property and resource groups; the Activity Log
 * (Microsoft.Insights); management locks and the caller's permissions (Microsoft.Authorization).
 */
import { ArmHttpError } from "./armError";
import { activityEventBody, billingPropertyBody, resourceGroupBody, subscriptionBody } from "./bodies";
import { lockBody } from "./governance";
import { permissionsOf } from "./permissions";
import { page, RG, rgOr404, route, type Route, type SimRequest, type SimResponse, SUB } from "./routeKit";
import { ACTIVITY_LOG_RETENTION_MS, type ActivityEvent } from "./world/activityLog";
import type { World } from "./world/world";

// ------------------------------------------------------------------ the Activity Log

/** The only $filter shapes the Activity Log accepts (activityLogs_API.json): a time range, then at most one of these. */
const ACTIVITY_FILTER =
  /^eventTimestamp ge '([^']+)' and eventTimestamp le '([^']+)'(?: and (resourceGroupName|resourceUri|resourceProvider|correlationId) eq '([^']+)')?$/;
const ACTIVITY_SELECTABLE = new Set([
  "authorization",
  "caller",
  "category",
  "claims",
  "correlationId",
  "id",
  "resourceType",
  "tenantId",
  "description",
  "eventDataId",
  "eventName",
  "eventTimestamp",
  "httpRequest",
  "level",
  "operationId",
  "operationName",
  "properties",
  "resourceGroupName",
  "resourceProviderName",
  "resourceId",
  "status",
  "submissionTimestamp",
  "subStatus",
  "subscriptionId",
]);

function badActivityQuery(message: string): ArmHttpError {
  const e = new ArmHttpError(400, "BadRequest", message);
  e.flat = true;
  return e;
}

/**
 * Events recorded from the simulator's own power timeline (Started, then Succeeded or Failed), newest first, paged.
 * As strict as the service: a $filter is required, in one of the documented shapes only; the range may not start
 * more than 90 days back (the retention); events appear once submitted (a couple of minutes after they happen).
 */
function activityLog(w: World, r: SimRequest): SimResponse {
  const filter = r.query.get("$filter");
  if (filter === null || filter.trim() === "")
    throw badActivityQuery(
      "The $filter query parameter is required: eventTimestamp ge '<start>' and eventTimestamp le '<end>'.",
    );
  const m = ACTIVITY_FILTER.exec(filter.trim());
  if (m === null)
    throw badActivityQuery(
      `The $filter '${filter}' is not supported. Only a time range, optionally with resourceGroupName, resourceUri, resourceProvider or correlationId eq, is allowed.`,
    );
  const from = Date.parse(m[1] ?? "");
  const to = Date.parse(m[2] ?? "");
  if (Number.isNaN(from) || Number.isNaN(to) || from > to)
    throw badActivityQuery(`The time range of the $filter '${filter}' is not valid.`);
  if (from < r.now - ACTIVITY_LOG_RETENTION_MS)
    throw badActivityQuery("The start time of the query must be within the last 90 days.");
  const field = m[3];
  const value = (m[4] ?? "").toLowerCase();
  const matches = (e: ActivityEvent): boolean => {
    if (field === undefined) return true;
    if (field === "resourceGroupName") return e.resourceGroup.toLowerCase() === value;
    if (field === "resourceUri") return e.resourceId.toLowerCase() === value.replace(/\/+$/, "");
    if (field === "resourceProvider") return value === "microsoft.compute";
    return e.correlationId.toLowerCase() === value;
  };
  const selectRaw = r.query.get("$select");
  const select = selectRaw === null || selectRaw.trim() === "" ? undefined : selectRaw.split(",").map((x) => x.trim());
  for (const name of select ?? [])
    if (!ACTIVITY_SELECTABLE.has(name)) throw badActivityQuery(`The $select property '${name}' is not supported.`);
  const events = w.activityEvents(r.now, from, to).filter(matches);
  return page(r, w, events, (e) => {
    const body = activityEventBody(e, w.subscriptionId, w.tenantId);
    if (select === undefined) return body;
    return Object.fromEntries(Object.entries(body).filter(([k]) => select.includes(k)));
  });
}

// ------------------------------------------------------------------ management locks

/**
 * ManagementLocks_ListAtSubscriptionLevel / _ListAtResourceGroupLevel / _ListAtResourceLevel (locks.json,
 * 2020-05-01): the locks at the scope and below it, paged. The resource's own path is checked as ARM does: its
 * resource group must exist (the resource itself need not be one the simulator models).
 */
function listLocks(w: World, r: SimRequest): SimResponse {
  if (r.query.get("$filter") !== null)
    throw new ArmHttpError(400, "InvalidFilter", "The $filter is not supported by this listing.");
  const rg = r.params["rg"];
  let scope = `/subscriptions/${w.subscriptionId}`;
  if (rg !== undefined) {
    scope += `/resourceGroups/${rgOr404(w, rg).name}`;
    if (r.params["ns"] !== undefined)
      scope += `/providers/${r.params["ns"]}/${r.params["type"] ?? ""}/${r.params["name"] ?? ""}`;
  }
  return page(r, w, w.governance.locksAtOrBelow(scope), lockBody);
}

// ------------------------------------------------------------------ the caller's permissions

/**
 * Permissions - List For Resource Group (2022-04-01): the caller's own actions and notActions at the group, one
 * entry per role, paged as a PermissionGetResult; the group must exist.
 */
function listPermissions(w: World, r: SimRequest): SimResponse {
  const rg = rgOr404(w, r.params["rg"] ?? "");
  return page(r, w, permissionsOf(w.scenario.permissions, rg.name), (e) => ({
    actions: e.actions,
    notActions: e.notActions,
    dataActions: [],
    notDataActions: [],
  }));
}

/** Subscriptions, billing and resource groups, matched first. */
export const SUBSCRIPTION_ROUTES: readonly Route[] = [
  route("GET", SUB, "getSubscription", "subscriptions", (w) => ({
    status: 200,
    body: subscriptionBody(w.scenario.subscription, w.tenantId),
  })),
  route("GET", `${SUB}/providers/microsoft.billing/billingproperty/default`, "getBillingProperty", "billing", (w) => {
    const b = w.scenario.subscription.billing;
    if (b === "forbidden")
      throw new ArmHttpError(
        403,
        "AuthorizationFailed",
        `The client does not have authorization to perform action 'Microsoft.Billing/billingProperty/read' over scope '/subscriptions/${w.subscriptionId}/providers/Microsoft.Billing/billingProperty/default' or the scope is invalid.`,
      );
    return { status: 200, body: billingPropertyBody(w.subscriptionId, b) };
  }),
  route("GET", `${SUB}/resourcegroups`, "listResourceGroups", "resources", (w, r) =>
    page(r, w, w.rgList, resourceGroupBody),
  ),
  route("GET", RG, "getResourceGroup", "resources", (w, r) => ({
    status: 200,
    body: resourceGroupBody(rgOr404(w, r.params["rg"] ?? "")),
  })),
];

/** The Activity Log, locks and permissions, matched last. */
export const INSIGHTS_AND_AUTHORIZATION_ROUTES: readonly Route[] = [
  // Activity Log
  route(
    "GET",
    `${SUB}/providers/microsoft.insights/eventtypes/management/values`,
    "listActivityLog",
    "insights",
    activityLog,
  ),
  // Management locks
  route("GET", `${SUB}/providers/microsoft.authorization/locks`, "listLocks", "authorization", listLocks),
  route(
    "GET",
    `${RG}/providers/microsoft.authorization/permissions`,
    "listPermissions",
    "permissions",
    listPermissions,
  ),
  route("GET", `${RG}/providers/microsoft.authorization/locks`, "listLocks", "authorization", listLocks),
  route(
    "GET",
    `${RG}/providers/{ns}/{type}/{name}/providers/microsoft.authorization/locks`,
    "listLocks",
    "authorization",
    listLocks,
  ),
];
