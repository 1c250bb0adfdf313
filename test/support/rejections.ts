/** What a call that must fail failed with, for the tests of how a call is refused. */
import { isAzureOperationError, type AzureOperationError } from "../../src/errors";

/** The reason `p` rejected with; an error when it resolves instead. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

/** The AzureOperationError `p` rejected with; any other reason is rethrown, and resolving is an error. */
export async function azureFailure(p: Promise<unknown>): Promise<AzureOperationError> {
  const e = await rejection(p);
  if (isAzureOperationError(e)) return e;
  throw e;
}
