/**
 * Notification messages: the title and lines of each event, its links, and the body each webhook format takes
 * (`json`: the message itself; `teams`: an Adaptive Card, which Teams Workflows and incoming webhooks accept;
 * `slack`: an incoming-webhook `text` in Slack's mrkdwn).
 */
import {
  NotificationMessageSchema,
  type NotificationEvent,
  type NotificationLinks,
  type NotificationMessage,
} from "../contracts/notification";
import { parseWith } from "../contracts/parse";

export type WebhookFormat = "json" | "teams" | "slack";

/**
 * The API addresses an event points to, from the app's public base URL (none without one). The approve and cancel
 * links are for a run still waiting; no link carries a function key or token: the caller adds their own.
 */
export function linksFor(event: NotificationEvent, baseUrl: string | undefined): NotificationLinks {
  if (baseUrl === undefined) return {};
  const api = `${baseUrl.replace(/\/+$/, "")}/api`;
  const report = `${api}/audit/runs/${encodeURIComponent(event.runId)}?format=html`;
  switch (event.type) {
    case "approvalNeeded": {
      const status = `${api}/remediations/${encodeURIComponent(event.instanceId)}`;
      return { status, approve: `${status}/approve`, cancel: `${status}/cancel`, report };
    }
    case "canaryHalted":
    case "runCompleted":
    case "runRefused":
      return { status: `${api}/remediations/${encodeURIComponent(event.instanceId)}`, report };
    case "stragglersFound":
      return event.autoRemediation !== undefined
        ? { status: `${api}/remediations/${encodeURIComponent(event.autoRemediation.instanceId)}`, report }
        : { report };
    default:
      return { report };
  }
}

function more(shown: number, total: number): string[] {
  return total > shown ? [`… and ${total - shown} more`] : [];
}

/** A one-line title and a few lines of detail, the same words in every channel. */
export function describe(event: NotificationEvent): { title: string; lines: string[] } {
  const sub = `subscription ${event.subscriptionId}`;
  switch (event.type) {
    case "approvalNeeded":
      return {
        title: `Port 25 remediation waits for approval until ${event.deadline}`,
        lines: [
          `Run ${event.runId} on ${sub}, started by ${event.requestedBy}, will cycle ${event.counts.toCycle} resource(s) and refresh ${event.counts.toRefresh} VNet(s) (${event.counts.skipped} skipped).`,
          `Approve or cancel it before ${event.deadline}; otherwise it ends approvalTimedOut with nothing changed.`,
        ],
      };
    case "canaryHalted":
      return {
        title: `Port 25 remediation halted by the canary on ${sub}`,
        lines: [
          `Run ${event.runId}: canary ${event.result}: ${event.detail}`,
          "The rest of the fleet was not touched.",
        ],
      };
    case "runCompleted": {
      const leftDown = event.counts.leftDown ?? 0;
      const lines = [
        `Run ${event.runId} on ${sub}: ${event.status}. ${event.counts.cycled} cycled, ${event.counts.skipped} skipped, ${event.counts.failed} failed, ${leftDown} left down.`,
      ];
      if (leftDown > 0) {
        lines.push(`LEFT DOWN: ${leftDown} resource(s) the run took down and could not bring back:`);
        for (const d of event.leftDown)
          lines.push(`- ${d.resourceGroup}/${d.name}: ${d.state} (${d.errorCode ?? d.reason}); ${d.manualAction}`);
        lines.push(...more(event.leftDown.length, leftDown));
      }
      if (event.counts.failed > 0) {
        lines.push(`Failed: ${event.counts.failed}:`);
        for (const f of event.failures)
          lines.push(`- ${f.resourceGroup}/${f.name}: ${f.errorCode ?? f.reasonCode ?? "failed"}`);
        lines.push(...more(event.failures.length, event.counts.failed));
      }
      const title =
        leftDown > 0
          ? `Port 25 remediation LEFT ${leftDown} resource(s) DOWN on ${sub}`
          : event.counts.failed > 0
            ? `Port 25 remediation ended with ${event.counts.failed} failure(s) on ${sub}`
            : `Port 25 remediation ${event.status} on ${sub}`;
      return { title, lines };
    }
    case "runRefused":
      return {
        title: `Port 25 remediation refused on ${sub}`,
        lines: [
          `Run ${event.runId}: the subscription is ${event.category}: ${event.reason}. Nothing was changed.`,
          ...(event.advice !== undefined ? [event.advice] : []),
        ],
      };
    case "stragglersFound":
      return {
        // Only a start established since the exemption means the old policy; a start that cannot be established
        // is said to be unknown, not assumed (src/domain/stragglers.ts).
        title: stragglersTitle(event.count, event.startUnknownCount ?? 0, sub),
        lines: [
          ...event.stragglers.map((st) => `- ${st.resourceGroup}/${st.name}: ${st.reason}`),
          ...more(event.stragglers.length, event.count),
          event.autoRemediation !== undefined
            ? `Run ${event.autoRemediation.runId} was started for them.`
            : "Start a run for them (or turn on PORT25_AUTO_REMEDIATE).",
        ],
      };
    case "classificationChanged":
      return {
        title: `Subscription ${event.subscriptionId} is now ${event.category} (was ${event.previousCategory}): port 25 may be blocked again`,
        lines: [event.reason],
      };
    case "leakedSubnetsRemoved":
      return {
        title: `Re-verification removed ${event.removedCount} temporary subnet(s) left behind on ${sub}`,
        lines: [
          ...event.removed.map((id) => `- ${id}`),
          ...more(event.removed.length, event.removedCount),
          ...(event.failedCount > 0
            ? [`${event.failedCount} could not be removed: see the re-verification record.`]
            : []),
        ],
      };
  }
}

