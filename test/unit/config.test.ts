import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { type ConfigError, isConfigError } from "../../src/errors";

describe("parseConfig", () => {
  it("fills defaults for an empty environment", () => {
    const cfg = parseConfig({});
    expect(cfg.PORT25_ARM_ENDPOINT).toBe("https://management.azure.com");
    expect(cfg.PORT25_AUTO_REMEDIATE).toBe(false);
    expect(cfg.PORT25_AUDIT_TABLE_PREFIX).toBe("port25");
  });

  it("lists every bad key in one error", () => {
    let caught: unknown;
    try {
      parseConfig({ PORT25_ARM_ENDPOINT: "ftp://x", PORT25_AUTO_REMEDIATE: "maybe", PORT25_REVERIFY_SCHEDULE: "* *" });
    } catch (e) {
      caught = e;
    }
    expect(isConfigError(caught)).toBe(true);
    const keys = (caught as ConfigError).issues.map((i) => i.path).sort();
    expect(keys).toEqual(["PORT25_ARM_ENDPOINT", "PORT25_AUTO_REMEDIATE", "PORT25_REVERIFY_SCHEDULE"]);
  });

  it("refuses a static token for a non-loopback ARM endpoint", () => {
    expect(() => parseConfig({ PORT25_ARM_STATIC_TOKEN: "t" })).toThrow(/PORT25_ARM_STATIC_TOKEN/);
    expect(parseConfig({ PORT25_ARM_STATIC_TOKEN: "t", PORT25_ARM_ENDPOINT: "https://127.0.0.1:4443" }).PORT25_ARM_STATIC_TOKEN).toBe("t");
  });
});
