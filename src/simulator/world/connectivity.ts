/**
 * What Microsoft.Network answers about a VM's path out: a NIC's effective routes, and Network Watcher's
 * connectivity check along the VM's egress (direct, through an appliance or a gateway, or dropped), with TCP 25
 * blocked or open as the subscription's exemption and the VM's allocation time decide.
 */
import type { OperationLedger, OperationRequest } from "./operations";
import type { PowerStateMachine } from "./power";
import type { NicRecord, Operation, VmRecord, WatcherRecord } from "./types";
import { ArmHttpError } from "../armError";
import { effectiveRoutesOf, egressOf, findSubnet, routesOf, type SimEgress } from "../egress";
import { hashOf, type Rng } from "../rng";
import type { Scenario } from "../scenario";
import type { ShapePicker } from "../shapes";

/** A connectivity check's request: from a VM, to an address and port. */
export interface ConnectivityCheckBody {
  sourceId: string;
  address: string;
  port: number;
  protocol: string;
}

export interface ConnectivityParts {
  scenario: Scenario;
  rng: Rng;
  shapes: ShapePicker;
  ledger: OperationLedger;
  power: PowerStateMachine;
  vms: ReadonlyMap<string, VmRecord>;
  /** When the subscription's port-25 exemption took effect, if it has one. */
  exemptionEffectiveAt: number | undefined;
}

export class Connectivity {
  constructor(private readonly parts: ConnectivityParts) {}

  /**
   * NetworkInterfaces_GetEffectiveRouteTable: long-running (202, result at the Location), from the routes the
   * simulator routes the VM by. Azure answers only for a NIC attached to a running VM: 400
   * NicMustBeAttachedToRunningVmToGetEffectiveRoutes otherwise (the code as `az network nic
   * show-effective-route-table` reports it; its sibling NicMustBeAttachedToRunningVmToGetEffectiveSecurityGroups is a
   * 400 in Azure/azure-xplat-cli's recorded tests; cloud-custodian/cloud-custodian#3694: an orphan NIC or a stopped
   * VM's NIC gets an error).
   */
  effectiveRouteTable(nic: NicRecord, ctx: OperationRequest, now: number): Operation {
    const m = nic.vm.machine;
    this.parts.power.settle(m, now);
    if (m.power !== "running")
      throw new ArmHttpError(
        400,
        "NicMustBeAttachedToRunningVmToGetEffectiveRoutes",
        `A network interface must be attached to a running virtual machine to get effective routes. The network interface ${nic.id} is not attached to a running virtual machine.`,
      );
    const op = this.parts.ledger.begin("Microsoft.Network", nic.location, ctx.operation, ctx.apiVersion, now);
    this.parts.ledger.timeNetworkOp(op, ctx, "effectiveRouteTable", now);
    const ref = findSubnet(this.parts.scenario, nic.vm.spec.subnet);
    const routes =
      ref === undefined
        ? [{ name: "", addressPrefix: "0.0.0.0/0", nextHopType: "Internet", source: "Default" as const }]
        : routesOf(this.parts.scenario, ref);
    op.result = { value: effectiveRoutesOf(routes) };
    return op;
  }

  /**
   * A check from a VM whose Network Watcher agent is not ready yet: no verdict. Either the answer the REST spec
   * allows for it (networkWatcher.json: `connectionStatus: Unknown`, and an `AgentStopped` issue, one of the
   * spec's IssueType values, on the source hop, nothing probed), or the operation fails, as the spec's `default`
   * error response allows (no documented code: a generic InternalServerError). `behaviour.agentReady.checkAnswer`
   * picks; "either" varies by a hash of the VM and the time, so the world's draws do not shift.
   */
  private agentNotReadyAnswer(op: Operation, vm: VmRecord, address: string, now: number): void {
    const mode = this.parts.scenario.behaviour.agentReady.checkAnswer;
    const fail = mode === "failed" || (mode === "either" && hashOf(`${vm.machine.vmId}|check|${now}`) % 2 === 1);
    if (fail) {
      op.failure = {
        code: "InternalServerError",
        message: `The connectivity check from '${vm.name}' to '${address}' could not be completed.`,
      };
      return;
    }
    op.result = {
      hops: [
        {
          type: "Source",
          id: this.parts.rng.guid(),
          address: vm.machine.privateIp,
          resourceId: vm.id,
          nextHopIds: [],
          issues: [{ origin: "Local", severity: "Error", type: "AgentStopped", context: [] }],
        },
      ],
      connectionStatus: "Unknown",
      probesSent: 0,
      probesFailed: 0,
    };
  }

