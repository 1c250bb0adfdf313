/**
 * Discovery under ARM's read budget: the VM listing is read a few pages per activity; a 429 mid-listing ends the
 * activity with the pages read, and the run waits ARM's Retry-After on a durable timer and continues from the page
 * ARM refused, never from the first page again. Every VM is discovered, and no page is read twice except those
 * ARM turned away.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runRemediation, type ProductHost } from "../support/productHost";
import { checkInvariants } from "../support/invariants";
import { VM_LIST_PAGE_SIZE } from "../../src/simulator/routeKit";
import { fleet, scenario } from "./scenarios";

const open: ProductHost[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

describe("discovery when ARM throttles the VM listing mid-way", () => {
  it("continues from the refused page after Retry-After and discovers every VM", async () => {
    const vms = fleet(200);
    const { product, result } = await runRemediation({
      scenario: scenario({
        vms,
        // ARM refuses some of the listing's pages (seeded), each with a Retry-After.
        behaviour: {
          faults: [
            {
              kind: "throttleStorm",
              match: { operation: "listVms" },
              probability: 0.4,
              count: 3,
              retryAfterSeconds: 20,
            },
          ],
        },
      }),
      options: { maxConcurrency: 200 },
    });
    open.push(product);
    expect(checkInvariants(product.sim, result, product.scenario)).toEqual([]);
    expect(result.summary.status).toBe("completed");
    expect(result.summary.counts).toMatchObject({ cycled: vms.length, failed: 0, leftDown: 0 });

    // Discovery's requests: everything before the canary's extensions are read.
    const log = product.sim.requestLog();
    const canaryRead = log.findIndex((e) => e.operation === "listVmExtensions");
    expect(canaryRead).toBeGreaterThan(0);
    const listings = log.slice(0, canaryRead).filter((e) => e.operation === "listVms");
    const read = listings.filter((e) => e.status === 200);
    const refused = listings.filter((e) => e.status === 429);
    // Model and statusOnly listings, each page read once.
    expect(read).toHaveLength(2 * Math.ceil(vms.length / VM_LIST_PAGE_SIZE));
    expect(refused.length).toBeGreaterThan(0);
    expect(listings.length).toBe(read.length + refused.length);
    // Throttled mid-listing: a page was refused after an earlier page had been read.
    const firstRead = listings.findIndex((e) => e.status === 200);
    expect(listings.slice(firstRead + 1).some((e) => e.status === 429)).toBe(true);
  });
});
