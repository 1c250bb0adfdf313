/**
 * The local durable host: plays the Durable Task extension for the real `durable-functions` package, in process.
 * `DurableHost` is the public face over the host's jobs, each in its own module (listed in README.md).
 */
import type { HttpRequest, HttpRequestInit, HttpResponse } from "@azure/functions";
import type { VirtualClock } from "./clock";
import type { DurableClientData } from "./clientRpc";
import { installFunctionsCore, type FunctionKind } from "./functionsCore";
import { DurableHostError } from "./hostError";
import { archiveFor, assertOpen, createHostState, persist, type HostState } from "./hostState";
import {
  instanceStatus,
  listInstances,
  purgeInstance,
  purgeInstances,
  queueEvent,
  queueTermination,
  startInstance,
} from "./instances";
import { recoverFromStore } from "./recovery";
import { Scheduler } from "./scheduler";
import { hostStats } from "./stats";
import { StateDirectory } from "./stateDir";
import { InstanceStore, summaryOf } from "./store";
import { Triggers } from "./triggers";
import type {
  DurableHostOptions,
  HostProgressEvent,
  HostStats,
  InstanceOperations,
  InstanceQuery,
  InstanceStatus,
  RunOptions,
  RunReport,
} from "./types";
import { isTerminal, toJsonText } from "./wire";

export class DurableHost implements InstanceOperations {
  readonly clock: VirtualClock;
  readonly store: InstanceStore;
  private readonly state: HostState;
  private readonly scheduler: Scheduler;
  private readonly triggers: Triggers;

  constructor(options: DurableHostOptions = {}) {
    installFunctionsCore();
    if (options.stateDir !== undefined && options.store !== undefined) {
      throw new DurableHostError("A durable host resumes from a state directory or from a store, not both", {
        code: "BadRequest",
        statusCode: 400,
      });
    }
    const disk = options.stateDir === undefined ? undefined : StateDirectory.open(options.stateDir, options.log);
    try {
      const store = options.store ?? new InstanceStore();
      let storedNow: number | undefined;
      if (disk) {
        const loaded = disk.loadAll();
        storedNow = loaded.now;
        for (const r of loaded.records) {
          // Finished instances stay on disk; memory keeps their summaries.
          if (isTerminal(r.runtimeStatus)) store.addArchived(summaryOf(r));
          else store.set(r);
        }
        store.takeChanges();
      }
      archiveFor(store, disk, options.finishedArchive);
      const resumed = options.store !== undefined || [...store.summaries()].length > 0;
      this.state = createHostState(options, disk, store, resumed);
      // The virtual clock resumes where the stored state left it (a shared clock is moved forward, never back).
      if (storedNow !== undefined) this.state.clock.advanceTo(storedNow);
      this.state.writtenNow = storedNow;
    } catch (e) {
      disk?.close();
      throw e;
    }
    this.clock = this.state.clock;
    this.store = this.state.store;
    this.scheduler = new Scheduler(this.state);
    this.triggers = new Triggers(this.state, this);
    this.state.durableClient = () => this.triggers.durableClientData();
    recoverFromStore(this.state);
    // What recovery repaired (a child started again, a notice delivered) is written before it is acted on.
    persist(this.state);
  }

  // ---------------------------------------------------------------- registration

  /**
   * Loads the app's modules (their `app.*` / `df.app.*` calls register functions through the fake core) and takes
   * every function registered in this process into this host.
   */
  importApp(modulePaths: readonly string[]): Promise<readonly string[]> {
    return this.state.registry.importApp(modulePaths);
  }

  /** Takes every function registered in this process so far (for apps imported by the caller). */
  adoptRegistrations(): void {
    this.state.registry.adoptRegistrations();
  }

  functions(): readonly { name: string; kind: FunctionKind }[] {
    return this.state.registry.functions();
  }

  // ---------------------------------------------------------------- instance management

  /** Starts an instance; its version is `opts.version`, else the host's defaultVersion. */
  startOrchestration(name: string, input?: unknown, opts: { instanceId?: string; version?: string } = {}): string {
    return this.startWithInputText(
      name,
      input === undefined ? undefined : toJsonText(input),
      opts.instanceId,
      opts.version,
    );
  }

