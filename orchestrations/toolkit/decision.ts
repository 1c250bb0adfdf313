/**
 * What a subscription's classification decides for its run (docs/architecture.md, "Classification (step 1)"):
 * blocked and not exemptible → refused; not blocked → nothing to do; unknown → refused unless the run's options
 * force unknown billing; blocked and exemptible → the run goes on. One rule for a run and for a campaign's lane.
 */
import type { Classification } from "../../src/contracts/classification";

export type ClassificationDecision =
  /** Left alone: not exemptible, or not known to be. */
  | "refuse"
  /** Port 25 is not blocked: nothing to do. */
  | "nothingToDo"
  /** The run goes on. */
  | "proceed"
  /** The run goes on although the billing could not be classified, because the options say so (a warning). */
  | "proceedForced";

export function classificationDecision(
  c: Pick<Classification, "category">,
  forceUnknownBilling: boolean,
): ClassificationDecision {
  switch (c.category) {
    case "blockedNotExemptible":
      return "refuse";
    case "notBlocked":
      return "nothingToDo";
    case "unknown":
      return forceUnknownBilling ? "proceedForced" : "refuse";
    case "exemptible":
      return "proceed";
  }
}
