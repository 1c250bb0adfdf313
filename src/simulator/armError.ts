/** An ARM-shaped HTTP error the simulator answers with: status, `{error:{code,message,details?}}` and extra headers. */
export class ArmHttpError extends Error {
  override readonly name = "ArmHttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details: readonly { code: string; message: string; target?: string }[] = [],
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string; details?: { code: string; message: string; target?: string }[] } } {
    return { error: { code: this.code, message: this.message, ...(this.details.length > 0 ? { details: [...this.details] } : {}) } };
  }
}