  /** Starts an instance from the JSON text of its input (what the client API receives). */
  startWithInputText(name: string, inputText: string | undefined, instanceId?: string, version?: string): string {
    assertOpen(this.state);
    const id = startInstance(this.state, name, inputText, instanceId, version);
    // On disk before the caller hears the id (the client API answers 202 after this).
    persist(this.state);
    this.scheduler.notifyWork();
    return id;
  }

  /** Delivers an external event. Throws DurableHostError 404 (unknown instance) or 410 (already finished). */
  raiseEvent(instanceId: string, eventName: string, data?: unknown): void {
    this.raiseEventText(instanceId, eventName, data === undefined ? undefined : toJsonText(data));
  }

  raiseEventText(instanceId: string, eventName: string, dataText: string | undefined): void {
    assertOpen(this.state);
    queueEvent(this.state, instanceId, eventName, dataText);
    persist(this.state);
    this.scheduler.notifyWork();
  }

  /** Terminates at the instance's next episode. Throws 404 / 410 like raiseEvent. */
  terminate(instanceId: string, reason = ""): void {
    assertOpen(this.state);
    queueTermination(this.state, instanceId, reason);
    persist(this.state);
    this.scheduler.notifyWork();
  }

  purge(instanceId: string): boolean {
    const purged = purgeInstance(this.state, instanceId);
    persist(this.state);
    return purged;
  }

  purgeBy(query: InstanceQuery): number {
    const purged = purgeInstances(this.state, query);
    persist(this.state);
    return purged;
  }

  getStatus(instanceId: string): InstanceStatus | undefined {
    return instanceStatus(this.state, instanceId);
  }

  listInstances(query: InstanceQuery = {}): InstanceStatus[] {
    return listInstances(this.state, query);
  }

  /** Resolves once `predicate` holds for the instance (checked after every state change). */
  waitFor(
    instanceId: string,
    predicate: (s: InstanceStatus) => boolean = (s) => isTerminal(s.runtimeStatus),
  ): Promise<InstanceStatus> {
    return this.state.progress.waitFor(() => this.getStatus(instanceId), predicate);
  }

  on(listener: (event: HostProgressEvent) => void): () => void {
    return this.state.progress.on(listener);
  }

  stats(): HostStats {
    return hostStats(this.state.clock, this.state.store, this.state.totals);
  }

  // ---------------------------------------------------------------- the loop

  /**
   * Runs episodes, activities and due timers until nothing can happen without the outside world, advancing the
   * virtual clock to the next timer whenever only timers remain. Calls are serialized, so it is safe to call while
   * the background loop runs.
   */
  runUntilIdle(opts: RunOptions = {}): Promise<RunReport> {
    return this.scheduler.runUntilIdle(opts);
  }

  /** Runs the loop in the background, picking up work as it arrives (e.g. starts through the client API). */
  start(opts: RunOptions = {}): void {
    this.scheduler.start(opts);
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  /** Stops the loop and the client API server, writes what changed, and releases the state directory's lock. */
  async close(): Promise<void> {
    if (!this.state.closed) {
      await this.scheduler.close();
      try {
        persist(this.state, true);
      } finally {
        this.state.disk?.close();
      }
    }
    await this.triggers.close();
  }

  // ---------------------------------------------------------------- triggers and the client

  /** The binding data `df.getClient` reads; starts the loopback client API on first use. */
  durableClientData(): Promise<DurableClientData> {
    return this.triggers.durableClientData();
  }

  /** Invokes a registered HTTP trigger with a real HttpRequest and returns its HttpResponse. */
  invokeHttp(functionName: string, request: HttpRequest | HttpRequestInit): Promise<HttpResponse> {
    return this.triggers.invokeHttp(functionName, request);
  }

  /** Invokes a registered timer trigger with the payload the worker builds (times from the virtual clock). */
  invokeTimer(functionName: string, opts: { isPastDue?: boolean } = {}): Promise<unknown> {
    return this.triggers.invokeTimer(functionName, opts);
  }
}

export function createDurableHost(options: DurableHostOptions = {}): DurableHost {
  return new DurableHost(options);
}
