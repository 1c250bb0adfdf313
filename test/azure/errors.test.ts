import { createHttpHeaders, createPipelineRequest, RestError, type PipelineResponse } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { AzureOperationError, ValidationError } from "../../src/errors";
import {
  armErrorFromBody,
  isBusyFailure,
  isRetryableArm,
  retryAfterSecondsFrom,
  toAzureOperationError,
} from "../../src/azure/errors";

function restError(status: number, body: unknown, headers: Record<string, string> = {}, code?: string): RestError {
  const request = createPipelineRequest({ url: "https://management.azure.com/x" });
  const response: PipelineResponse = {
    request,
    status,
    headers: createHttpHeaders(headers),
    bodyAsText: typeof body === "string" ? body : JSON.stringify(body),
  };
  return new RestError(`status ${status}`, {
    statusCode: status,
    response,
    request,
    ...(code === undefined ? {} : { code }),
  });
}

describe("toAzureOperationError", () => {
  it("takes ARM's error code and message from the body and keeps the status", () => {
    const e = toAzureOperationError(
      "createSubnet",
      restError(400, { error: { code: "NetcfgSubnetRangesOverlap", message: "overlaps" } }),
    );
    expect(e).toBeInstanceOf(AzureOperationError);
    expect(e.code).toBe("NetcfgSubnetRangesOverlap");
    expect(e.statusCode).toBe(400);
    expect(e.retryable).toBe(false);
    expect(e.message).toBe("createSubnet failed: overlaps");
    expect(e.operation).toBe("createSubnet");
  });

  it("marks a 429 retryable with its Retry-After in seconds", () => {
    const e = toAzureOperationError(
      "listVms",
      restError(429, { error: { code: "TooManyRequests", message: "slow down" } }, { "retry-after": "17" }),
    );
    expect(e).toMatchObject({ retryable: true, statusCode: 429, retryAfterSeconds: 17, code: "TooManyRequests" });
  });

  it("marks a 409 AnotherOperationInProgress retryable but a plain 409 conflict not", () => {
    expect(
      toAzureOperationError("op", restError(409, { error: { code: "AnotherOperationInProgress", message: "busy" } }))
        .retryable,
    ).toBe(true);
    expect(toAzureOperationError("op", restError(409, { error: { code: "Conflict", message: "no" } })).retryable).toBe(
      false,
    );
  });

  it("splits OperationNotAllowed: a quota, a policy or an unsupported operation is final, being busy is not", () => {
    const notAllowed = (message: string, details?: unknown[]) =>
      toAzureOperationError("startVm", restError(409, { error: { code: "OperationNotAllowed", message, details } }))
        .retryable;
    expect(
      notAllowed(
        "Operation could not be completed as it results in exceeding approved standardDSv3Family Cores quota. Additional details - Deployment Model: Resource Manager, Location: westeurope, Current Limit: 10, Current Usage: 10, Additional Required: 2, (Minimum) New Limit Required: 12.",
      ),
    ).toBe(false);
    expect(notAllowed("The operation was refused.", [{ code: "QuotaExceeded", message: "Cores quota" }])).toBe(false);
    expect(notAllowed("Resource 'vm1' was disallowed by policy.")).toBe(false);
    expect(
      notAllowed("Operation 'deallocate' is not supported for VM 'vm1' because it has an ephemeral OS disk."),
    ).toBe(false);
    expect(notAllowed("Operation 'start' is not allowed on VM 'vm1' since another operation is in progress.")).toBe(
      true,
    );
    expect(notAllowed("The operation is not allowed right now.")).toBe(true);
  });

  it("reads 429 RetryableError with RetryableErrorDueToAnotherOperation in details as retryable, keeping ARM's codes", () => {
    const body = {
      error: {
        code: "RetryableError",
        message: "A retryable error occurred.",
        details: [{ code: "RetryableErrorDueToAnotherOperation", message: "locked" }],
      },
    };
    expect(armErrorFromBody(JSON.stringify(body))).toEqual({
      code: "RetryableError",
      message: "A retryable error occurred.",
      details: [{ code: "RetryableErrorDueToAnotherOperation", message: "locked" }],
    });
    expect(toAzureOperationError("createSubnet", restError(409, body))).toMatchObject({
      code: "RetryableError",
      retryable: true,
    });
  });

  it("tells an operation lost to another one from a final failure", () => {
    expect(
      isBusyFailure("AnotherOperationInProgress", "Another operation on this or dependent resource is in progress."),
    ).toBe(true);
    expect(isBusyFailure("Failed", "x", [{ code: "RetryableErrorDueToAnotherOperation" }])).toBe(true);
    expect(isBusyFailure("InternalExecutionError", "The operation failed.")).toBe(false);
    expect(isBusyFailure("OperationNotAllowed", "exceeding approved Cores quota")).toBe(false);
  });

  it("marks RetryableErrorDueToAnotherOperation retryable whatever its status", () => {
    const e = toAzureOperationError(
      "op",
      restError(400, { error: { code: "RetryableErrorDueToAnotherOperation", message: "locked" } }),
    );
    expect(e.retryable).toBe(true);
  });

  it("marks 5xx and 408 retryable, but not 501 or 4xx", () => {
    expect(toAzureOperationError("op", restError(503, "")).retryable).toBe(true);
    expect(toAzureOperationError("op", restError(500, "")).retryable).toBe(true);
    expect(toAzureOperationError("op", restError(408, "")).retryable).toBe(true);
    expect(toAzureOperationError("op", restError(501, "")).retryable).toBe(false);
    expect(toAzureOperationError("op", restError(403, "")).retryable).toBe(false);
  });

  it("falls back to an HTTP-named code when the body carries none", () => {
    expect(toAzureOperationError("op", restError(404, "not json")).code).toBe("NotFound");
    expect(toAzureOperationError("op", restError(502, "")).code).toBe("Http502");
  });

  it("uses the SDK's parsed code when the body was consumed", () => {
    expect(toAzureOperationError("op", restError(409, "", {}, "Conflict")).code).toBe("Conflict");
  });

  it("treats socket errors without a response as retryable", () => {
    const err = new RestError("socket hang up", { code: "ECONNRESET" });
    const e = toAzureOperationError("op", err);
    expect(e).toMatchObject({ code: "ECONNRESET", retryable: true, statusCode: undefined });
  });

  it("passes an AzureOperationError through unchanged", () => {
    const original = new AzureOperationError("a", "b", { code: "X", retryable: true });
    expect(toAzureOperationError("other", original)).toBe(original);
  });

  it("reports a body that failed our schema as a non-retryable UnexpectedResponse", () => {
    const e = toAzureOperationError(
      "listVms",
      new ValidationError("virtual machine", [{ path: "id", message: "bad" }]),
    );
    expect(e).toMatchObject({ code: "UnexpectedResponse", retryable: false });
  });

  it("wraps unknown throwables without losing them", () => {
    const plain = toAzureOperationError("op", new Error("boom"));
    expect(plain).toMatchObject({ code: "Unknown", retryable: false });
    expect(plain.cause).toBeInstanceOf(Error);
    expect(toAzureOperationError("op", "text").code).toBe("Unknown");
  });
});

