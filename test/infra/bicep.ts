/** Typed access to Bicep syntax trees (tree-sitter-bicep) for the offline infra checks; no Bicep compiler needed. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Parser from "tree-sitter";
import bicepGrammar from "tree-sitter-bicep";

export type Node = Parser.SyntaxNode;

export const INFRA_DIR = path.resolve(__dirname, "../../infra");

function isLanguage(value: unknown): value is Parser.Language {
  return (
    typeof value === "object" &&
    value !== null &&
    "name" in value &&
    typeof value.name === "string" &&
    "language" in value &&
    "nodeTypeInfo" in value &&
    Array.isArray(value.nodeTypeInfo)
  );
}

let parser: Parser | undefined;

function bicepParser(): Parser {
  if (parser) return parser;
  const language: unknown = bicepGrammar;
  if (!isLanguage(language)) throw new Error("tree-sitter-bicep did not export a tree-sitter language");
  const p = new Parser();
  p.setLanguage(language);
  parser = p;
  return p;
}

export interface BicepFile {
  /** Path relative to the infra directory, with forward slashes. */
  readonly name: string;
  readonly absolutePath: string;
  readonly source: string;
  readonly root: Node;
  /** Extensions the file imports (`extension microsoftGraphV1`), by the alias bicepconfig.json gives them. */
  readonly extensions: readonly string[];
}

/** `extension <alias>` at the start of a line: Bicep's import of an extension (the grammar predates the keyword). */
const EXTENSION_STATEMENT = /^extension[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?=\r?\n|$)/gm;

export function parseBicep(source: string, name = "<inline>", absolutePath = name): BicepFile {
  // tree-sitter-bicep does not know the `extension` statement: its lines are blanked (same length, so every position
  // stays where it is) and the aliases kept beside the tree.
  const extensions: string[] = [];
  const parsed = source.replace(EXTENSION_STATEMENT, (statement, alias: string) => {
    extensions.push(alias);
    return " ".repeat(statement.length);
  });
  // An explicit buffer size keeps large files in one chunk.
  const tree = bicepParser().parse(parsed, null, { bufferSize: parsed.length * 4 + 1024 });
  return { name, absolutePath, source, root: tree.rootNode, extensions };
}

export function loadBicep(absolutePath: string): BicepFile {
  const name = path.relative(INFRA_DIR, absolutePath).split(path.sep).join("/");
  return parseBicep(readFileSync(absolutePath, "utf8"), name, absolutePath);
}

/** Every file under infra/ with the given extension, sorted. */
export function infraFiles(extension: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(extension)) out.push(full);
    }
  };
  walk(INFRA_DIR);
  return out.sort();
}

export function allBicepFiles(): BicepFile[] {
  return infraFiles(".bicep").map(loadBicep);
}

