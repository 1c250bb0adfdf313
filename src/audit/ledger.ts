/**
 * The audit's hash chains: every final audit record (a run's, a re-verification's, a campaign's, a refused action's)
 * gets one link in the chain of its subscription (or of campaigns, or of refusals), in the order the records were
 * written. A link holds the SHA-256 of the record as stored (a run's with its outcomes), the previous link's digest
 * and its own digest over both, so changing, removing or reordering a record, or a link, breaks the chain where it
 * happened. Whoever can rewrite the table can also rewrite a whole chain consistently: each link's digest is therefore
 * also written to Application Insights as it is made (`Port25Audit` trace lines, docs/deploy.md), a copy the audit
 * tables' writers cannot reach; `verify` reports every chain's head so the two can be compared.
 *
 * Table `<prefix>ledger`: partition = chain ("sub-<subscription id>", "campaigns", "refusals"), row = the sequence
 * number inverted (newest first, so the head is the first row of its partition).
 */
import { createHash } from "node:crypto";
import type { TableClient } from "@azure/data-tables";
import { z } from "zod";
import { PreconditionError, ensureError } from "../errors";
import { parseWith } from "../contracts/parse";

/** What a link vouches for: the record's table and keys. */
const AuditRecordRefSchema = z.object({
  table: z.enum(["runs", "reverify", "campaigns", "refusals"]),
  partitionKey: z.string(),
  rowKey: z.string(),
});
export type AuditRecordRef = z.output<typeof AuditRecordRefSchema>;

export const AuditLinkSchema = z.object({
  chain: z.string(),
  seq: z.number().int().min(1),
  kind: z.enum(["run", "reverification", "campaign", "refusal"]),
  ref: AuditRecordRefSchema,
  /** SHA-256 (hex) of the record as stored. */
  recordSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The previous link's digest; `genesis:<chain>` for the first. */
  prev: z.string(),
  /** SHA-256 over chain, seq, prev, kind, ref and recordSha256. */
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  /** When the record was written (the record's own time). */
  at: z.string(),
});
export type AuditLink = z.output<typeof AuditLinkSchema>;

const AuditProblemSchema = z.object({
  chain: z.string(),
  seq: z.number().int().optional(),
  ref: AuditRecordRefSchema.optional(),
  problem: z.enum(["recordChanged", "recordRemoved", "linkRemoved", "linkAltered", "reordered", "unchained"]),
  detail: z.string(),
});
type AuditProblem = z.output<typeof AuditProblemSchema>;

export const AuditVerificationSchema = z.object({
  ok: z.boolean(),
  chains: z.array(
    z.object({ chain: z.string(), links: z.number().int(), headSeq: z.number().int(), headDigest: z.string() }),
  ),
  records: z.number().int(),
  problems: z.array(AuditProblemSchema),
});
export type AuditVerification = z.output<typeof AuditVerificationSchema>;

export const CAMPAIGNS_CHAIN = "campaigns";
export const REFUSALS_CHAIN = "refusals";
export const subscriptionChain = (subscriptionId: string): string => `sub-${subscriptionId.toLowerCase()}`;

const SEQ_SPAN = 1_000_000_000_000;
const rowKeyOf = (seq: number): string => String(SEQ_SPAN - seq).padStart(13, "0");

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function linkDigest(l: Omit<AuditLink, "digest" | "at">): string {
  return sha256(
    [l.chain, String(l.seq), l.prev, l.kind, l.ref.table, l.ref.partitionKey, l.ref.rowKey, l.recordSha256].join("\n"),
  );
}

const genesis = (chain: string): string => `genesis:${chain}`;

function statusCodeOf(e: unknown): number | undefined {
  return typeof e === "object" && e !== null && "statusCode" in e && typeof e.statusCode === "number"
    ? e.statusCode
    : undefined;
}

const StoredLinkSchema = z.object({
  seq: z.number().int(),
  kind: AuditLinkSchema.shape.kind,
  table: AuditRecordRefSchema.shape.table,
  recordPartitionKey: z.string(),
  recordRowKey: z.string(),
  recordSha256: z.string(),
  prev: z.string(),
  digest: z.string(),
  at: z.string(),
});

function linkOf(chain: string, entity: Record<string, unknown>): AuditLink {
  const s = parseWith(StoredLinkSchema, entity, `audit chain link ${chain}`);
  return {
    chain,
    seq: s.seq,
    kind: s.kind,
    ref: { table: s.table, partitionKey: s.recordPartitionKey, rowKey: s.recordRowKey },
    recordSha256: s.recordSha256,
    prev: s.prev,
    digest: s.digest,
    at: s.at,
  };
}

/** A record the verification must find chained, and how to read it as it is stored now. */
export interface ChainedRecord {
  chain: string;
  ref: AuditRecordRef;
}

export class AuditLedger {
  constructor(private readonly table: TableClient) {}