  check(watcher: WatcherRecord, body: ConnectivityCheckBody, ctx: OperationRequest, now: number): Operation {
    const vm = this.parts.vms.get(body.sourceId.toLowerCase());
    if (vm === undefined)
      throw new ArmHttpError(
        400,
        "InvalidSourceResource",
        `Source resource '${body.sourceId}' was not found or is not a virtual machine.`,
      );
    const m = vm.machine;
    this.parts.power.settle(m, now);
    if (m.location !== watcher.location)
      throw new ArmHttpError(
        400,
        "InvalidSourceLocation",
        `Source VM '${vm.name}' is in ${m.location} but Network Watcher '${watcher.name}' watches ${watcher.location}.`,
      );
    if (m.power !== "running")
      throw new ArmHttpError(400, "VmNotRunning", `Source VM '${vm.name}' must be running (power state ${m.power}).`);
    if (!m.networkWatcherAgent)
      throw new ArmHttpError(
        400,
        "NetworkWatcherAgentNotInstalled",
        `The Network Watcher agent extension is not installed on source VM '${vm.name}'.`,
      );
    const op = this.parts.ledger.begin("Microsoft.Network", watcher.location, ctx.operation, ctx.apiVersion, now);
    this.parts.ledger.timeNetworkOp(op, ctx, "connectivityCheck", now);
    if (m.checksReadyAt !== undefined && now < m.checksReadyAt) {
      this.agentNotReadyAnswer(op, vm, body.address, now);
      return op;
    }
    op.result = this.connectivityAlong(
      vm,
      egressOf(this.parts.scenario, findSubnet(this.parts.scenario, vm.spec.subnet)),
      body,
    );
    return op;
  }

  /**
   * A connectivity check's answer along the VM's egress path (Learn "Connection troubleshoot overview": hop types
   * Source, VirtualAppliance, VnetLocal, Internet). Direct to the internet, TCP 25 passes once the VM was allocated
   * after the exemption took effect; through an appliance or firewall, what that hop does with port 25 decides; a
   * forced tunnel ends at the gateway (on-premises egress is unknown here: "blocked" unless the scenario opens it);
   * a route to None drops it at the source.
   */
  private connectivityAlong(vm: VmRecord, path: SimEgress, body: { address: string; port: number }): unknown {
    const m = vm.machine;
    const eff = this.parts.exemptionEffectiveAt;
    const smtp = body.port === 25;
    const exempt = eff !== undefined && m.allocatedAt !== undefined && m.allocatedAt > eff;
    const nicConfig = `${vm.id.replace(/\/providers\/Microsoft\.Compute\/virtualMachines\/.*$/, "")}/providers/Microsoft.Network/networkInterfaces/${vm.name}-nic/ipConfigurations/ipconfig1`;
    // Two ids drawn whatever the path, as for a direct path, so that a scenario without routes draws as it always did.
    const srcHop = this.parts.rng.guid();
    const internetHop = this.parts.rng.guid();
    type Hop = {
      type: string;
      id: string;
      address: string;
      resourceId: string;
      nextHopIds: string[];
      issues: unknown[];
    };
    const hops: Hop[] = [
      { type: "Source", id: srcHop, address: m.privateIp, resourceId: nicConfig, nextHopIds: [], issues: [] },
    ];
    const source = hops[0] as Hop;
    let last = source;
    const append = (hop: Omit<Hop, "id" | "nextHopIds">, id: string = this.parts.rng.guid()): Hop => {
      const next: Hop = { ...hop, id, nextHopIds: [] };
      last.nextHopIds = [next.id];
      hops.push(next);
      last = next;
      return next;
    };
    let blocked: boolean;
    switch (path.kind) {
      case "internet":
        blocked = smtp && !exempt;
        if (blocked)
          source.issues = [
            {
              origin: "Outbound",
              severity: "Error",
              type: "Platform",
              context: [{ port: "25" }, { reason: "Outbound SMTP (TCP 25) is blocked for this subscription or VM" }],
            },
          ];
        break;
      case "appliance":
        append({
          type: "VirtualAppliance",
          address: path.address,
          resourceId: path.at?.resourceId ?? "Unknown",
          issues: [],
        });
        blocked = smtp && path.at?.port25 !== "open";
        break;
      case "gateway":
        append({ type: "VirtualNetworkGateway", address: "", resourceId: "Unknown", issues: [] });
        blocked = smtp && path.gateway?.port25 !== "open";
        break;
      default:
        blocked = true;
        source.issues = [
          {
            origin: "Outbound",
            severity: "Error",
            type: "UserDefinedRoute",
            context: [{ route: path.route }, { nextHopType: "None" }],
          },
        ];
    }
    if (!blocked) append({ type: "Internet", address: body.address, resourceId: "Internet", issues: [] }, internetHop);
    return {
      hops,
      connectionStatus:
        this.parts.shapes.connectionVocabulary() === "spec"
          ? blocked
            ? "Disconnected"
            : "Connected"
          : blocked
            ? "Unreachable"
            : "Reachable",
      ...(blocked ? {} : { avgLatencyInMs: 12, minLatencyInMs: 9, maxLatencyInMs: 21 }),
      probesSent: 30,
      probesFailed: blocked ? 30 : 0,
    };
  }
}
