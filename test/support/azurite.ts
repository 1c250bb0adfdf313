/** Tests start their own Azurite through the product's launcher (free ports, in-memory, no telemetry). */
export { startAzurite, type LocalAzurite, type StartAzuriteOptions } from "../../src/audit/localAzurite";
