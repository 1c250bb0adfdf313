/** An ARM-shaped HTTP error the simulator answers with: status, `{error:{code,message,details?}}` and extra headers. */
export class ArmHttpError extends Error {
  override readonly name = "ArmHttpError";
  /**
   * Services whose definition gives a flat `{code, message}` error (the Activity Log's ErrorResponse) answer that
   * way instead of ARM's `{error: {…}}`; clients must read both.
   */
  flat = false;
  /** ARM's `target` (e.g. the resource a policy denied). */
  target: string | undefined = undefined;
  /** ARM's `additionalInfo[]` (e.g. a policy violation's assignment and definition). */
  additionalInfo: readonly { type: string; info: unknown }[] = [];
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details: readonly { code: string; message: string; target?: string }[] = [],
  ) {
    super(message);
  }

  body():
    | {
        error: {
          code: string;
          message: string;
          target?: string | undefined;
          details?: { code: string; message: string; target?: string }[];
          additionalInfo?: { type: string; info: unknown }[];
        };
      }
    | { code: string; message: string } {
    if (this.flat) return { code: this.code, message: this.message };
    return {
      error: {
        code: this.code,
        message: this.message,
        target: this.target,
        ...(this.details.length > 0 ? { details: [...this.details] } : {}),
        ...(this.additionalInfo.length > 0 ? { additionalInfo: [...this.additionalInfo] } : {}),
      },
    };
  }
}
