/** The ARM paths the simulator serves: method + path template → operation name, API family and handler. */
import { ArmHttpError } from "./armError";
import { INSIGHTS_AND_AUTHORIZATION_ROUTES, SUBSCRIPTION_ROUTES } from "./armRoutes";
import { COMPUTE_ROUTES } from "./computeRoutes";
import { NETWORK_ROUTES } from "./networkRoutes";
import type { Route } from "./routeKit";
import type { World } from "./world/world";

/** Every path the simulator serves, in the order they are matched. */
export const ROUTES: readonly Route[] = [
  ...SUBSCRIPTION_ROUTES,
  ...COMPUTE_ROUTES,
  ...NETWORK_ROUTES,
  ...INSIGHTS_AND_AUTHORIZATION_ROUTES,
];

/** Finds the route for a method and path (segments compared case-insensitively); returns the bound parameters. */
export function matchRoute(
  method: string,
  segments: readonly string[],
): { route: Route; params: Record<string, string> } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method || r.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < segments.length; i++) {
      const t = r.segments[i] ?? "";
      const s = segments[i] ?? "";
      if (t.startsWith("{")) params[t.slice(1, -1)] = s;
      else if (t !== s.toLowerCase()) {
        ok = false;
        break;
      }
    }
    if (ok) return { route: r, params };
  }
  return undefined;
}

/** The most specific ARM 404 for a path no route serves. */
export function unknownPath(w: World | undefined, segments: readonly string[]): ArmHttpError {
  const lower = segments.map((s) => s.toLowerCase());
  if (w !== undefined && lower[2] === "resourcegroups" && lower[3] !== undefined && !w.rgs.has(lower[3]))
    return new ArmHttpError(404, "ResourceGroupNotFound", `Resource group '${segments[3] ?? ""}' could not be found.`);
  const p = lower.indexOf("providers");
  if (p >= 0 && lower[p + 1] !== undefined && lower[p + 2] !== undefined) {
    const ns = segments[p + 1] ?? "";
    const type = segments[p + 2] ?? "";
    const known = ROUTES.some((r) => r.segments.includes(ns.toLowerCase()) && r.segments.includes(type.toLowerCase()));
    if (!known)
      return new ArmHttpError(
        404,
        "InvalidResourceType",
        `The resource type '${type}' could not be found in the namespace '${ns}' for api version in use.`,
      );
    return new ArmHttpError(
      404,
      "ResourceNotFound",
      `The resource '${segments.slice(p + 1).join("/")}' was not found.`,
    );
  }
  return new ArmHttpError(
    404,
    "NotFound",
    `No HTTP resource was found that matches the request URI '/${segments.join("/")}'.`,
  );
}
