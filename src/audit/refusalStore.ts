/** Refusals: the actions the API refused, chained, newest first. */
import { parseWith } from "../contracts/parse";
import { encodeDocument, storedJson } from "./documents";
import { encodeKey, invertedTime } from "./keys";
import { REFUSALS_CHAIN, sha256, type AuditLink, type AuditRecordRef } from "./ledger";
import { RefusalRecordSchema, type RefusalRecord } from "../contracts/refusal";
import { type AuditTableAccess, P_REFUSAL, pageSizeOf, refuse } from "./tables";

export class RefusalRecords {
  constructor(private readonly t: AuditTableAccess) {}

  async recordRefusal(raw: RefusalRecord): Promise<AuditLink> {
    const record = parseWith(RefusalRecordSchema, raw, "refusal record");
    await this.t.ensureTables();
    const doc = encodeDocument(P_REFUSAL, `${invertedTime(record.at)}_${encodeKey(record.id)}`, storedJson(record), {
      at: record.at,
      status: record.status,
    });
    await this.t.writeDocument(this.t.refusals, doc, refuse);
    const ref: AuditRecordRef = { table: "refusals", partitionKey: doc.head.partitionKey, rowKey: doc.head.rowKey };
    return this.t.ledger.append(REFUSALS_CHAIN, "refusal", ref, sha256(doc.json), record.at);
  }

  async listRefusals(pageSize?: number): Promise<RefusalRecord[]> {
    await this.t.ensureTables();
    const page = await this.t.firstPage(
      this.t.refusals,
      `PartitionKey eq '${P_REFUSAL}'`,
      pageSizeOf(pageSize),
      undefined,
    );
    const out: RefusalRecord[] = [];
    for (const entity of page.entities)
      out.push(
        parseWith(RefusalRecordSchema, JSON.parse(await this.t.read(this.t.refusals, entity)), "stored refusal"),
      );
    return out;
  }
}
