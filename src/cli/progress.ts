/** Progress display: a redrawn bar on a TTY, plain lines otherwise (only when something changed). */
import type { Progress } from "../contracts/remediation";

export interface ProgressSink {
  update(p: Progress): void;
  done(): void;
}

function describe(p: Progress): string {
  const c = p.counts;
  const done = c.cycled + c.skipped + c.failed;
  const wave = p.wave !== undefined && p.waves !== undefined ? ` wave ${p.wave}/${p.waves}` : "";
  return `${p.phase}${wave} ${done}/${c.total} done (cycled ${c.cycled}, skipped ${c.skipped}, failed ${c.failed}${(c.leftDown ?? 0) > 0 ? `, LEFT DOWN ${c.leftDown ?? 0}` : ""})${p.message ? ` — ${p.message}` : ""}`;
}

export function createProgressSink(stream: NodeJS.WriteStream, enabled: boolean): ProgressSink {
  let last = "";
  const tty = stream.isTTY === true;
  return {
    update(p) {
      if (!enabled) return;
      const c = p.counts;
      const done = c.cycled + c.skipped + c.failed;
      if (tty) {
        const width = 28;
        const filled = c.total === 0 ? width : Math.round((done / c.total) * width);
        const bar = "█".repeat(filled) + "░".repeat(Math.max(0, width - filled));
        const text = `\r[${bar}] ${describe(p)}`;
        const cols = stream.columns > 0 ? stream.columns : 120;
        stream.write(text.slice(0, cols + 1).padEnd(Math.min(cols, last.length)));
        last = text;
      } else {
        const text = describe(p);
        if (text !== last) stream.write(`${text}\n`);
        last = text;
      }
    },
    done() {
      if (enabled && tty && last !== "") stream.write("\n");
    },
  };
}
