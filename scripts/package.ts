/**
 * `npm run package [-- --zip FILE]`: the Function App's deployment package in deploy/ — host.json, package.json,
 * package-lock.json, the built app (dist/ without the tests, the CLI, the simulator, the local durable host and
 * source maps) and production dependencies only (`npm ci --omit=dev`). It then loads every function entry file
 * from deploy/ in a fresh Node process, so a runtime import of a development-only module fails here, not in Azure.
 * `azd deploy` runs it (the npm `package` script) and ships deploy/ (azure.yaml `dist: deploy`). --zip also writes
 * the zip and prints its size and file count.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { z } from "zod";
import { ensureError } from "../src/errors";

const PackageJson = z.object({ dependencies: z.record(z.string(), z.string()) });

const Manifest = z
  .object({
    name: z.string(),
    version: z.string(),
    private: z.boolean().optional(),
    description: z.string().optional(),
    license: z.string().optional(),
    engines: z.record(z.string(), z.string()).optional(),
    dependencies: z.record(z.string(), z.string()),
    main: z.string(),
  })
  .loose();

/** The project's package.json as shipped: what the Functions host and npm need, without devDependencies or scripts. */
export function deploymentManifest(packageJson: string): Record<string, unknown> {
  const m = Manifest.parse(JSON.parse(packageJson));
  return {
    name: m.name,
    version: m.version,
    private: m.private,
    description: m.description,
    license: m.license,
    engines: m.engines,
    main: m.main,
    dependencies: m.dependencies,
  };
}

export const ROOT = resolve(__dirname, "..");
export const DEPLOY_DIR = "deploy";

/** Files of the project root that ship as they are. */
export const ROOT_FILES = ["host.json", "package.json", "package-lock.json"] as const;

/** Built directories (under dist/) the Function App does not load: tests, tooling and the local stand-ins for Azure. */
export const EXCLUDED_DIST_DIRS = [
  "dist/test",
  "dist/bench",
  "dist/scripts",
  "dist/src/cli",
  "dist/src/simulator",
  "dist/src/durable-host",
] as const;

/** Directories whose .js files are the Function App's entry points (package.json `main`). */
export const ENTRY_DIRS = ["dist/src/functions", "dist/activities", "dist/orchestrations"] as const;

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? walk(path) : [path];
  });
}

const posix = (path: string): string => path.split(sep).join("/");

/** The project files the package holds (relative paths), node_modules aside. */
export function shippedFiles(root: string = ROOT): string[] {
  const built = walk(join(root, "dist"))
    .map((p) => posix(relative(root, p)))
    .filter((p) => !p.endsWith(".map"))
    .filter((p) => !EXCLUDED_DIST_DIRS.some((d) => p === d || p.startsWith(`${d}/`)));
  return [...ROOT_FILES.filter((f) => existsSync(join(root, f))), ...built].sort();
}

/** Builds a package ships for targets other than Node (Node resolves the "node"/"require" conditions). */
const NON_NODE_BUILDS = new Set(["browser", "react-native"]);

/**
 * Removes what Node never loads from the installed dependencies: source maps, TypeScript declarations, and the
 * browser and React Native builds under a package's dist/. Returns how many files were removed.
 */
export function pruneNodeModules(dir: string): number {
  let removed = 0;
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) {
        if (NON_NODE_BUILDS.has(e.name) && posix(d).endsWith("/dist")) {
          removed += walk(path).length;
          rmSync(path, { recursive: true, force: true });
        } else {
          visit(path);
        }
      } else if (/\.(map|d\.ts|d\.mts|d\.cts)$/.test(e.name)) {
        rmSync(path);
        removed++;
      }
    }
  };
  if (existsSync(dir)) visit(dir);
  return removed;
}

function sizeOf(dir: string): { files: number; bytes: number } {
  const files = walk(dir);
  return { files: files.length, bytes: files.reduce((n, f) => n + statSync(f).size, 0) };
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function buildPackage(opts: { root?: string; zip?: string; log?: (line: string) => void } = {}): {
  dir: string;
  files: number;
  bytes: number;
  zipBytes?: number;
} {
  const root = opts.root ?? ROOT;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!ENTRY_DIRS.every((d) => existsSync(join(root, d))))
    throw new Error("dist/ is missing or incomplete: run `npm run build` first");
  const out = join(root, DEPLOY_DIR);
  rmSync(out, { recursive: true, force: true });
  for (const file of shippedFiles(root)) {
    mkdirSync(dirname(join(out, file)), { recursive: true });
    cpSync(join(root, file), join(out, file));
  }
  log(`npm ci --omit=dev in ${DEPLOY_DIR}/`);
  execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: out,
    stdio: ["ignore", "ignore", "inherit"],
  });
  // The shipped package.json names production dependencies only and no scripts, so that a remote build (which
  // runs npm install, and npm run build when there is one) installs nothing else and compiles nothing.
  writeFileSync(
    join(out, "package.json"),
    `${JSON.stringify(deploymentManifest(readFileSync(join(root, "package.json"), "utf8")), null, 2)}\n`,
  );

  const pruned = pruneNodeModules(join(out, "node_modules"));
  log(`removed ${pruned} files Node never loads (source maps, type declarations, browser and React Native builds)`);

  // Every dependency must resolve and every entry file load, with production dependencies alone.
  const entries = ENTRY_DIRS.flatMap((d) => walk(join(out, d)).filter((f) => f.endsWith(".js")));
  const dependencies = Object.keys(
    PackageJson.parse(JSON.parse(readFileSync(join(out, "package.json"), "utf8"))).dependencies,
  );
  const script = `for (const d of ${JSON.stringify(dependencies)}) require.resolve(d); for (const f of ${JSON.stringify(entries)}) require(f);`;
  try {
    execFileSync(process.execPath, ["-e", script], {
      cwd: out,
      stdio: "pipe",
      env: { ...process.env, NODE_ENV: "production" },
    });
  } catch (e) {
    const stderr = e instanceof Error && "stderr" in e ? String(e.stderr) : "";
    throw new Error(
      `an entry file does not load from ${DEPLOY_DIR}/ with production dependencies only:\n${stderr || ensureError(e).message}`,
      { cause: e },
    );
  }
  log(`loaded ${entries.length} entry files from ${DEPLOY_DIR}/ with production dependencies only`);

  const size = sizeOf(out);
  log(`${DEPLOY_DIR}/: ${size.files} files, ${mib(size.bytes)} unpacked`);
  if (opts.zip === undefined) return { dir: out, ...size };
  const zip = resolve(opts.zip);
  rmSync(zip, { force: true });
  execFileSync("zip", ["-qr", "-X", zip, "."], { cwd: out, stdio: ["ignore", "ignore", "inherit"] });
  const zipBytes = statSync(zip).size;
  const shown = relative(process.cwd(), zip);
  log(`${shown.startsWith("..") || shown === "" ? zip : shown}: ${mib(zipBytes)} zipped`);
  return { dir: out, ...size, zipBytes };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--zip");
  const zip = at >= 0 ? args[at + 1] : undefined;
  try {
    if (at >= 0 && zip === undefined) throw new Error("--zip: needs a file name");
    buildPackage(zip === undefined ? {} : { zip });
  } catch (e) {
    process.stderr.write(`package: ${ensureError(e).message}\n`);
    process.exitCode = 1;
  }
}
