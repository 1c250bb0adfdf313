/** App settings, parsed once from process.env. Orchestrations never read this. */
import { z } from "zod";
import { ConfigError } from "./errors";
import { zodIssues } from "./contracts/parse";
import type { SubnetGrant } from "./contracts/discovery";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

/** A webhook address: https, or http to this machine (a local receiver). Messages never quote it: it is a secret. */
export const WebhookUrlSchema = z.string().refine((value) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOST.test(url.hostname));
}, "each webhook must be an https URL (http only to 127.0.0.1, localhost or [::1])");

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

/** A list of webhook URLs: a JSON array, or addresses separated by spaces, commas or semicolons. */
const WebhookListSchema = z
  .string()
  .transform((text, ctx) => {
    const trimmed = text.trim();
    if (!trimmed.startsWith("[")) return trimmed.split(/[\s,;]+/).filter((u) => u.length > 0);
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((u) => typeof u === "string")) return parsed;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: "custom", message: "must be a JSON array of URLs, or URLs separated by spaces or commas" });
    return z.NEVER;
  })
  .pipe(z.array(WebhookUrlSchema).max(10, "at most 10 webhooks"));

const LOOPBACK = /^https:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i;

export const ConfigSchema = z
  .object({
    /** ARM endpoint; the public cloud unless pointed elsewhere (sovereign cloud or the local simulator). */
    PORT25_ARM_ENDPOINT: z.url({ protocol: /^https$/ }).default("https://management.azure.com"),
    /** PEM file of an extra CA to trust for the ARM endpoint (the simulator's self-signed certificate). */
    PORT25_ARM_CA_FILE: z.string().min(1).optional(),
    /** A static bearer token: accepted only for a loopback ARM endpoint (the simulator). */
    PORT25_ARM_STATIC_TOKEN: z.string().min(1).optional(),
    /** Client id of the user-assigned managed identity (DefaultAzureCredential reads it). */
    AZURE_CLIENT_ID: z.string().uuid().optional(),
    /** The app identity's principal id and the subnet role's name (azd outputs), for the grant command a plan prints. */
    PORT25_IDENTITY_PRINCIPAL_ID: z.string().uuid().optional(),
    PORT25_SUBNET_ROLE_NAME: z.string().min(1).max(200).optional(),
    /** Audit tables: a connection string (local, Azurite) or a table endpoint (identity-based, Azure). */
    PORT25_AUDIT_TABLE_CONNECTION: z.string().min(1).optional(),
    PORT25_AUDIT_TABLE_ENDPOINT: z.url().optional(),
    PORT25_AUDIT_TABLE_PREFIX: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{0,40}$/, "must be letters and digits, starting with a letter")
      .default("port25"),
    /** NCRONTAB (six fields) of the scheduled re-verification. */
    PORT25_REVERIFY_SCHEDULE: z
      .string()
      .regex(/^\S+( \S+){5}$/, "must be a six-field NCRONTAB expression")
      .default("0 0 6 * * *"),
    /** Start a remediation for stragglers found by the re-verification. */
    PORT25_AUTO_REMEDIATE: bool.default(false),
    /** Let that auto-remediation include stragglers whose start since the exemption cannot be established. */
    PORT25_AUTO_REMEDIATE_UNKNOWN: bool.default(false),
    /**
     * Enforce App Service authentication roles (operator, auditor) in the HTTP triggers. Unset, it is on wherever the
     * app runs on App Service (WEBSITE_SITE_NAME or WEBSITE_INSTANCE_ID set by the platform) and off elsewhere: in Azure
     * a missing setting fails closed, never open.
     */
    PORT25_AUTH_ENABLED: bool.optional(),
    /**
     * Set by App Service itself ("True") when its authentication (Easy Auth) is on for the app: the same signal
     * Microsoft.Identity.Web's AppServicesAuthenticationInformation reads. Only the platform's front end removes
     * client-sent x-ms-client-principal headers, so the triggers trust those headers only when it says so.
     */
    WEBSITE_AUTH_ENABLED: z.string().optional(),
    WEBSITE_SITE_NAME: z.string().optional(),
    WEBSITE_INSTANCE_ID: z.string().optional(),
    /** Host probed on TCP 25 by the canary when a run does not name one. */
    PORT25_PROBE_HOST: z.string().min(1).max(253).default("smtp.office365.com"),
    /** Webhooks told of every event (secrets: they embed the receiver's token; never logged). */
    PORT25_NOTIFY_WEBHOOKS: WebhookListSchema.default([]),
    /** Body of the webhook posts: the message as JSON, or a Teams or Slack incoming-webhook payload. */
    PORT25_NOTIFY_FORMAT: z.enum(["json", "teams", "slack"]).default("json"),
    /** Each webhook request's time limit. */
    PORT25_NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
    /** The app's public address, for the links in notifications; else https://WEBSITE_HOSTNAME (set by App Service). */
    PORT25_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    WEBSITE_HOSTNAME: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(:\d+)?$/)
      .optional(),
    PORT25_TASK_HUB: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{2,44}$/)
      .default("port25"),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.PORT25_ARM_STATIC_TOKEN !== undefined && !LOOPBACK.test(cfg.PORT25_ARM_ENDPOINT)) {
      ctx.addIssue({
        code: "custom",
        path: ["PORT25_ARM_STATIC_TOKEN"],
        message: "a static token is only accepted with a loopback PORT25_ARM_ENDPOINT",
      });
    }
  });

export type Config = z.output<typeof ConfigSchema>;

/** Whether the triggers enforce App Service authentication: the setting, or on App Service when it is unset. */
export function authRequired(config: Config): boolean {
  return config.PORT25_AUTH_ENABLED ?? onAppService(config);
}

/** The platform's own marks of an App Service (Functions) host. */
function onAppService(config: Config): boolean {
  return config.WEBSITE_SITE_NAME !== undefined || config.WEBSITE_INSTANCE_ID !== undefined;
}

/** App Service says its authentication is on for this app (WEBSITE_AUTH_ENABLED, compared as the platform writes it: "True"). */
export function platformAuthOn(config: Config): boolean {
  return config.WEBSITE_AUTH_ENABLED?.toLowerCase() === "true";
}

/** Parses the given environment; throws one ConfigError listing every bad key. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = ConfigSchema.safeParse(defined);
  if (!result.success) throw new ConfigError(zodIssues(result.error), result.error);
  return result.data;
}

/** Whether an audit table is configured (a local run without Azurite has none). */
export function auditTableConfigured(config: Config): boolean {
  return config.PORT25_AUDIT_TABLE_CONNECTION !== undefined || config.PORT25_AUDIT_TABLE_ENDPOINT !== undefined;
}

/**
 * The process's app settings, parsed: read by the Functions app's entry once, to build its composition root
 * (src/app.ts). The only place the app reads its environment; everything else is handed what it needs.
 */
export function configFromEnvironment(): Config {
  return parseConfig(process.env);
}

/**
 * Who the subnet role is granted to and its name, for the `az role assignment create` a plan prints: the principal
 * id, else the managed identity's client id (az resolves either to the service principal), and the role's name.
 */
export function subnetGrantOf(
  config: Pick<Config, "PORT25_IDENTITY_PRINCIPAL_ID" | "AZURE_CLIENT_ID" | "PORT25_SUBNET_ROLE_NAME">,
): SubnetGrant {
  const assignee = config.PORT25_IDENTITY_PRINCIPAL_ID ?? config.AZURE_CLIENT_ID;
  return { assignee, roleName: config.PORT25_SUBNET_ROLE_NAME };
}