/** The message every channel starts from: the event, its title and its links. */
export function messageOf(event: NotificationEvent, baseUrl: string | undefined): NotificationMessage {
  return parseWith(
    NotificationMessageSchema,
    { ...event, source: "port25-remediation", title: describe(event).title, links: linksFor(event, baseUrl) },
    "notification message",
  );
}

const LINK_LABELS: readonly (readonly [keyof NotificationLinks, string])[] = [
  ["status", "Status"],
  ["approve", "Approve"],
  ["cancel", "Cancel"],
  ["report", "Report"],
];

function linkList(links: NotificationLinks): { label: string; url: string }[] {
  return LINK_LABELS.flatMap(([key, label]) => (links[key] !== undefined ? [{ label, url: links[key] }] : []));
}

/** The body posted to a webhook of the given format. */
export function webhookBody(message: NotificationMessage, format: WebhookFormat): unknown {
  if (format === "json") return message;
  const { title, lines } = describe(message);
  const links = linkList(message.links);
  if (format === "slack") {
    const escape = (t: string): string => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    return {
      text: [
        `*${escape(title)}*`,
        ...lines.map(escape),
        ...(links.length > 0 ? [links.map((l) => `<${l.url}|${l.label}>`).join(" · ")] : []),
      ].join("\n"),
    };
  }
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", text: title, weight: "Bolder", size: "Medium", wrap: true },
            ...lines.map((text) => ({ type: "TextBlock", text, wrap: true, spacing: "Small" })),
          ],
          actions: links.map((l) => ({ type: "Action.OpenUrl", title: l.label, url: l.url })),
        },
      },
    ],
  };
}

function stragglersTitle(count: number, unknown: number, sub: string): string {
  const known = count - unknown;
  const machines = (n: number): string => `${n} machine${n === 1 ? "" : "s"}`;
  if (unknown === 0) return `Re-verification found ${machines(known)} running with the old network policy on ${sub}`;
  if (known === 0)
    return `Re-verification could not establish whether ${machines(unknown)} on ${sub} restarted since the exemption (start unknown)`;
  return `Re-verification found ${machines(known)} running with the old network policy on ${sub}, and ${machines(unknown)} whose start since the exemption is unknown`;
}