  /**
   * Appends the record to its chain, once: a replayed write of the same record returns its existing link; the same
   * record with different content is refused. Concurrent appends to one chain settle by the table's insert rule (the
   * loser reads the new head and tries the next number).
   */
  async append(
    chain: string,
    kind: AuditLink["kind"],
    ref: AuditRecordRef,
    recordSha256: string,
    at: string,
  ): Promise<AuditLink> {
    const filter = `PartitionKey eq '${chain}' and table eq '${ref.table}' and recordPartitionKey eq '${ref.partitionKey}' and recordRowKey eq '${ref.rowKey}'`;
    for await (const existing of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const link = linkOf(chain, existing);
      if (link.recordSha256 === recordSha256) return link;
      throw new PreconditionError(
        `The audit chain ${chain} already vouches for a different ${ref.table} record ${ref.partitionKey}/${ref.rowKey}; audit records are never rewritten`,
        "AuditRecordConflict",
      );
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      const head = await this.head(chain);
      const base = { chain, seq: (head?.seq ?? 0) + 1, kind, ref, recordSha256, prev: head?.digest ?? genesis(chain) };
      const link: AuditLink = { ...base, digest: linkDigest(base), at };
      try {
        await this.table.createEntity({
          partitionKey: chain,
          rowKey: rowKeyOf(link.seq),
          seq: link.seq,
          kind,
          table: ref.table,
          recordPartitionKey: ref.partitionKey,
          recordRowKey: ref.rowKey,
          recordSha256,
          prev: link.prev,
          digest: link.digest,
          at,
        });
        return link;
      } catch (e) {
        if (statusCodeOf(e) !== 409) throw ensureError(e);
      }
    }
    throw new PreconditionError(
      `The audit chain ${chain} kept moving while a record was being chained`,
      "AuditWriteContention",
    );
  }

  /** The newest link of a chain. */
  async head(chain: string): Promise<AuditLink | undefined> {
    const pages = this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${chain}'` } })
      .byPage({ maxPageSize: 1 });
    const first = await pages.next();
    const entity = first.done === true ? undefined : first.value[0];
    return entity === undefined ? undefined : linkOf(chain, entity);
  }

  /**
   * Checks every chain (or the one named): links numbered without gaps, each digest as recomputed, each link after
   * the one it names, each record present and hashing as vouched; and every record the caller lists is in a chain.
   */
  async verify(
    readRecord: (ref: AuditRecordRef) => Promise<string | undefined>,
    records: readonly ChainedRecord[],
    onlyChain?: string,
  ): Promise<AuditVerification> {
    const byChain = new Map<string, AuditLink[]>();
    const filter = onlyChain === undefined ? undefined : `PartitionKey eq '${onlyChain}'`;
    for await (const entity of this.table.listEntities<Record<string, unknown>>(
      filter === undefined ? {} : { queryOptions: { filter } },
    )) {
      const chain = String(entity.partitionKey);
      const list = byChain.get(chain) ?? [];
      list.push(linkOf(chain, entity));
      byChain.set(chain, list);
    }
    const problems: AuditProblem[] = [];
    const chains: AuditVerification["chains"] = [];
    const linked = new Set<string>();
    const key = (chain: string, ref: AuditRecordRef): string =>
      `${chain}|${ref.table}|${ref.partitionKey}|${ref.rowKey}`;
    for (const [chain, links] of [...byChain.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      links.sort((a, b) => a.seq - b.seq);
      let expected = 1;
      let prev = genesis(chain);
      for (const link of links) {
        linked.add(key(chain, link.ref));
        if (link.seq !== expected) {
          problems.push({
            chain,
            seq: expected,
            problem: "linkRemoved",
            detail: `links ${expected}–${link.seq - 1} are missing: the records they vouched for were removed from the chain`,
          });
        }
        const { digest, at: _at, ...rest } = link;
        if (linkDigest(rest) !== digest) {
          problems.push({
            chain,
            seq: link.seq,
            ref: link.ref,
            problem: "linkAltered",
            detail: "the link's digest does not match its content: the link was edited",
          });
        } else if (link.prev !== prev && link.seq === expected) {
          problems.push({
            chain,
            seq: link.seq,
            ref: link.ref,
            problem: "reordered",
            detail: "the link does not follow the one before it: links or records were reordered or replaced",
          });
        }
        const stored = await readRecord(link.ref);
        if (stored === undefined) {
          problems.push({
            chain,
            seq: link.seq,
            ref: link.ref,
            problem: "recordRemoved",
            detail: `the ${link.kind} record it vouches for is gone`,
          });
        } else if (sha256(stored) !== link.recordSha256) {
          problems.push({
            chain,
            seq: link.seq,
            ref: link.ref,
            problem: "recordChanged",
            detail: `the ${link.kind} record differs from what was written`,
          });
        }
        prev = digest;
        expected = link.seq + 1;
      }
      const last = links[links.length - 1];
      if (last !== undefined) chains.push({ chain, links: links.length, headSeq: last.seq, headDigest: last.digest });
    }
    for (const r of records) {
      if (onlyChain !== undefined && r.chain !== onlyChain) continue;
      if (!linked.has(key(r.chain, r.ref))) {
        problems.push({
          chain: r.chain,
          ref: r.ref,
          problem: "unchained",
          detail:
            "a record no link vouches for: inserted outside the app, its link removed, or written before the audit was chained",
        });
      }
    }
    return { ok: problems.length === 0, chains, records: records.length, problems };
  }
}
