/**
 * The one place ARM clients are built: credential, endpoint, extra CA and retry behaviour, shared by every SDK
 * client and by the generic client used for the billing property and operation-status URLs.
 */
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import { ServiceClient } from "@azure/core-client";
import {
  retryPolicy,
  type Pipeline,
  type PipelinePolicy,
  type PipelineResponse,
  type RetryStrategy,
} from "@azure/core-rest-pipeline";
import { DefaultAzureCredential } from "@azure/identity";
import { ComputeManagementClient } from "@azure/arm-compute";
import { NetworkManagementClient } from "@azure/arm-network";
import { ResourceManagementClient } from "@azure/arm-resources";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { ManagementGroupsAPI } from "@azure/arm-managementgroups";
import type { Config } from "../config";
import { ConfigError, ensureError } from "../errors";
import type { ArmGateway } from "./gateway";
import { ArmGatewayImpl } from "./armGateway";
import { isSocketFailure } from "./errors";
import { PACING_POLICY_NAME, pacingPolicy } from "./pacing";
import type { ArmClientSet, ArmConnection, ArmRetryOptions } from "./clientSet";

export type { ArmConnection, ArmRetryOptions } from "./clientSet";

/**
 * In-SDK retries. Only transient failures (408, 5xx other than 501/505, socket errors) are retried here, with a
 * short exponential backoff. 429s and 409s — and any response that carries Retry-After — are NOT retried in the
 * SDK: they surface as AzureOperationError (retryable, retryAfterSeconds) so the orchestrator waits on a durable
 * timer. Sleeping inside an activity would hold a worker and, on the simulator, ignore its virtual clock.
 */
export const DEFAULT_ARM_RETRY: ArmRetryOptions = { maxRetries: 3, retryDelayInMs: 400, maxRetryDelayInMs: 4_000 };

/** What the factory takes besides config: test and host seams (no simulator-specific switches). */
export interface ArmClientDeps {
  /** Overrides the credential derived from config. */
  credential?: TokenCredential;
  retry?: Partial<ArmRetryOptions>;
  /** PEM text of the CA that signs the ARM endpoint's certificate; overrides reading PORT25_ARM_CA_FILE. */
  caPem?: string;
}

export const TRANSIENT_RETRY_POLICY_NAME = "port25TransientRetryPolicy";
/** Name under which core-rest-pipeline installs its default (throttling + exponential) retry policy. */
const DEFAULT_RETRY_POLICY_NAME = "defaultRetryPolicy";

/**
 * The token scope for an ARM endpoint: `${origin}/.default`. For the public cloud that is
 * https://management.azure.com/.default; sovereign clouds (management.usgovcloudapi.net,
 * management.chinacloudapi.cn) accept their own ARM origin as audience, so one rule serves every cloud.
 */
export function armScopeFor(endpoint: string): string {
  return `${new URL(endpoint).origin}/.default`;
}

/** Resolves endpoint, credential, CA and retry options from config (the CA file is read here, once). */
export function createArmConnection(config: Config, deps: ArmClientDeps = {}): ArmConnection {
  const endpoint = new URL(config.PORT25_ARM_ENDPOINT).origin;
  let caPem = deps.caPem;
  if (caPem === undefined && config.PORT25_ARM_CA_FILE !== undefined) {
    try {
      caPem = readFileSync(config.PORT25_ARM_CA_FILE, "utf8");
    } catch (e) {
      throw new ConfigError([{ path: "PORT25_ARM_CA_FILE", message: `cannot be read: ${ensureError(e).message}` }], e);
    }
  }
  return {
    endpoint,
    scope: armScopeFor(endpoint),
    credential: deps.credential ?? credentialFromConfig(config),
    caPem,
    retry: { ...DEFAULT_ARM_RETRY, ...deps.retry },
  };
}

