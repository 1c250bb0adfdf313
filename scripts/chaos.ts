/** `npm run chaos -- --seeds N [--from S] [--seed S] [--quick] [--known-bugs]`: see test/chaos/cli.ts. */
import { ensureError } from "../src/errors";
import { chaosMain } from "../test/chaos/cli";

chaosMain(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`chaos: ${ensureError(e).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
