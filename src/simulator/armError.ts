/** An ARM-shaped HTTP error the simulator answers with: status, `{error:{code,message}}` and extra headers. */
export class ArmHttpError extends Error {
  override readonly name = "ArmHttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}
