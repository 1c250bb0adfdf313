/**
 * Local identities for `port25 serve --auth`: the headers App Service authentication would set for a signed-in
 * person, built for `--user NAME` on the remote commands so the four-eyes rules can be tried on one machine.
 *
 * The shape is the platform's (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities):
 * X-MS-CLIENT-PRINCIPAL is base64 JSON `{ auth_typ, name_typ, role_typ, claims: [{ typ, val }] }`, beside
 * X-MS-CLIENT-PRINCIPAL-NAME, -ID and -IDP. The deployed app trusts these headers only when App Service says its
 * authentication is on (WEBSITE_AUTH_ENABLED=True), and App Service removes any a client sends; the CLI sends them to
 * a loopback address only (`port25 serve`), never to a deployed app.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

/** The Entra object id claim, as App Service authentication maps it. */
const OBJECT_ID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier";

/** Both app roles: a local person may start, approve, cancel and read the audit; four eyes still apply. */
const LOCAL_ROLES = ["Port25.Operator", "Port25.Auditor"] as const;

/** What --user takes: a name as a sign-in would give it (letters, digits and . _ @ -), no spaces or control characters. */
export const LocalUserSchema = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/,
    "must be a name such as alice or alice@contoso.example (letters, digits, . _ @ -)",
  );

/**
 * A stable object id for a local name: the same name is the same principal in every call (so the starter's approve
 * is refused), and two names never share one. Shaped as a GUID, as Entra's object ids are.
 */
function localObjectId(name: string): string {
  const h = createHash("sha256").update(`port25-local-user\n${name.toLowerCase()}`, "utf8").digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The headers App Service authentication would set for `name` signed in with both app roles. */
export function localPrincipalHeaders(name: string): Record<string, string> {
  const oid = localObjectId(name);
  const principal = {
    auth_typ: "aad",
    name_typ: "preferred_username",
    role_typ: "roles",
    claims: [
      { typ: OBJECT_ID_CLAIM, val: oid },
      { typ: "preferred_username", val: name },
      ...LOCAL_ROLES.map((val) => ({ typ: "roles", val })),
    ],
  };
  return {
    "x-ms-client-principal": Buffer.from(JSON.stringify(principal), "utf8").toString("base64"),
    "x-ms-client-principal-name": name,
    "x-ms-client-principal-id": oid,
    "x-ms-client-principal-idp": "aad",
  };
}
