/**
 * The product end to end in one process, as the tests use it: src/cli/localStack.ts (the simulator and the durable
 * host on one virtual clock, the gateway pointed at the simulator over HTTPS, the product's orchestrations and
 * activities imported), with a fixed attestation and run ids derived from the virtual clock.
 */
import type { RemediationInput, RemediationResult } from "../../src/contracts/remediation";
import { appModules } from "../../src/cli/localApp";
import {
  startLocalStack,
  type LocalStack,
  type LocalStackOptions,
  type StartOptions as StackStartOptions,
} from "../../src/cli/localStack";

export { appModules };

export type ProductHostOptions = LocalStackOptions;
export type StartOptions = Pick<StackStartOptions, "mode" | "requireApproval" | "options" | "probeHost" | "runId">;
export type ProductHost = Omit<LocalStack, "start"> & { start(opts?: StartOptions): RemediationInput };

/** The exemption approval every test run attests to (the demo scenario's exemption took effect then). */
export const TEST_ATTESTATION = {
  reference: "REQ-25-0001",
  approvedBy: "ops@contoso.example",
  approvedAt: "2026-03-02T09:00:00Z",
};

export async function startProductHost(opts: ProductHostOptions): Promise<ProductHost> {
  const stack = await startLocalStack(opts);
  const baseStart = stack.start.bind(stack);
  return Object.assign(stack, {
    start: (o: StartOptions = {}): RemediationInput =>
      baseStart({
        ...o,
        attestation: TEST_ATTESTATION,
        requestedBy: "e2e",
        runId: o.runId ?? `run-${stack.host.clock.now()}`,
      }),
  });
}

/** Starts the product on a scenario, runs one remediation to the end and returns it (the caller closes). */
export async function runRemediation(
  opts: ProductHostOptions & StartOptions,
): Promise<{ product: ProductHost; result: RemediationResult; input: RemediationInput }> {
  const product = await startProductHost(opts);
  try {
    const input = product.start(opts);
    await product.run();
    return { product, result: product.result(), input };
  } catch (e) {
    await product.close();
    throw e;
  }
}
