/**
 * A small validator for the subset of OpenAPI 2.0 (Swagger) that Azure's REST specs use in response definitions:
 * type, properties, required, items, $ref (across files, relative paths), allOf, enum (x-ms-enum modelAsString
 * means any string), additionalProperties, format (date-time, int32/int64), minimum/maximum, minLength.
 *
 * Stricter than OpenAPI's defaults, like Azure's own response linting: a property no definition (or allOf parent)
 * declares is a failure unless the definition has additionalProperties; `null` is never a value; a $ref to a
 * definition the stored extract does not hold fails (so a body cannot wander outside what was checked).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Schema {
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  $ref?: string;
  allOf?: Schema[];
  enum?: Json[];
  "x-ms-enum"?: { modelAsString?: boolean };
  additionalProperties?: Schema | boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
}

/** A schema and the spec file (relative to the specs root, posix separators) its $refs resolve against. */
interface Located {
  schema: Schema;
  file: string;
}

/**
 * A documented place where the service's wire form departs from its own definition, with the source that says so.
 * `path` matches the JSON path of the value (`$.value[3].resources[0]` etc.); `property` names what may be missing.
 */
export interface KnownDeviation {
  path: RegExp;
  kind: "missingRequired";
  property: string;
  reason: string;
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);
}

function asSchema(v: Json | undefined): Schema {
  // The spec files are JSON documents whose definitions follow the interface above; anything else is ignored.
  const o: Schema = isObject(v) ? v : {};
  return o;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class SpecSet {
  private readonly docs = new Map<string, { [key: string]: Json }>();

  /** Loads every .json file under `root` (the mirror of the specs repository's paths). */
  constructor(root: string) {
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name.endsWith(".json")) {
          const parsed = JSON.parse(readFileSync(full, "utf8")) as Json;
          if (isObject(parsed)) this.docs.set(relative(root, full).split(sep).join("/"), parsed);
        }
      }
    };
    walk(root);
  }

  files(): string[] {
    return [...this.docs.keys()].sort();
  }

  /** The `x-extract` record of a file: where it came from. */
  source(file: string): { source: string; commit: string } | undefined {
    const x = this.docs.get(file)?.["x-extract"];
    if (!isObject(x) || typeof x["source"] !== "string" || typeof x["commit"] !== "string") return undefined;
    return { source: x["source"], commit: x["commit"] };
  }

  /** The definition `name` of `file`. */
  definition(file: string, name: string): Located {
    const l = this.resolve(file, `#/definitions/${name}`);
    if (l === undefined) throw new Error(`${file} has no definition ${name}`);
    return l;
  }

  /** Resolves a $ref made in `fromFile`; undefined when the file or definition is not stored. */
  resolve(fromFile: string, ref: string): Located | undefined {
    const hash = ref.indexOf("#");
    const filePart = hash < 0 ? ref : ref.slice(0, hash);
    const pointer = hash < 0 ? "" : ref.slice(hash + 1);
    const file = filePart === "" ? fromFile : posix.normalize(posix.join(posix.dirname(fromFile), filePart));
    let cur: Json | undefined = this.docs.get(file);
    for (const seg of pointer.split("/").filter((s) => s !== "")) {
      if (!isObject(cur)) return undefined;
      cur = cur[seg.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return cur === undefined || !isObject(cur) ? undefined : { schema: asSchema(cur), file };
  }

  /** Every failure of `value` against `at`, as "path: what" lines (empty when it conforms). */
  validate(at: Located, value: Json | undefined, deviations: readonly KnownDeviation[] = [], path = "$"): string[] {
    return new Validator(this, deviations).check(at, value, path);
  }
}

interface Flattened {
  props: Map<string, Located>;
  required: Set<string>;
  additional: Located | true | undefined;
  enums: { values: Json[]; open: boolean } | undefined;
  type: string | undefined;
  format: string | undefined;
  minimum: number | undefined;
  maximum: number | undefined;
  minLength: number | undefined;
  items: Located | undefined;
  errors: string[];
}

class Validator {
  constructor(
    private readonly specs: SpecSet,
    private readonly deviations: readonly KnownDeviation[],
  ) {}

  /** Follows $ref and allOf into one view of a schema: declared properties, required names, type and constraints. */
  private flatten(at: Located, path: string, seen: Set<string> = new Set()): Flattened {
    const out: Flattened = {
      props: new Map(),
      required: new Set(),
      additional: undefined,
      enums: undefined,
      type: undefined,
      format: undefined,
      minimum: undefined,
      maximum: undefined,
      minLength: undefined,
      items: undefined,
      errors: [],
    };
    const visit = (l: Located): void => {
      const s = l.schema;
      if (s.$ref !== undefined) {
        const key = `${l.file}|${s.$ref}`;
        if (seen.has(key)) return;
        seen.add(key);
        const target = this.specs.resolve(l.file, s.$ref);
        if (target === undefined) {
          out.errors.push(`${path}: $ref ${s.$ref} (from ${l.file}) is not in the stored spec extract`);
          return;
        }
        visit(target);
      }
      for (const part of s.allOf ?? []) visit({ schema: part, file: l.file });
      for (const [name, p] of Object.entries(s.properties ?? {}))
        if (!out.props.has(name)) out.props.set(name, { schema: p, file: l.file });
      for (const r of s.required ?? []) out.required.add(r);
      if (s.additionalProperties !== undefined && s.additionalProperties !== false)
        out.additional = s.additionalProperties === true ? true : { schema: s.additionalProperties, file: l.file };
      if (s.enum !== undefined) out.enums = { values: s.enum, open: s["x-ms-enum"]?.modelAsString === true };
      out.type ??= s.type ?? (s.enum !== undefined ? "string" : undefined);
      out.format ??= s.format;
      out.minimum ??= s.minimum;
      out.maximum ??= s.maximum;
      out.minLength ??= s.minLength;
      if (s.items !== undefined) out.items ??= { schema: s.items, file: l.file };
    };
    visit(at);
    return out;
  }

  check(at: Located, value: Json | undefined, path: string): string[] {
    const f = this.flatten(at, path);
    if (f.errors.length > 0) return f.errors;
    if (value === undefined) return [];
    if (value === null) return [`${path}: null is not a value the definition allows`];
    const isObjectSchema =
      f.type === "object" || (f.type === undefined && (f.props.size > 0 || f.additional !== undefined));
    if (f.type === undefined && !isObjectSchema && f.items === undefined && f.enums === undefined) return []; // {}: any JSON
    if (f.type === "array" || (f.type === undefined && f.items !== undefined)) {
      if (!Array.isArray(value)) return [`${path}: expected an array, got ${kind(value)}`];
      const items = f.items;
      return items === undefined ? [] : value.flatMap((v, i) => this.check(items, v, `${path}[${i}]`));
    }
    if (isObjectSchema) {
      if (!isObject(value)) return [`${path}: expected an object, got ${kind(value)}`];
      const errs: string[] = [];
      for (const r of f.required)
        if (
          value[r] === undefined &&
          !this.deviations.some((d) => d.kind === "missingRequired" && d.property === r && d.path.test(path))
        )
          errs.push(`${path}: required property '${r}' is missing`);
      for (const [k, v] of Object.entries(value)) {
        const p = f.props.get(k);
        if (p !== undefined) errs.push(...this.check(p, v, `${path}.${k}`));
        else if (f.additional === true) continue;
        else if (f.additional !== undefined) errs.push(...this.check(f.additional, v, `${path}.${k}`));
        else errs.push(`${path}.${k}: property not declared by the definition`);
      }
      return errs;
    }
    switch (f.type) {
      case "string": {
        if (typeof value !== "string") return [`${path}: expected a string, got ${kind(value)}`];
        const errs: string[] = [];
        if (f.enums !== undefined && !f.enums.open && !f.enums.values.includes(value))
          errs.push(`${path}: '${value}' is not one of ${f.enums.values.map((e) => JSON.stringify(e)).join(", ")}`);
        if (f.format === "date-time" && !DATE_TIME.test(value))
          errs.push(`${path}: '${value}' is not an RFC 3339 date-time`);
        if (f.minLength !== undefined && value.length < f.minLength) errs.push(`${path}: shorter than ${f.minLength}`);
        return errs;
      }
      case "integer":
      case "number": {
        if (typeof value !== "number" || (f.type === "integer" && !Number.isInteger(value)))
          return [`${path}: expected ${f.type === "integer" ? "an integer" : "a number"}, got ${kind(value)}`];
        const errs: string[] = [];
        if (f.format === "int32" && (value < -2147483648 || value > 2147483647))
          errs.push(`${path}: ${value} is outside int32`);
        if (f.minimum !== undefined && value < f.minimum) errs.push(`${path}: ${value} < minimum ${f.minimum}`);
        if (f.maximum !== undefined && value > f.maximum) errs.push(`${path}: ${value} > maximum ${f.maximum}`);
        return errs;
      }
      case "boolean":
        return typeof value === "boolean" ? [] : [`${path}: expected a boolean, got ${kind(value)}`];
      default:
        return [`${path}: unsupported schema type ${String(f.type)}`];
    }
  }
}

function kind(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}
