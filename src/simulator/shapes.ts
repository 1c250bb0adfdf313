/**
 * Where ARM's published contract allows several answers to one request (synchronous or asynchronous, `Location` or
 * `Azure-AsyncOperation`, the spec's or the CLI's words for a connectivity result), the simulator picks among them
 * per request, seeded, so that no caller can come to rely on the convenient one. A scenario can pin one for a test.
 */
import { z } from "zod";
import type { Rng } from "./rng";

/**
 * - `synchronous`: 200/201/204, finished (a PUT may still show `Updating` and name nothing to poll);
 * - `location`: 202 with a lower-case `location` header only, as the compute examples show;
 * - `resourceLocation`: a subnet DELETE whose `location` is the subnet's own URL (404 there = deleted);
 * - `azureAsyncOperation`: 202 with `azure-asyncoperation` only;
 * - `azureAsyncOperationAndLocation`: 202 with both.
 */
export const LRO_SHAPES = [
  "synchronous",
  "location",
  "resourceLocation",
  "azureAsyncOperation",
  "azureAsyncOperationAndLocation",
] as const;
export type LroShape = (typeof LRO_SHAPES)[number];

/** The shape every operation can take, used when a pinned shape is one the operation cannot. */
const FALLBACK: LroShape = "azureAsyncOperationAndLocation";

/** `connectionStatus` of a connectivity check: the REST spec's Connected/Disconnected or the CLI docs' Reachable/Unreachable. */
const CONNECTION_VOCABULARIES = ["spec", "cli"] as const;
type ConnectionVocabulary = (typeof CONNECTION_VOCABULARIES)[number];

export const ResponseShapesSchema = z
  .object({
    /** "varied" (default): each long-running operation's first answer drawn among the shapes it allows. */
    lro: z.enum(["varied", ...LRO_SHAPES]).default("varied"),
    /** "varied" (default): each connectivity result in one vocabulary or the other. */
    connectionStatus: z.enum(["varied", ...CONNECTION_VOCABULARIES]).default("varied"),
  })
  .strict();
export type ResponseShapes = z.output<typeof ResponseShapesSchema>;

export class ShapePicker {
  constructor(
    private readonly rng: Rng,
    private readonly settings: ResponseShapes,
  ) {}

  /** One of `allowed` (the shapes this answer may take): the pinned one when allowed, else a seeded draw. */
  lro(allowed: readonly LroShape[]): LroShape {
    const pinned = this.settings.lro;
    if (pinned !== "varied") return allowed.includes(pinned) ? pinned : FALLBACK;
    return allowed[this.rng.int(allowed.length)] ?? FALLBACK;
  }

  connectionVocabulary(): ConnectionVocabulary {
    const pinned = this.settings.connectionStatus;
    if (pinned !== "varied") return pinned;
    return this.rng.next() < 0.5 ? "spec" : "cli";
  }
}
