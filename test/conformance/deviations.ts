/** Where Azure's wire form departs from its own OpenAPI definition, each with its source. */
import type { KnownDeviation } from "./openapi";

/**
 * Where Azure's wire form is documented to depart from its own definition. Each entry cites its source; nothing
 * else is excused.
 */
export const KNOWN_DEVIATIONS: readonly KnownDeviation[] = [
  {
    // VirtualMachineExtension allOf TrackedResource requires `location`, but VM list/get responses carry a VM's
    // extensions as `{ "id": … }` only (docs/architecture.md, "Azure's answers"; Azure/azure-sdk-for-net#13378; `az vm list`).
    path: /\.resources\[\d+\]$/,
    kind: "missingRequired",
    property: "location",
    reason: "VM child extension resources are ids only in VM responses",
  },
];
