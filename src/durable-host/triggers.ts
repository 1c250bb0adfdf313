/**
 * Invoking the app's HTTP and timer triggers as the Functions host would, and the `durableClient` binding they get:
 * its data points `df.getClient` at the loopback client API, started on first use.
 */
import { HttpRequest, HttpResponse, type HttpRequestInit, type InvocationContext } from "@azure/functions";
import { ClientRpcServer, type DurableClientData } from "./clientRpc";
import type { Registration } from "./functionsCore";
import { DurableHostError } from "./hostError";
import { assertOpen, type HostState } from "./hostState";
import { invocationContext } from "./registry";
import type { InstanceOperations } from "./types";
import { iso } from "./wire";

export class Triggers {
  private rpc: ClientRpcServer | undefined;

  constructor(
    private readonly state: HostState,
    private readonly instances: InstanceOperations,
  ) {}

  /** The binding data `df.getClient` reads; starts the loopback client API on first use. */
  async durableClientData(): Promise<DurableClientData> {
    assertOpen(this.state);
    this.rpc ??= new ClientRpcServer(this.instances, this.state.options.taskHubName ?? "Port25Hub");
    return this.rpc.clientData();
  }

  /** Invokes a registered HTTP trigger with a real HttpRequest and returns its HttpResponse. */
  async invokeHttp(functionName: string, request: HttpRequest | HttpRequestInit): Promise<HttpResponse> {
    const registration = this.state.registry.lookup(functionName, "http");
    if (!registration) {
      throw new DurableHostError(`No HTTP-triggered function named '${functionName}' is registered`, {
        code: "FunctionNotFound",
        statusCode: 404,
      });
    }
    const req = request instanceof HttpRequest ? request : new HttpRequest(request);
    const result = await registration.handler(req, await this.clientContext(registration));
    if (result instanceof HttpResponse) return result;
    if (result === undefined || result === null) return new HttpResponse({ status: 204 });
    return new HttpResponse(result);
  }

  /** Invokes a registered timer trigger with the payload the worker builds (times from the virtual clock). */
  async invokeTimer(functionName: string, opts: { isPastDue?: boolean } = {}): Promise<unknown> {
    const registration = this.state.registry.lookup(functionName, "timer");
    if (!registration) {
      throw new DurableHostError(`No timer-triggered function named '${functionName}' is registered`, {
        code: "FunctionNotFound",
        statusCode: 404,
      });
    }
    const now = iso(this.state.clock.now());
    const timer = {
      isPastDue: opts.isPastDue ?? false,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: now, next: now, lastUpdated: now },
    };
    return registration.handler(timer, await this.clientContext(registration));
  }

  /** Stops the loopback client API, if it was started. */
  async close(): Promise<void> {
    await this.rpc?.close();
    this.rpc = undefined;
  }

  private async clientContext(registration: Registration): Promise<InvocationContext> {
    const context = invocationContext(registration, this.state.options.log);
    if (registration.durableClientBinding !== undefined) {
      context.extraInputs.set(registration.durableClientBinding, await this.durableClientData());
    }
    return context;
  }
}
