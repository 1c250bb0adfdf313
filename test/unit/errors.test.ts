import { describe, expect, it } from "vitest";
import { ensureError } from "../../src/errors";

const SECRET = "DefaultEndpointsProtocol=https;AccountName=p25;AccountKey=c2VjcmV0LWtleQ==";

describe("ensureError", () => {
  it("returns an Error as it is", () => {
    const err = new TypeError("boom");
    expect(ensureError(err)).toBe(err);
  });

  it.each([
    ["string", SECRET],
    ["object", { connectionString: SECRET }],
    ["array", [SECRET]],
    ["number", 42],
    ["null", null],
    ["undefined", undefined],
    ["object (Headers)", new Headers({ authorization: `Bearer ${SECRET}` })],
  ])("turns a thrown %s into a message that names its type and withholds its content", (type, value) => {
    const err = ensureError(value);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`A non-Error value was thrown (${type}); its content is withheld`);
    expect(JSON.stringify({ message: err.message, stack: err.stack, cause: err.cause })).not.toContain("AccountKey");
  });
});