/** A static bearer token (config only allows it for a loopback endpoint) or DefaultAzureCredential. */
export function credentialFromConfig(config: Config): TokenCredential {
  const staticToken = config.PORT25_ARM_STATIC_TOKEN;
  if (staticToken !== undefined) {
    return {
      getToken: () => Promise.resolve({ token: staticToken, expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
  }
  return config.AZURE_CLIENT_ID === undefined
    ? new DefaultAzureCredential()
    : new DefaultAzureCredential({ managedIdentityClientId: config.AZURE_CLIENT_ID });
}

/** Retry strategy for transient failures only; see ArmRetryOptions. */
function transientRetryStrategy(options: ArmRetryOptions): RetryStrategy {
  return {
    name: "port25TransientRetryStrategy",
    retry({ retryCount, response, responseError }) {
      const transient =
        response !== undefined
          ? isTransientStatus(response) && !hasRetryAfter(response)
          : responseError !== undefined && isSocketFailure(responseError.code);
      if (!transient) return { skipStrategy: true };
      const ceiling = Math.min(options.maxRetryDelayInMs, options.retryDelayInMs * 2 ** retryCount);
      return { retryAfterInMs: Math.round(ceiling / 2 + (Math.random() * ceiling) / 2) };
    },
  };
}

function transientRetryPolicy(options: ArmRetryOptions): PipelinePolicy {
  const inner = retryPolicy([transientRetryStrategy(options)], { maxRetries: options.maxRetries });
  return { name: TRANSIENT_RETRY_POLICY_NAME, sendRequest: (request, next) => inner.sendRequest(request, next) };
}

/**
 * Replaces the SDK's default retry policy (which sleeps on 429 Retry-After) with the transient-only one, and reads
 * the rate-limit headers of every response (retries included) for pacing (pacing.ts).
 */
function useTransientRetries(pipeline: Pipeline, options: ArmRetryOptions): void {
  pipeline.removePolicy({ name: DEFAULT_RETRY_POLICY_NAME });
  pipeline.removePolicy({ name: TRANSIENT_RETRY_POLICY_NAME });
  pipeline.removePolicy({ name: PACING_POLICY_NAME });
  pipeline.addPolicy(transientRetryPolicy(options), { phase: "Retry" });
  pipeline.addPolicy(pacingPolicy(), { afterPhase: "Retry" });
}

function isTransientStatus(response: PipelineResponse): boolean {
  const s = response.status;
  return s === 408 || (s >= 500 && s !== 501 && s !== 505);
}

function hasRetryAfter(response: PipelineResponse): boolean {
  return ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"].some((h) => response.headers.get(h) !== undefined);
}

/** The SDK clients of one connection, built lazily and cached per subscription. */
export class ArmClients implements ArmClientSet {
  readonly connection: ArmConnection;
  private readonly computeClients = new Map<string, ComputeManagementClient>();
  private readonly networkClients = new Map<string, NetworkManagementClient>();
  private readonly resourceClients = new Map<string, ResourceManagementClient>();
  private subscriptionClient: SubscriptionClient | undefined;
  private managementGroupsClient: ManagementGroupsAPI | undefined;
  private genericClient: ServiceClient | undefined;

  constructor(connection: ArmConnection) {
    this.connection = connection;
  }

  /**
   * Options every client takes. A configured CA replaces Node's roots rather than joining them: the clients
   * talk to the one ARM endpoint that CA signs, and Node's agent builds every request's connection key from the
   * whole CA list, which with the ~140 public roots costs more CPU than anything else in a large run.
   */
  private commonOptions(): { tlsOptions?: { ca: string[] } } {
    const { caPem } = this.connection;
    return caPem === undefined ? {} : { tlsOptions: { ca: [caPem] } };
  }

  /** Options of the classic (core-client) clients: `endpoint` routes requests, `$host` fills path templates. */
  private classicOptions(): {
    endpoint: string;
    $host: string;
    credentialScopes: string[];
    tlsOptions?: { ca: string[] };
  } {
    const { endpoint, scope } = this.connection;
    return { ...this.commonOptions(), endpoint, $host: endpoint, credentialScopes: [scope] };
  }

  compute(subscriptionId: string): ComputeManagementClient {
    return cached(this.computeClients, subscriptionId, () => {
      const { credential, endpoint, scope, retry } = this.connection;
      const client = new ComputeManagementClient(credential, subscriptionId, {
        ...this.commonOptions(),
        endpoint,
        credentials: { scopes: [scope] },
      });
      useTransientRetries(client.pipeline, retry);
      return client;
    });
  }

  network(subscriptionId: string): NetworkManagementClient {
    return cached(this.networkClients, subscriptionId, () => {
      const client = new NetworkManagementClient(this.connection.credential, subscriptionId, this.classicOptions());
      useTransientRetries(client.pipeline, this.connection.retry);
      return client;
    });
  }

  resources(subscriptionId: string): ResourceManagementClient {
    return cached(this.resourceClients, subscriptionId, () => {
      const client = new ResourceManagementClient(this.connection.credential, subscriptionId, this.classicOptions());
      useTransientRetries(client.pipeline, this.connection.retry);
      return client;
    });
  }

  subscriptions(): SubscriptionClient {
    if (this.subscriptionClient === undefined) {
      const client = new SubscriptionClient(this.connection.credential, this.classicOptions());
      useTransientRetries(client.pipeline, this.connection.retry);
      this.subscriptionClient = client;
    }
    return this.subscriptionClient;
  }

  managementGroups(): ManagementGroupsAPI {
    if (this.managementGroupsClient === undefined) {
      const client = new ManagementGroupsAPI(this.connection.credential, this.classicOptions());
      useTransientRetries(client.pipeline, this.connection.retry);
      this.managementGroupsClient = client;
    }
    return this.managementGroupsClient;
  }

  /** A bare authenticated client for REST calls no SDK covers (billing property, operation-status URLs). */
  generic(): ServiceClient {
    if (this.genericClient === undefined) {
      const { credential, endpoint, scope, retry } = this.connection;
      const client = new ServiceClient({
        ...this.commonOptions(),
        endpoint,
        credential,
        credentialScopes: [scope],
        userAgentOptions: { userAgentPrefix: "port25-remediation" },
      });
      useTransientRetries(client.pipeline, retry);
      this.genericClient = client;
    }
    return this.genericClient;
  }
}

function cached<T>(map: Map<string, T>, key: string, make: () => T): T {
  const k = key.toLowerCase();
  let value = map.get(k);
  if (value === undefined) {
    value = make();
    map.set(k, value);
  }
  return value;
}

/** Builds a gateway for `config`: each caller builds its own and hands it to what needs it. */
export function createArmGateway(config: Config, deps: ArmClientDeps = {}): ArmGateway {
  return new ArmGatewayImpl(new ArmClients(createArmConnection(config, deps)));
}
