/** Errors of the local durable host, carrying the HTTP status the Durable client API would answer with. */
import { Port25Error } from "../errors";

export type DurableHostErrorCode =
  | "InstanceNotFound"
  | "InstanceGone"
  | "InstanceExists"
  | "FunctionNotFound"
  | "NoRegistrations"
  | "HostClosed"
  | "BadRequest"
  | "NotSupported"
  /** Another live process (or host) holds the state directory. */
  | "StateInUse"
  /** A file in the state directory cannot be read back; it is left as it is. */
  | "StateCorrupt";

export class DurableHostError extends Port25Error {
  override readonly name = "DurableHostError";
  readonly statusCode: number;
  constructor(message: string, options: { code: DurableHostErrorCode; statusCode: number; cause?: unknown }) {
    super(message, { code: options.code, cause: options.cause });
    this.statusCode = options.statusCode;
  }
}

export function isDurableHostError(e: unknown): e is DurableHostError {
  return e instanceof DurableHostError;
}
