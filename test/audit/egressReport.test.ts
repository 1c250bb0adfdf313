import { describe, expect, it } from "vitest";
import { renderRunReport } from "../../src/audit/report";
import type { EgressPath } from "../../src/contracts/egress";
import type { ResourceOutcome } from "../../src/contracts/outcome";
import { auditedFrom, runResult } from "./fixtures";

const HUB_SUB = "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f";
const direct: EgressPath = {
  key: "internet",
  kind: "internet",
  direct: true,
  source: "system",
  basis: "routes",
  hop: "the Internet",
};
const hub: EgressPath = {
  key: "appliance:10.100.0.4",
  kind: "virtualAppliance",
  direct: false,
  source: "user",
  basis: "routes",
  hop: "appliance 10.100.0.4 in VNet vnet-hub",
  nextHopIpAddress: "10.100.0.4",
  hopSubscriptionId: HUB_SUB,
};

function vm(name: string, egress?: EgressPath): ResourceOutcome {
  return {
    resourceId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${name}`,
    kind: "vm",
    name,
    resourceGroup: "rg",
    outcome: "cycled",
    actions: ["powerOff", "deallocate", "start"],
    egress,
  };
}

describe("the report's egress paths", () => {
  it("lists each path with its VMs and says a hub path is exempted here but blocked at the hop, in the hop's subscription", () => {
    const result = runResult({ outcomes: [vm("app-direct-01", direct), vm("app-hub-01", hub), vm("app-hub-02", hub)] });
    result.summary.canary = {
      ...(result.summary.canary ?? {
        vmIds: [],
        probeHost: "smtp.example",
        verification: "canaryProbe",
        result: "reachable",
      }),
      paths: [
        {
          path: direct,
          result: "reachable",
          canaryName: "app-direct-01",
          detail: "reached",
          resources: ["app-direct-01"],
        },
        {
          path: hub,
          result: "blockedAtHop",
          canaryName: "app-hub-01",
          detail: "exempted here, blocked",
          resources: ["app-hub-01", "app-hub-02"],
        },
      ],
    };
    const html = renderRunReport(auditedFrom(result));
    const section = html.slice(
      html.indexOf('<section id="egress">'),
      html.indexOf("</section>", html.indexOf('<section id="egress">')),
    );
    expect(section).toContain("Egress paths");
    expect(section).toContain(
      `exempted here, blocked at appliance 10.100.0.4 in VNet vnet-hub in subscription ${HUB_SUB}`,
    );
    expect(section).toMatch(/app-hub-01.*app-hub-02/s);
    expect(section).toContain("canary app-direct-01");
  });

  it("has no egress section for a run recorded before paths were read", () => {
    expect(renderRunReport(auditedFrom(runResult({ outcomes: [vm("a"), vm("b")] })))).not.toContain('id="egress"');
  });

  it("says which paths the canary's effective routes confirmed and which stand as computed from route tables, and why", () => {
    const result = runResult({ outcomes: [vm("app-direct-01", direct), vm("app-hub-01", hub)] });
    result.summary.canary = {
      ...(result.summary.canary ?? {
        vmIds: [],
        probeHost: "smtp.example",
        verification: "canaryProbe",
        result: "reachable",
      }),
      paths: [
        {
          path: { ...direct, basis: "effectiveRoutes" },
          result: "reachable",
          canaryName: "app-direct-01",
          detail: "reached",
          resources: ["app-direct-01"],
          confirmation: { status: "confirmed", detail: "the NIC's effective routes send internet traffic to Internet" },
        },
        {
          path: hub,
          result: "blockedAtHop",
          canaryName: "app-hub-01",
          detail: "blocked",
          resources: ["app-hub-01"],
          confirmation: { status: "unconfirmed", detail: "effective routes not read (403 AuthorizationFailed)" },
        },
      ],
    };
    const html = renderRunReport(auditedFrom(result));
    const section = html.slice(
      html.indexOf('<section id="egress">'),
      html.indexOf("</section>", html.indexOf('<section id="egress">')),
    );
    expect(section).toMatch(
      /the Internet.*confirmed from the canary&#39;s effective routes|the Internet.*confirmed from the canary's effective routes/s,
    );
    expect(section).toMatch(
      /appliance 10\.100\.0\.4.*computed from route tables, not confirmed: effective routes not read \(403 AuthorizationFailed\)/s,
    );
  });

  it("shows a hub-gateway path the effective routes found direct under its confirmed path, with its verdict", () => {
    const possible: EgressPath = {
      key: "gateway:hub",
      kind: "virtualNetworkGateway",
      direct: false,
      source: "bgp",
      basis: "possible",
      hop: "the gateway of peered VNet vnet-hub (useRemoteGateways), if it advertises a default route",
    };
    const result = runResult({ outcomes: [vm("app-spoke-01", possible)] });
    result.summary.canary = {
      ...(result.summary.canary ?? {
        vmIds: [],
        probeHost: "smtp.example",
        verification: "canaryProbe",
        result: "reachable",
      }),
      paths: [
        {
          path: { ...direct, basis: "effectiveRoutes" },
          result: "reachable",
          canaryName: "app-spoke-01",
          detail: "reached",
          resources: ["app-spoke-01"],
          confirmation: { status: "confirmed", detail: "direct" },
        },
      ],
    };
    const html = renderRunReport(auditedFrom(result));
    const section = html.slice(
      html.indexOf('<section id="egress">'),
      html.indexOf("</section>", html.indexOf('<section id="egress">')),
    );
    expect(section).toContain("direct: the Internet");
    expect(section).not.toContain("if it advertises");
    expect(section).toContain("canary app-spoke-01");
  });
});
