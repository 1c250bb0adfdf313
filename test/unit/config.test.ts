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
    expect(
      parseConfig({ PORT25_ARM_STATIC_TOKEN: "t", PORT25_ARM_ENDPOINT: "https://127.0.0.1:4443" })
        .PORT25_ARM_STATIC_TOKEN,
    ).toBe("t");
  });
});

describe("notification settings", () => {
  const SECRET = "https://hooks.example.net/services/T0KEN-abc";

  it("reads webhooks as a JSON array or a list separated by spaces or commas, none by default", () => {
    expect(parseConfig({}).PORT25_NOTIFY_WEBHOOKS).toEqual([]);
    expect(
      parseConfig({ PORT25_NOTIFY_WEBHOOKS: JSON.stringify([SECRET, "https://b.example.net/x"]) })
        .PORT25_NOTIFY_WEBHOOKS,
    ).toEqual([SECRET, "https://b.example.net/x"]);
    expect(
      parseConfig({ PORT25_NOTIFY_WEBHOOKS: `${SECRET}, http://127.0.0.1:8025/hook` }).PORT25_NOTIFY_WEBHOOKS,
    ).toEqual([SECRET, "http://127.0.0.1:8025/hook"]);
    expect(parseConfig({}).PORT25_NOTIFY_FORMAT).toBe("json");
  });

  it.each([
    ["plain http to another host", "http://hooks.example.net/T0KEN-abc"],
    ["not a URL", "T0KEN-abc"],
    ["a JSON array of something else", '[{"url":"https://hooks.example.net/T0KEN-abc"}]'],
  ])("refuses %s, without quoting the value (it is a secret)", (_what, value) => {
    let caught: unknown;
    try {
      parseConfig({ PORT25_NOTIFY_WEBHOOKS: value });
    } catch (e) {
      caught = e;
    }
    expect(isConfigError(caught)).toBe(true);
    const error = caught as ConfigError;
    expect(error.issues.map((i) => i.path)[0]).toMatch(/^PORT25_NOTIFY_WEBHOOKS/);
    expect(JSON.stringify(error.issues) + error.message).not.toContain("T0KEN");
  });

  it("refuses an unknown format", () => {
    expect(() => parseConfig({ PORT25_NOTIFY_FORMAT: "xml" })).toThrow(/PORT25_NOTIFY_FORMAT/);
  });
});
