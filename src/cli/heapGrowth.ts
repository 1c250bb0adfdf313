/**
 * Imported first by the `port25` entry, before anything allocates much: V8 lets the old generation grow by up to
 * about four times the live heap between major collections, so a `simulate` of 5,000 VMs with a live heap of
 * 150–250 MiB peaked above 1 GiB of RSS. Capping the growth at 50 % per collection keeps the peak near twice the
 * live heap for a few more major collections (docs/performance.md, "Memory of `port25 simulate`", has the figures
 * with and without).
 *
 * Set here rather than on the command line because every way the command starts runs this module: the installed
 * bin (`node dist/src/cli/main.js`), `npx tsx src/cli/main.ts`, and npm scripts. NODE_OPTIONS cannot carry it (Node
 * accepts only a short list of V8 options there: nodejs.org/api/cli.html, "NODE_OPTIONS"), and a shebang's extra
 * arguments are not portable. V8 reads the flag each time it sizes the heap after a collection, so setting it at
 * start-up takes effect as the command-line flag does (`node --v8-options` lists `--heap-growing-percent`;
 * nodejs.org/api/v8.html, `v8.setFlagsFromString`). An operator's own `--heap-growing-percent` given to node is kept.
 */
import { setFlagsFromString } from "node:v8";

export const HEAP_GROWING_PERCENT = 50;

if (!process.execArgv.some((a) => a.startsWith("--heap-growing-percent") || a.startsWith("--heap_growing_percent")))
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
