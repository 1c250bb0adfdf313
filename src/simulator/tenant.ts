/**
 * Tenant-level routes: the management-group hierarchy (Microsoft.Management), answered as the Management Groups
 * API 2021-04-01 defines it (ManagementGroups_GetDescendants in management.json).
 */
import { ArmHttpError } from "./armError";
import type { Estate } from "./estate";
import type { SimResponse } from "./routeKit";

/** api-versions of ManagementGroups_GetDescendants: what @azure/arm-managementgroups 2.x sends, and the later stable one. */
export const MANAGEMENT_GROUPS_API_VERSIONS: readonly string[] = ["2021-04-01", "2023-04-01"];

/**
 * Descendants per page. Azure does not document the page size of a descendants listing; the simulator pages at a
 * small size so that clients must follow `nextLink`.
 */
export const DESCENDANTS_PAGE_SIZE = 20;

const MANAGEMENT_GROUP_TYPE = "Microsoft.Management/managementGroups";
/** A subscription descendant's `type`, as the spec's GetDescendants example gives it. */
const SUBSCRIPTION_DESCENDANT_TYPE = "Microsoft.Management/managementGroups/subscriptions";

function managementGroupResourceId(id: string): string {
  return `/providers/${MANAGEMENT_GROUP_TYPE}/${id}`;
}

interface Descendant {
  kind: "group" | "subscription";
  /** Group id or subscription id. */
  name: string;
  displayName: string;
  /** The id of the group it sits in directly. */
  parent: string;
}

interface GroupNode {
  id: string;
  displayName: string;
  parent: string | undefined;
  childGroups: GroupNode[];
  subscriptions: { id: string; displayName: string }[];
}

/** The estate's management groups with their direct children, for the tenant-level routes. */
export class Hierarchy {
  private readonly groups = new Map<string, GroupNode>();

  constructor(estate: Pick<Estate, "managementGroups" | "subscriptions">) {
    for (const g of estate.managementGroups) {
      this.groups.set(g.id.toLowerCase(), {
        id: g.id,
        displayName: g.displayName,
        parent: g.parent,
        childGroups: [],
        subscriptions: [],
      });
    }
    for (const g of this.groups.values())
      if (g.parent !== undefined) this.groups.get(g.parent.toLowerCase())?.childGroups.push(g);
    for (const s of estate.subscriptions) {
      if (s.managementGroup === undefined) continue;
      this.groups.get(s.managementGroup.toLowerCase())?.subscriptions.push({
        id: s.scenario.subscription.id.toLowerCase(),
        displayName: s.scenario.subscription.name,
      });
    }
  }

  has(groupId: string): boolean {
    return this.groups.has(groupId.toLowerCase());
  }

  /** Every group and subscription beneath `groupId` at any depth, level by level (the group itself excluded). */
  descendants(groupId: string): Descendant[] {
    const root = this.groups.get(groupId.toLowerCase());
    if (root === undefined) return [];
    const out: Descendant[] = [];
    let level: GroupNode[] = [root];
    while (level.length > 0) {
      const next: GroupNode[] = [];
      for (const g of level) {
        for (const c of g.childGroups) {
          out.push({ kind: "group", name: c.id, displayName: c.displayName, parent: g.id });
          next.push(c);
        }
        for (const s of g.subscriptions)
          out.push({ kind: "subscription", name: s.id, displayName: s.displayName, parent: g.id });
      }
      level = next;
    }
    return out;
  }
}

/** A DescendantInfo as management.json defines it. */
function descendantBody(d: Descendant): unknown {
  return {
    id: d.kind === "group" ? managementGroupResourceId(d.name) : `/subscriptions/${d.name}`,
    type: d.kind === "group" ? MANAGEMENT_GROUP_TYPE : SUBSCRIPTION_DESCENDANT_TYPE,
    name: d.name,
    properties: { displayName: d.displayName, parent: { id: managementGroupResourceId(d.parent) } },
  };
}

interface TenantRequest {
  method: string;
  segments: readonly string[];
  query: URLSearchParams;
  pathname: string;
  apiVersion: string;
  endpoint: string;
}

/** The route of a tenant-level path, if the simulator serves it: `managementGroups/{groupId}/descendants`. */
export function matchTenantRoute(
  method: string,
  segments: readonly string[],
): { operation: "listManagementGroupDescendants"; groupId: string } | undefined {
  const lower = segments.map((s) => s.toLowerCase());
  if (method !== "GET" || segments.length !== 5) return undefined;
  if (
    lower[0] !== "providers" ||
    lower[1] !== "microsoft.management" ||
    lower[2] !== "managementgroups" ||
    lower[4] !== "descendants"
  )
    return undefined;
  return { operation: "listManagementGroupDescendants", groupId: segments[3] ?? "" };
}

/**
 * ManagementGroups_GetDescendants: paged by `$skiptoken` with an absolute nextLink, `$top` narrowing a page. A group
 * the tenant does not have is refused as ARM refuses a scope the caller holds no role on: 403 AuthorizationFailed
 * naming the action and the scope. Azure answers a missing group so (Azure/azure-rest-api-specs#9549: a GET of a
 * management group that does not exist is 403 AuthorizationFailed, even for an owner); a caller with rights at the
 * tenant root may see 404 NotFound instead, which the simulator never gives (403 is the stricter of the two).
 */
export function listDescendants(h: Hierarchy, groupId: string, r: TenantRequest): SimResponse {
  if (!MANAGEMENT_GROUPS_API_VERSIONS.includes(r.apiVersion))
    throw new ArmHttpError(
      400,
      "InvalidApiVersionParameter",
      `The api-version '${r.apiVersion}' is invalid. The supported versions are '${MANAGEMENT_GROUPS_API_VERSIONS.join(",")}'.`,
    );
  if (!h.has(groupId))
    throw new ArmHttpError(
      403,
      "AuthorizationFailed",
      `The client does not have authorization to perform action 'Microsoft.Management/managementGroups/descendants/read' over scope '${managementGroupResourceId(groupId)}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  let size = DESCENDANTS_PAGE_SIZE;
  const top = r.query.get("$top");
  if (top !== null) {
    const n = Number(top);
    if (!/^\d+$/.test(top) || n < 1)
      throw new ArmHttpError(
        400,
        "InvalidQueryParameterValue",
        `The value '${top}' of query parameter '$top' is not a positive integer.`,
      );
    size = Math.min(size, n);
  }
  const token = r.query.get("$skiptoken");
  const start = token === null ? 0 : Number.parseInt(Buffer.from(token, "base64url").toString("utf8"), 10);
  if (!Number.isInteger(start) || start < 0)
    throw new ArmHttpError(400, "InvalidSkipToken", "The $skiptoken is not valid.");
  const all = h.descendants(groupId);
  const body: { value: unknown[]; nextLink?: string } = { value: all.slice(start, start + size).map(descendantBody) };
  if (start + size < all.length) {
    const q = new URLSearchParams(r.query);
    q.set("$skiptoken", Buffer.from(String(start + size), "utf8").toString("base64url"));
    body.nextLink = `${r.endpoint}${r.pathname}?${q.toString()}`;
  }
  return { status: 200, body };
}
