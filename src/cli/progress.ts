/**
 * Progress display: a redrawn bar on a TTY, plain lines otherwise (only when something changed). The final line
 * is drawn from the run's summary, so it carries the run's end status and every resource's outcome.
 *
 * Waves are numbered in run order, 1-based, over the plan's waves (`plan.waves`); the canary is its own phase
 * ("canary") and is wave 1 of that count when the run has one. The plan names each wave by its tag.
 */
import type { Progress, RemediationSummary } from "../contracts/remediation";

interface ProgressSink {
  update(p: Progress): void;
  /** Draws the final line from the summary (replacing the last progress line on a TTY). */
  finish(summary: RemediationSummary): void;
  done(): void;
}

interface Counts {
  total: number;
  cycled: number;
  skipped: number;
  failed: number;
  leftDown?: number | undefined;
}

function tally(c: Counts): string {
  const done = c.cycled + c.skipped + c.failed;
  return `${done}/${c.total} done (cycled ${c.cycled}, skipped ${c.skipped}, failed ${c.failed}${(c.leftDown ?? 0) > 0 ? `, LEFT DOWN ${c.leftDown ?? 0}` : ""})`;
}

/** "canary", "waves: wave 3/6", "subnets", …; no wave number outside the canary and waves phases. */
function describePhase(p: Pick<Progress, "phase" | "wave" | "waves">): string {
  if (p.phase === "waves" && p.wave !== undefined && p.waves !== undefined)
    return `waves: wave ${p.wave + 1}/${p.waves}`;
  return p.phase;
}

export function describe(p: Progress): string {
  return `${describePhase(p)} ${tally(p.counts)}${p.message ? ` — ${p.message}` : ""}`;
}

function describeEnd(s: RemediationSummary): string {
  return `${s.status}: ${tally(s.counts)}`;
}

/** A line redrawn in place on a TTY (with a bar), or printed when it changed otherwise; finished by `end`. */
interface LineSink {
  show(text: string, fraction: number): void;
  /** Draws the last line (replacing the current one on a TTY); nothing is drawn after it. */
  end(text: string, fraction: number): void;
  done(): void;
}

export function createLineSink(stream: NodeJS.WriteStream, enabled: boolean): LineSink {
  let last = "";
  let finished = false;
  const tty = stream.isTTY === true;
  const cols = (): number => (stream.columns > 0 ? stream.columns : 120);
  const draw = (text: string, fraction: number): void => {
    if (tty) {
      const width = 28;
      const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
      const bar = "█".repeat(filled) + "░".repeat(Math.max(0, width - filled));
      const line = `[${bar}] ${text}`.slice(0, cols() - 1);
      stream.write(`\r${line.padEnd(Math.min(cols() - 1, last.length))}`);
      last = line;
    } else {
      if (text !== last) stream.write(`${text}\n`);
      last = text;
    }
  };
  return {
    show(text, fraction) {
      if (!enabled || finished) return;
      draw(text, fraction);
    },
    end(text, fraction) {
      if (!enabled || finished) return;
      draw(text, fraction);
      finished = true;
      if (tty) stream.write("\n");
    },
    done() {
      if (enabled && tty && !finished && last !== "") stream.write("\n");
      finished = true;
    },
  };
}

export function createProgressSink(stream: NodeJS.WriteStream, enabled: boolean): ProgressSink {
  const line = createLineSink(stream, enabled);
  const fraction = (c: Counts): number => (c.total === 0 ? 1 : (c.cycled + c.skipped + c.failed) / c.total);
  return {
    update(p) {
      // The end is drawn by finish(), from the summary.
      if (p.phase === "done") return;
      line.show(describe(p), fraction(p.counts));
    },
    finish(summary) {
      line.end(describeEnd(summary), fraction(summary.counts));
    },
    done() {
      line.done();
    },
  };
}
