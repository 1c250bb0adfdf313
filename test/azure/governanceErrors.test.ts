/** ARM's answers for a management lock and a policy deny, as the product reads them: final, each with its own reason. */
import { describe, expect, it } from "vitest";
import { toArmFailure } from "../../activities/armFailure";
import { armErrorFromBody, isRetryableArm, policyDenialMessage } from "../../src/azure/errors";
import { governanceReason, lockedScopesOf, lockManualAction } from "../../src/contracts/outcome";
import { AzureOperationError } from "../../src/errors";

const SCOPE_LOCKED =
  "The scope '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/t' cannot perform delete operation because following scope(s) are locked: '/subscriptions/s/resourceGroups/rg'. Please remove the lock and try again.";

describe("ScopeLocked", () => {
  it("is final: failed, not a conflict to wait out (another 409 still is)", () => {
    const locked = new AzureOperationError("deleteSubnet", SCOPE_LOCKED, {
      code: "ScopeLocked",
      statusCode: 409,
      retryable: isRetryableArm(409, "ScopeLocked"),
    });
    expect(locked.retryable).toBe(false);
    expect(toArmFailure(locked)).toMatchObject({ status: "failed", code: "ScopeLocked", statusCode: 409 });
    const busy = new AzureOperationError("deleteSubnet", "busy", {
      code: "AnotherOperationInProgress",
      statusCode: 409,
      retryable: true,
    });
    expect(toArmFailure(busy).status).toBe("conflict");
    expect(governanceReason("ScopeLocked")).toBe("resourceLocked");
  });

  it("names the locked scopes ARM gives, and the manual action points at them", () => {
    expect(lockedScopesOf(SCOPE_LOCKED)).toEqual(["/subscriptions/s/resourceGroups/rg"]);
    expect(
      lockedScopesOf(
        "… following scope(s) are locked: '/subscriptions/s','/subscriptions/s/resourceGroups/rg'. Please remove the lock and try again.",
      ),
    ).toEqual(["/subscriptions/s", "/subscriptions/s/resourceGroups/rg"]);
    const action = lockManualAction(SCOPE_LOCKED, "deleting t");
    expect(action).toContain("on /subscriptions/s/resourceGroups/rg refuses deleting t");
    expect(action).toContain(
      "starts_with(id, '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/locks/')",
    );
    expect(action).toContain("az lock delete --ids");
  });
});

describe("RequestDisallowedByPolicy", () => {
  const body = {
    error: {
      code: "RequestDisallowedByPolicy",
      target: "port25-tmp",
      message: "Resource 'port25-tmp' was disallowed by policy. Policy identifiers: '[…]'.",
      additionalInfo: [
        {
          type: "PolicyViolation",
          info: {
            policyDefinitionDisplayName: "Subnets should have a Network Security Group",
            policyDefinitionId:
              "/providers/Microsoft.Management/managementGroups/alz/providers/Microsoft.Authorization/policyDefinitions/Deny-Subnet-Without-Nsg",
            policyAssignmentName: "Deny-Subnet-Without-Nsg",
            policyAssignmentDisplayName: "Subnets should have a Network Security Group",
            policyAssignmentId:
              "/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyAssignments/Deny-Subnet-Without-Nsg",
          },
        },
      ],
    },
  };

  it("names the assignment and definition from additionalInfo", () => {
    const read = armErrorFromBody(JSON.stringify(body));
    expect(read.policy).toEqual([
      {
        assignmentName: "Deny-Subnet-Without-Nsg",
        assignmentDisplayName: "Subnets should have a Network Security Group",
        assignmentId:
          "/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyAssignments/Deny-Subnet-Without-Nsg",
        definitionDisplayName: "Subnets should have a Network Security Group",
        definitionId:
          "/providers/Microsoft.Management/managementGroups/alz/providers/Microsoft.Authorization/policyDefinitions/Deny-Subnet-Without-Nsg",
      },
    ]);
    expect(policyDenialMessage(read.message, read.policy ?? [])).toBe(
      "denied by Azure Policy: policy assignment 'Subnets should have a Network Security Group' (Deny-Subnet-Without-Nsg) [/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyAssignments/Deny-Subnet-Without-Nsg], definition 'Subnets should have a Network Security Group'",
    );
  });

  it("keeps ARM's message when the body carries no PolicyViolation, and is final (a 403)", () => {
    expect(policyDenialMessage("Resource 'x' was disallowed by policy.", [])).toBe(
      "Resource 'x' was disallowed by policy.",
    );
    const denied = new AzureOperationError("createSubnet", "denied", {
      code: "RequestDisallowedByPolicy",
      statusCode: 403,
      retryable: isRetryableArm(403, "RequestDisallowedByPolicy"),
    });
    expect(toArmFailure(denied).status).toBe("failed");
    expect(governanceReason("RequestDisallowedByPolicy")).toBe("deniedByPolicy");
  });
});
