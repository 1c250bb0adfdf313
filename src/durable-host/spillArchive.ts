/**
 * An archive on disk for a host without a state directory: finished instances leave memory for one scratch file
 * (deflated JSON records appended one after another), so memory holds what is in flight, not every instance a run
 * has finished. Nothing here is durable (no fsync, no recovery): it is scratch space, removed by `dispose`.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { recordFromStored, StoredRecordSchema, type FinishedArchive, type InstanceRecord } from "./store";

export class SpillArchive implements FinishedArchive {
  private readonly dir: string;
  /** The scratch file, in a folder of its own under the given parent (default: the OS temp folder). */
  readonly file: string;
  private fd: number | undefined;
  private end = 0;
  /** Where each record's bytes are in the file. A record deleted or replaced leaves its bytes unread there. */
  private readonly index = new Map<string, { offset: number; length: number }>();

  constructor(parent: string = tmpdir()) {
    this.dir = mkdtempSync(join(parent, "port25-finished-"));
    this.file = join(this.dir, "finished.bin");
    this.fd = openSync(this.file, "w+");
  }

  /** Records the file holds (for tests and statistics). */
  get size(): number {
    return this.index.size;
  }

  put(record: InstanceRecord): void {
    const fd = this.open();
    const data = deflateRawSync(JSON.stringify(record));
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written, this.end + written);
    this.index.set(record.instanceId, { offset: this.end, length: data.length });
    this.end += data.length;
  }

  load(instanceId: string): InstanceRecord {
    const at = this.index.get(instanceId);
    if (at === undefined) throw new Error(`no archived record for instance '${instanceId}'`);
    const fd = this.open();
    const data = Buffer.allocUnsafe(at.length);
    let read = 0;
    while (read < at.length) {
      const n = readSync(fd, data, read, at.length - read, at.offset + read);
      if (n === 0) throw new Error(`the archive file ended inside the record of instance '${instanceId}'`);
      read += n;
    }
    return recordFromStored(StoredRecordSchema.parse(JSON.parse(inflateRawSync(data).toString("utf8"))));
  }

  delete(instanceId: string): void {
    this.index.delete(instanceId);
  }

  /** Closes and removes the file; the archive reads nothing afterwards. Safe to call more than once. */
  dispose(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.index.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private open(): number {
    if (this.fd === undefined) throw new Error("the archive of finished instances was disposed");
    return this.fd;
  }
}