describe("retryAfterSecondsFrom", () => {
  const headers = (h: Record<string, string>) => createHttpHeaders(h);

  it("reads delta-seconds", () => {
    expect(retryAfterSecondsFrom(headers({ "retry-after": "30" }))).toBe(30);
  });

  it("prefers millisecond headers and rounds them up", () => {
    expect(retryAfterSecondsFrom(headers({ "retry-after-ms": "1500", "retry-after": "30" }))).toBe(2);
    expect(retryAfterSecondsFrom(headers({ "x-ms-retry-after-ms": "200" }))).toBe(1);
  });

  it("measures an HTTP date against the given now", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterSecondsFrom(headers({ "retry-after": "Thu, 01 Jan 2026 00:00:45 GMT" }), now)).toBe(45);
    expect(retryAfterSecondsFrom(headers({ "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" }), now)).toBe(0);
  });

  it("ignores absent or garbage values", () => {
    expect(retryAfterSecondsFrom(headers({}))).toBeUndefined();
    expect(retryAfterSecondsFrom(headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterSecondsFrom(undefined)).toBeUndefined();
  });
});

describe("isRetryableArm", () => {
  it("never retries a 400 with an ordinary code", () => {
    expect(isRetryableArm(400, "InvalidRequestFormat")).toBe(false);
  });
  it("retries DNS failures but not unknown client-side codes", () => {
    expect(isRetryableArm(undefined, "ENOTFOUND")).toBe(true);
    expect(isRetryableArm(undefined, "Aborted")).toBe(false);
  });
});

describe("wrapped failures", () => {
  const wrapped = (wrapper: string, inner: string) => ({
    error: {
      code: wrapper,
      message: "The resource operation completed with terminal provisioning state 'Failed'.",
      details: [{ code: inner, message: `Allocation failed (${inner}).` }],
    },
  });

  it.each([
    "AllocationFailed",
    "ZonalAllocationFailed",
    "OverconstrainedAllocationRequest",
    "OverconstrainedZonalAllocationRequest",
  ])("reads ResourceOperationFailure wrapping %s as that code, keeping the wrapper in the message", (inner) => {
    const body = armErrorFromBody(wrapped("ResourceOperationFailure", inner));
    expect(body.code).toBe(inner);
    expect(body.message).toContain("ResourceOperationFailure");
    const e = toAzureOperationError("startVm", restError(409, wrapped("ResourceDeploymentFailure", inner)));
    expect(e.code).toBe(inner);
    expect(e.retryable).toBe(false);
  });

  it("prefers the allocation code among several details, and leaves a wrapper with no detail code as it is", () => {
    const body = {
      error: {
        code: "ResourceDeploymentFailure",
        message: "failed",
        details: [
          { code: "Conflict", message: "x" },
          { code: "ZonalAllocationFailed", message: "y" },
        ],
      },
    };
    expect(armErrorFromBody(body).code).toBe("ZonalAllocationFailed");
    expect(armErrorFromBody({ error: { code: "ResourceOperationFailure", message: "failed" } }).code).toBe(
      "ResourceOperationFailure",
    );
    expect(armErrorFromBody({ error: { code: "AllocationFailed", message: "plain" } })).toEqual({
      code: "AllocationFailed",
      message: "plain",
    });
  });
});
