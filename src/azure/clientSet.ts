/**
 * What the ARM gateway needs from the clients it drives (src/azure/clients.ts builds them): a module of its own so
 * that the gateway and the client factory, which builds a gateway, need not import each other.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { ServiceClient } from "@azure/core-client";
import type { ComputeManagementClient } from "@azure/arm-compute";
import type { NetworkManagementClient } from "@azure/arm-network";
import type { ResourceManagementClient } from "@azure/arm-resources";
import type { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import type { ManagementGroupsAPI } from "@azure/arm-managementgroups";

/** In-SDK retry options; see DEFAULT_ARM_RETRY and transientRetryStrategy in src/azure/clients.ts. */
export interface ArmRetryOptions {
  /** Retries after the first attempt (0 disables in-SDK retries). */
  maxRetries: number;
  /** Delay before the first retry; doubles per retry, with jitter in [½, 1]. */
  retryDelayInMs: number;
  maxRetryDelayInMs: number;
}

/** Everything every client needs, resolved once from config. */
export interface ArmConnection {
  /** ARM origin without a trailing slash, e.g. https://management.azure.com. */
  endpoint: string;
  /** AAD scope of ARM tokens for that endpoint. */
  scope: string;
  credential: TokenCredential;
  /** The CA (PEM) that signs the ARM endpoint's certificate, trusted instead of Node's roots, when configured. */
  caPem: string | undefined;
  retry: ArmRetryOptions;
}

/** The SDK clients of one connection, per subscription where the SDK binds one. */
export interface ArmClientSet {
  readonly connection: ArmConnection;
  compute(subscriptionId: string): ComputeManagementClient;
  network(subscriptionId: string): NetworkManagementClient;
  resources(subscriptionId: string): ResourceManagementClient;
  subscriptions(): SubscriptionClient;
  /** The Management Groups API (tenant level: a management group's descendants). */
  managementGroups(): ManagementGroupsAPI;
  /** A bare authenticated client for REST calls no SDK covers (billing property, operation-status URLs). */
  generic(): ServiceClient;
}