export function where(node: Node): string {
  return `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
}

export interface SyntaxProblem {
  readonly kind: "error" | "missing";
  readonly at: string;
  readonly text: string;
}

/** ERROR and MISSING nodes, outermost first, with their 1-based line:column. */
export function syntaxProblems(file: BicepFile): SyntaxProblem[] {
  const out: SyntaxProblem[] = [];
  const visit = (node: Node): void => {
    if (node.isMissing) {
      out.push({ kind: "missing", at: where(node), text: node.type });
      return;
    }
    if (node.type === "ERROR") {
      out.push({ kind: "error", at: where(node), text: node.text.slice(0, 60) });
      return;
    }
    if (node.hasError) for (const child of node.children) visit(child);
  };
  visit(file.root);
  return out;
}

/** All descendants (and the node itself) of the given type, in document order. */
export function descendants(node: Node, type: string): Node[] {
  return node.descendantsOfType(type);
}

/** The plain value of a string literal; undefined when it interpolates or is not a string. */
export function stringValue(node: Node | null | undefined): string | undefined {
  if (!node || node.type !== "string") return undefined;
  if (node.namedChildren.some((c) => c.type !== "string_content" && c.type !== "escape_sequence")) return undefined;
  return node.namedChildren.map((c) => c.text).join("");
}

function declarationName(node: Node): string {
  const id = node.namedChildren.find((c) => c.type === "identifier");
  if (!id) throw new Error(`declaration without a name at ${where(node)}`);
  return id.text;
}

export interface ParamDeclaration {
  readonly name: string;
  readonly node: Node;
  readonly defaultValue: Node | undefined;
}

export function params(file: BicepFile): ParamDeclaration[] {
  return file.root.namedChildren
    .filter((n) => n.type === "parameter_declaration")
    .map((node) => {
      // param <name> <type> [= <expression>]: the default is whatever follows the type.
      const typeIndex = node.namedChildren.findIndex((c) => c.type === "type");
      const defaultValue = typeIndex >= 0 ? node.namedChildren[typeIndex + 1] : undefined;
      return { name: declarationName(node), node, defaultValue };
    });
}

export function variable(file: BicepFile, name: string): Node | undefined {
  const decl = file.root.namedChildren.find((n) => n.type === "variable_declaration" && declarationName(n) === name);
  return decl?.namedChildren[1];
}

export function targetScope(file: BicepFile): string {
  const assignment = file.root.namedChildren.find((n) => n.type === "target_scope_assignment");
  return stringValue(assignment?.namedChildren[0]) ?? "resourceGroup";
}

/** Properties of an object literal, keyed by name (identifier or quoted key). */
export function objectProperties(obj: Node): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const prop of obj.namedChildren) {
    if (prop.type !== "object_property") continue;
    const [key, value] = prop.namedChildren;
    if (!key || !value || key.type === "resource_declaration") continue;
    const name = key.type === "string" ? stringValue(key) : key.text;
    if (name !== undefined) out.set(name, value);
  }
  return out;
}

/** The body object of a resource or module, looking through `if (...)` and `[for ...: ...]`. */
export function bodyObject(decl: Node): Node | undefined {
  const last = decl.namedChildren[decl.namedChildren.length - 1];
  let node: Node | undefined = last;
  while (node && node.type !== "object") {
    if (node.type === "if_statement") node = node.namedChildren.find((c) => c.type === "object");
    else if (node.type === "for_statement") node = node.childForFieldName("body") ?? undefined;
    else return undefined;
  }
  return node;
}

export interface Declared {
  readonly kind: "resource" | "module";
  readonly symbol: string;
  /** Resource type with API version, or module path. */
  readonly target: string;
  readonly existing: boolean;
  readonly node: Node;
  readonly body: Node | undefined;
}

function declared(node: Node, kind: Declared["kind"]): Declared {
  const target = stringValue(node.namedChildren.find((c) => c.type === "string"));
  if (target === undefined) throw new Error(`${kind} without a literal type or path at ${where(node)}`);
  const existing = node.children.some((c) => c.type === "existing");
  return { kind, symbol: declarationName(node), target, existing, node, body: bodyObject(node) };
}

/** Every resource declaration, nested ones included. */
export function resources(file: BicepFile): Declared[] {
  return descendants(file.root, "resource_declaration").map((n) => declared(n, "resource"));
}

export function modules(file: BicepFile): Declared[] {
  return descendants(file.root, "module_declaration").map((n) => declared(n, "module"));
}

/** Function name of a call expression (`guid`, `subscriptionResourceId`, …). */
export function callee(call: Node): string | undefined {
  return call.type === "call_expression" ? call.namedChildren[0]?.text : undefined;
}

export function callArguments(call: Node): Node[] {
  return call.namedChildren.find((c) => c.type === "arguments")?.namedChildren ?? [];
}

const NAMESPACES = new Set(["sys", "az"]);

/** Names a file declares at any level: params, vars, resources, modules, functions, types, loop and lambda variables. */
function declaredNames(file: BicepFile): Set<string> {
  const names = new Set<string>(NAMESPACES);
  for (const type of [
    "parameter_declaration",
    "variable_declaration",
    "resource_declaration",
    "module_declaration",
    "user_defined_function",
    "type_declaration",
  ]) {
    for (const n of descendants(file.root, type)) names.add(declarationName(n));
  }
  for (const n of descendants(file.root, "loop_variable")) names.add(n.text);
  for (const n of descendants(file.root, "loop_enumerator")) names.add(n.text);
  for (const loop of descendants(file.root, "for_statement")) {
    const initializer = loop.childForFieldName("initializer");
    if (initializer) names.add(initializer.text);
  }
  for (const lambda of descendants(file.root, "lambda_expression")) {
    const head = lambda.namedChildren[0];
    if (head)
      for (const id of [head, ...descendants(head, "identifier")]) if (id.type === "identifier") names.add(id.text);
  }
  return names;
}

/** Identifiers in expression position: references to a symbol (not keys, declared names, callees or types). */
export function references(file: BicepFile): Node[] {
  return descendants(file.root, "identifier").filter((id) => {
    const parent = id.parent;
    if (!parent) return false;
    const first = parent.namedChildren[0];
    const isFirst = first !== undefined && first.id === id.id;
    switch (parent.type) {
      case "parameter_declaration":
      case "variable_declaration":
      case "resource_declaration":
      case "module_declaration":
      case "output_declaration":
      case "user_defined_function":
      case "type_declaration":
      case "metadata_declaration":
      case "object_property":
      case "call_expression":
        return !isFirst;
      case "resource_expression":
        return isFirst;
      case "for_statement":
        return parent.childForFieldName("initializer")?.id !== id.id;
      case "type":
      case "parameter":
        return false;
      default:
        return true;
    }
  });
}

export interface UnresolvedReference {
  readonly name: string;
  readonly at: string;
}

export function unresolvedReferences(file: BicepFile): UnresolvedReference[] {
  const names = declaredNames(file);
  return references(file)
    .filter((id) => !names.has(id.text))
    .map((id) => ({ name: id.text, at: where(id) }));
}

export function unusedParams(file: BicepFile): string[] {
  const used = new Set(references(file).map((id) => id.text));
  return params(file)
    .map((p) => p.name)
    .filter((name) => !used.has(name));
}

/** Every plain string literal in the file, with where it is. */
export function stringLiterals(file: BicepFile): { value: string; node: Node }[] {
  const out: { value: string; node: Node }[] = [];
  for (const node of descendants(file.root, "string")) {
    const value = stringValue(node);
    if (value !== undefined) out.push({ value, node });
  }
  return out;
}
