/** The deployment notifies without any webhook: an action group and alert rules on the app's notification events. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EVENT_TRACE_PREFIX, NotificationTypeSchema } from "../../src/contracts/notification";
import { sendNotificationActivity } from "../../src/contracts/durable/sendNotification";
import {
  INFRA_DIR,
  type BicepFile,
  type Node,
  loadBicep,
  modules,
  objectProperties,
  params,
  resources,
  stringValue,
  variable,
} from "./bicep";

const main = loadBicep(path.join(INFRA_DIR, "main.bicep"));
const api = loadBicep(path.join(INFRA_DIR, "app/api.bicep"));
const alerts = loadBicep(path.join(INFRA_DIR, "app/alerts.bicep"));

function props(node: Node | undefined): Map<string, Node> {
  return node ? objectProperties(node) : new Map<string, Node>();
}

function moduleParams(file: BicepFile, target: string): Map<string, Node> {
  const mod = modules(file).find((m) => m.target === target);
  return props(mod?.body ? objectProperties(mod.body).get("params") : undefined);
}

function isSecure(file: BicepFile, name: string): boolean {
  const p = params(file).find((q) => q.name === name);
  const decorators = p?.node.previousNamedSibling;
  return decorators?.type === "decorators" && /@secure\(\)/.test(decorators.text);
}

describe("the action group", () => {
  const group = resources(alerts).find((r) => r.target.startsWith("Microsoft.Insights/actionGroups@"));
  const body = props(group?.body);

  it("is global and has an email receiver for each address of the alertEmails parameter", () => {
    expect(stringValue(body.get("location"))).toBe("Global");
    const receivers = props(body.get("properties")).get("emailReceivers");
    expect(receivers?.text).toMatch(/^\[for \(email, i\) in alertEmails:/);
    expect(receivers?.text).toMatch(/emailAddress: email/);
    expect((stringValue(props(body.get("properties")).get("groupShortName")) ?? "").length).toBeLessThanOrEqual(12);
  });

  it("takes its addresses from the azd parameter PORT25_ALERT_EMAILS, a JSON array passed as a string", () => {
    expect(moduleParams(main, "app/alerts.bicep").get("alertEmails")?.text).toBe("alertEmails");
    expect(variable(main, "alertEmails")?.text).toBe(
      "empty(trim(alertEmailsJson)) ? [] : concat([], json(alertEmailsJson))",
    );
    const parameters = z
      .object({ parameters: z.record(z.string(), z.object({ value: z.unknown() })) })
      .parse(JSON.parse(readFileSync(path.join(INFRA_DIR, "main.parameters.json"), "utf8")));
    expect(parameters.parameters["alertEmailsJson"]?.value).toBe("${PORT25_ALERT_EMAILS=[]}");
  });
});

describe("the alert rules", () => {
  const rules = resources(alerts).filter((r) => r.target.startsWith("Microsoft.Insights/scheduledQueryRules@"));
  // An interpolated string (the ingestion window): read as written.
  const events = variable(alerts, "events")?.text ?? "";
  const list = variable(alerts, "rules")?.text ?? "";

  it("read the events the app logs: trace lines with the contract's prefix, the JSON after it", () => {
    expect(events).toContain(`message startswith "${EVENT_TRACE_PREFIX}"`);
    expect(events).toContain(`substring(message, ${EVENT_TRACE_PREFIX.length})`);
  });

  it("alert on approval needed, canary halted and resources left down, one alert per run", () => {
    const types = [...list.matchAll(/type == "(\w+)"/g)].map((m) => m[1]);
    expect(types).toEqual(["approvalNeeded", "canaryHalted", "runCompleted"]);
    for (const t of types) expect(NotificationTypeSchema.options).toContain(t);
    expect(list).toMatch(/type == "runCompleted" and toint\(event\.counts\.leftDown\) > 0/);
    expect(rules).toHaveLength(1);
    const rule = rules[0];
    expect(readFileSync(alerts.absolutePath, "utf8")).toMatch(/resource alertRules '[^']+' = \[for rule in rules: \{/);
    const body = rule?.body?.text ?? "";
    expect(body).toMatch(/scopes: \[\s*applicationInsights\.id\s*\]/);
    expect(body).toMatch(/actionGroups: \[\s*actionGroup\.id\s*\]/);
    expect(body).toMatch(/name: 'runId'/);
  });

  it("are deployed by main.bicep against the app's Application Insights", () => {
    expect(moduleParams(main, "app/alerts.bicep").get("applicationInsightsName")?.text).toBe(
      "monitoring.outputs.applicationInsightsName",
    );
  });
});

describe("webhooks", () => {
  const keyVault = loadBicep(path.join(INFRA_DIR, "app/keyvault.bicep"));

  it("are a secure parameter from main.bicep to the Key Vault, never an output nor a plain app setting", () => {
    expect(isSecure(main, "notifyWebhooks")).toBe(true);
    expect(isSecure(keyVault, "notifyWebhooks")).toBe(true);
    expect(moduleParams(main, "app/keyvault.bicep").get("notifyWebhooks")?.text).toBe("notifyWebhooks");
    expect(params(api).map((p) => p.name)).not.toContain("notifyWebhooks");
    for (const file of [main, api, alerts, keyVault]) {
      const outputs = file.root.namedChildren.filter((n) => n.type === "output_declaration");
      expect(outputs.filter((o) => /notifyWebhooks|NOTIFY_WEBHOOKS/.test(o.text))).toEqual([]);
    }
  });

  it("reach the app setting the config parses as a Key Vault reference, resolved with the app's user-assigned identity", () => {
    const source = readFileSync(api.absolutePath, "utf8");
    expect(source).toMatch(/PORT25_NOTIFY_WEBHOOKS: '@Microsoft\.KeyVault\(SecretUri=\$\{notifyWebhooksSecretUri\}\)'/);
    expect(source).toMatch(/keyVaultReferenceIdentity: identityId/);
    expect(moduleParams(main, "app/api.bicep").get("notifyWebhooksSecretUri")?.text).toBe(
      "keyVault.outputs.webhooksSecretUri",
    );
  });

  it("live in a vault that takes Azure RBAC only, with purge protection, and always holds the secret the reference names", () => {
    const vault = resources(keyVault).find((r) => r.target.startsWith("Microsoft.KeyVault/vaults@"));
    const properties = props(props(vault?.body).get("properties"));
    expect(properties.get("enableRbacAuthorization")?.text).toBe("true");
    expect(properties.get("enablePurgeProtection")?.text).toBe("true");
    expect(properties.has("accessPolicies")).toBe(false);
    const secret = resources(keyVault).find((r) => r.target.startsWith("Microsoft.KeyVault/vaults/secrets@"));
    expect(secret?.existing).toBe(false);
    expect(props(props(secret?.body).get("properties")).get("value")?.text).toBe(
      "empty(trim(notifyWebhooks)) ? '[]' : notifyWebhooks",
    );
  });
});

describe("the events the rules read are all kept", () => {
  const host = z
    .object({
      logging: z.object({
        logLevel: z.record(z.string(), z.string()),
        applicationInsights: z.object({
          samplingSettings: z.object({ isEnabled: z.boolean(), excludedTypes: z.string() }),
        }),
      }),
    })
    .parse(JSON.parse(readFileSync(path.join(INFRA_DIR, "..", "host.json"), "utf8")));

  it("excludes traces (the events' telemetry type) and exceptions from adaptive sampling, not only requests", () => {
    const excluded = host.logging.applicationInsights.samplingSettings.excludedTypes.split(";");
    expect(excluded).toEqual(expect.arrayContaining(["Request", "Trace", "Exception"]));
  });

  it("logs the function that writes the events at Information, and bounds every other trace at Warning", () => {
    // The events are written by the sendNotification activity (activities/sendNotification.ts) with context.log.
    expect(sendNotificationActivity.name).toBe("sendNotification");
    const levels = host.logging.logLevel;
    expect(levels[`Function.${sendNotificationActivity.name}.User`]).toBe("Information");
    // The functions that write the audit chain's trace lines (activities/auditWrite.ts, refusals in src/functions/http.ts).
    for (const fn of [
      "recordRunCompleted",
      "recordReverification",
      "recordCampaignCompleted",
      "startRemediation",
      "approveRemediation",
      "cancelRemediation",
      "startCampaign",
      "approveCampaign",
      "cancelCampaign",
    ]) {
      expect(levels[`Function.${fn}.User`], fn).toBe("Information");
    }
    expect(levels["Function"]).toBe("Warning");
    expect(levels["default"]).toBe("Warning");
  });

  it("give each rule a window longer than its period, and count each event once by its ingestion time", () => {
    const frequency = Number(params(alerts).find((p) => p.name === "evaluationFrequencyMinutes")?.defaultValue?.text);
    const lookBack = Number(params(alerts).find((p) => p.name === "lookBackMinutes")?.defaultValue?.text);
    expect(frequency).toBeGreaterThan(0);
    expect(lookBack).toBeGreaterThanOrEqual(frequency + 10);
    const events = variable(alerts, "events")?.text ?? "";
    expect(events).toContain("ingestion_time() > ago(${evaluationFrequencyMinutes}m)");
    const body =
      resources(alerts).find((r) => r.target.startsWith("Microsoft.Insights/scheduledQueryRules@"))?.body?.text ?? "";
    expect(body).toMatch(/evaluationFrequency: 'PT\$\{evaluationFrequencyMinutes\}M'/);
    expect(body).toMatch(/windowSize: 'PT\$\{lookBackMinutes\}M'/);
  });
});
