/** How the user ran port25, so that a command the CLI prints can be pasted into the same shell and work. */
import { isAbsolute, relative, resolve } from "node:path";
import type { RunStatus } from "../contracts/remediation";

/** Run statuses that make a command exit 1 (a resource left down does too, whatever the status). */
export const FAILING_STATUSES: readonly RunStatus[] = [
  "completedWithFailures",
  "refused",
  "halted",
  "cancelled",
  "approvalTimedOut",
];

/**
 * The prefix of a port25 command line: `npm run port25 --` when running from the TypeScript sources (a clone),
 * `node <path to dist/src/cli/main.js, relative to the working directory>` when running the build, and `port25`
 * when the CLI was started through an installed `port25` bin on the PATH.
 */
export function invocation(argv1: string | undefined = process.argv[1], cwd: string = process.cwd()): string {
  const script = argv1 ?? "";
  if (/(^|[\\/])port25$/.test(script)) return "port25";
  const builtMain = __filename.split(/[\\/]/).includes("dist");
  if (!builtMain) return "npm run port25 --";
  const main = resolve(__dirname, "main.js");
  const rel = relative(cwd, main);
  return `node ${isAbsolute(rel) || rel.startsWith("..") ? shellQuote(main) : shellQuote(`./${rel}`)}`;
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A path as the user should type it: relative to the working directory when inside it, absolute otherwise. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}
