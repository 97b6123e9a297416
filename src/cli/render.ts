// Renderings of a decoded value for `show`: text for people and JSON for
// scripts, both bounded on any value a backend can decode. Pure functions:
// they return strings and never print.
//
// Text: an object is expanded once, at its first place (in printing order),
// marked `<ref *1>` when it is reached again; later places print `[Ref *1]`,
// or `[Circular *1]` inside itself. Containers nested deeper than `depth`
// print as `[Object]`, `[Array(3)]`, …; each container shows at most
// `items` entries, strings at most `stringChars` characters, and the whole
// output stops after `maxChars`. A pre-pass over the same bounded walk
// finds which objects are reached twice; it and the printing each visit an
// object's entries once, so a graph of shared references (each level
// referencing the one below twice) costs its size, not 2^depth.
//
// JSON: complete, as JSON.stringify would print it with two-space indents,
// except that an object reached a second time prints `{"$ref": "#/json/pointer"}`
// (RFC 6901, to where it was printed first), and that a value JSON cannot
// hold exactly (Map, Set, bigint, undefined, NaN, typed arrays, array holes,
// …) is refused with where it is, never dropped or mangled. Dates print as
// their ISO string. Output over `maxChars` is refused too.

/** Limits of the text rendering. */
export interface TextLimits {
  /** Container nesting levels shown; deeper containers print as `[Object]`, `[Array(3)]`, …. */
  depth: number;
  /** Entries shown per array, object, Map, Set or typed array. */
  items: number;
  /** Characters shown per string (and object key). */
  stringChars: number;
  /** Characters of output after which rendering stops. */
  maxChars: number;
  /** Line width within which a container prints on one line. */
  width: number;
}

/** The text rendering's defaults (`show` without `--depth` / `--items`). */
export const TEXT_LIMITS: Readonly<TextLimits> = Object.freeze({
  depth: 8,
  items: 100,
  stringChars: 1000,
  maxChars: 500_000,
  width: 80,
});

/** A value `renderJson` refuses: not a JSON tree it can print exactly, or too long. */
export class JsonRefusal extends Error {
  /**
   * Creates the refusal.
   *
   * @param message what cannot be printed, and where
   */
  constructor(message: string) {
    super(message);
    this.name = "JsonRefusal";
  }
}

/** Whether an error is a stack overflow (a value nested too deeply to walk recursively). */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

const count = (n: number) => n.toLocaleString("en");

// --- text ---------------------------------------------------------------------

/** One entry of a container: a value with its label, a Map entry, or a line of text (holes). */
type Child =
  | { label: string; value: unknown }
  | { mapKey: unknown; value: unknown }
  | { text: string };

/** How a container prints: its brackets, its shown entries, and what is left out. */
interface Shape {
  /** Opening text, such as `{`, `[`, `Map(2) {`. */
  open: string;
  close: string;
  /** What prints when the container is cut by depth, such as `[Object]`. */
  summary: string;
  children: Child[];
  /** Entries not shown (beyond `items`). */
  more: number;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function quote(text: string, max: number): string {
  const shown = text.length > max ? text.slice(0, max) : text;
  const body = JSON.stringify(shown).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
  const rest = text.length - shown.length;
  return `'${body}'${rest > 0 ? `... ${count(rest)} more characters` : ""}`;
}

function formatKey(key: string, max: number): string {
  return key.length <= max && IDENTIFIER.test(key) ? key : quote(key, max);
}

function isObject(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

function typeName(value: object): string {
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  const constructor = (value as { constructor?: { name?: unknown } }).constructor;
  const name = typeof constructor === "function" && typeof constructor.name === "string"
    ? constructor.name
    : "";
  return name || tag;
}

/** Text of a value that never expands (primitives, dates, regexps, errors, boxed primitives). */
function leafText(value: unknown, limits: TextLimits): string | undefined {
  switch (typeof value) {
    case "string":
      return quote(value, limits.stringChars);
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${value}n`;
    case "undefined":
      return "undefined";
    case "boolean":
      return String(value);
    case "symbol":
      return value.toString();
    case "function":
      return `[Function${value.name ? `: ${value.name}` : ""}]`;
  }
  if (value === null) return "null";
  const object = value as object;
  if (object instanceof Date) {
    return Number.isNaN(object.getTime()) ? "Invalid Date" : object.toISOString();
  }
  if (object instanceof RegExp) return quote(String(object), limits.stringChars).slice(1, -1);
  if (object instanceof Error) {
    const message = String(object.message ?? "");
    return `[${object.name || "Error"}${message ? `: ${quote(message, limits.stringChars)}` : ""}]`;
  }
  if (object instanceof Number) return `[Number: ${leafText(object.valueOf(), limits)}]`;
  if (object instanceof String) return `[String: ${quote(object.valueOf(), limits.stringChars)}]`;
  if (object instanceof Boolean) return `[Boolean: ${object.valueOf()}]`;
  if (object instanceof BigInt) return `[BigInt: ${object.valueOf()}n]`;
  if (object instanceof ArrayBuffer) {
    const bytes = new Uint8Array(object, 0, Math.min(object.byteLength, limits.items));
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
    const more = object.byteLength - bytes.length;
    return `ArrayBuffer(${object.byteLength}) <${hex}${
      more > 0 ? ` ... ${count(more)} more bytes` : ""
    }>`;
  }
  if (object instanceof DataView) return `DataView(${object.byteLength})`;
  return undefined;
}

/** The entries of an array, holes as runs, at most `items` of them shown. */
function arrayChildren(array: unknown[], items: number): { children: Child[]; more: number } {
  const children: Child[] = [];
  let present: number[] | undefined;
  let i = 0;
  while (i < array.length && children.length < items) {
    if (i in array) {
      children.push({ label: "", value: array[i] });
      i++;
      continue;
    }
    // A run of holes: scan some, then jump by the array's own indices (as
    // many as its entries, which its file had to hold one by one).
    let end = i + 1;
    while (end < array.length && end - i < 65_536 && !(end in array)) end++;
    if (end < array.length && !(end in array)) {
      present ??= Object.keys(array).map(Number).filter(Number.isInteger);
      end = present.find((index) => index > i) ?? array.length;
    }
    children.push({ text: `<${count(end - i)} empty item${end - i === 1 ? "" : "s"}>` });
    i = end;
  }
  // Slots left out, holes included (as Node's inspect counts them).
  return { children, more: array.length - i };
}

/** How a container prints, or undefined for a value that never expands. */
function shapeOf(value: object, limits: TextLimits): Shape | undefined {
  if (leafText(value, limits) !== undefined) return undefined;
  const items = limits.items;
  if (Array.isArray(value)) {
    const { children, more } = arrayChildren(value, items);
    const prefix = Object.getPrototypeOf(value) === Array.prototype ? "" : `${typeName(value)} `;
    return {
      open: `${prefix}[`,
      close: "]",
      summary: `[Array(${value.length})]`,
      children,
      more,
    };
  }
  if (ArrayBuffer.isView(value)) {
    const view = value as unknown as ArrayLike<number | bigint>;
    const children: Child[] = [];
    const shown = Math.min(view.length, items);
    for (let i = 0; i < shown; i++) children.push({ label: "", value: view[i] });
    const name = `${typeName(value)}(${view.length})`;
    return {
      open: `${name} [`,
      close: "]",
      summary: `[${name}]`,
      children,
      more: view.length - shown,
    };
  }
  if (value instanceof Map) {
    const children: Child[] = [];
    for (const [mapKey, entry] of value) {
      if (children.length >= items) break;
      children.push({ mapKey, value: entry });
    }
    const name = `Map(${value.size})`;
    return {
      open: `${name} {`,
      close: "}",
      summary: `[${name}]`,
      children,
      more: value.size - children.length,
    };
  }
  if (value instanceof Set) {
    const children: Child[] = [];
    for (const entry of value) {
      if (children.length >= items) break;
      children.push({ label: "", value: entry });
    }
    const name = `Set(${value.size})`;
    return {
      open: `${name} {`,
      close: "}",
      summary: `[${name}]`,
      children,
      more: value.size - children.length,
    };
  }
  const keys = Object.keys(value);
  const children: Child[] = [];
  for (const key of keys) {
    if (children.length >= items) break;
    children.push({
      label: `${formatKey(key, limits.stringChars)}: `,
      value: (value as Record<string, unknown>)[key],
    });
  }
  const prototype = Object.getPrototypeOf(value);
  const prefix = prototype === Object.prototype
    ? ""
    : prototype === null
    ? "[Object: null prototype] "
    : `${typeName(value)} `;
  return {
    open: `${prefix}{`,
    close: "}",
    summary: prototype === Object.prototype ? "[Object]" : `[${typeName(value)}]`,
    children,
    more: keys.length - children.length,
  };
}

/** The values a child leads to: a Map entry's key, then its value. */
function childValues(child: Child): unknown[] {
  if ("text" in child) return [];
  return "mapKey" in child ? [child.mapKey, child.value] : [child.value];
}

class TextRenderer {
  readonly #limits: TextLimits;
  /** Objects reached twice in the bounded walk (found by the pre-pass). */
  readonly #shared = new Set<object>();
  /** Objects expanded so far, with their display number (0: not shared). */
  readonly #expanded = new Map<object, number>();
  /** Objects being expanded: the path from the top. */
  readonly #open = new Set<object>();
  /** While trying a container on one line: objects it expanded, undone if it does not fit. */
  #journal: object[] | undefined;
  #nextId = 1;
  /** Shapes computed so far (an object's keys are listed once). */
  readonly #shapes = new Map<object, Shape | undefined>();
  readonly #lines: string[] = [];
  #chars = 0;
  cut = false;

  constructor(limits: TextLimits) {
    this.#limits = limits;
  }

  render(value: unknown): string {
    this.#scan(value);
    this.#block(value, 0, "", "", "");
    const text = this.#lines.join("\n");
    return this.cut
      ? `${text}\n... output cut at ${count(this.#limits.maxChars)} characters ` +
        "(show less with --depth and --items)"
      : text;
  }

  /** The pre-pass: the printing's walk, marking objects reached twice. */
  #scan(top: unknown): void {
    const seen = new Set<object>();
    let visits = 0;
    const stack: [unknown, number][] = [[top, 0]];
    while (stack.length > 0) {
      const [value, depth] = stack.pop()!;
      if (!isObject(value)) continue;
      if (seen.has(value)) {
        this.#shared.add(value);
        continue;
      }
      if (depth > this.#limits.depth) continue;
      const shape = this.#shape(value);
      if (shape === undefined) continue;
      seen.add(value);
      // The printing stops at maxChars, and each object takes 2 characters or more.
      if (++visits > this.#limits.maxChars / 2) return;
      const next: [unknown, number][] = [];
      for (const child of shape.children) {
        for (const inner of childValues(child)) next.push([inner, depth + 1]);
      }
      // Depth-first in the printing's order: the first child on top.
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]);
    }
  }

  #shape(object: object): Shape | undefined {
    if (this.#shapes.has(object)) return this.#shapes.get(object);
    const shape = shapeOf(object, this.#limits);
    this.#shapes.set(object, shape);
    return shape;
  }

  #emit(line: string): void {
    if (this.cut) return;
    this.#lines.push(line);
    this.#chars += line.length + 1;
    if (this.#chars > this.#limits.maxChars) this.cut = true;
  }

  /** A value that prints as one token: a primitive, a reference, a cut container. */
  #token(value: unknown, depth: number): string | Shape {
    const leaf = leafText(value, this.#limits);
    if (leaf !== undefined) return leaf;
    const object = value as object;
    const id = this.#expanded.get(object);
    if (id !== undefined) {
      const kind = this.#open.has(object) ? "Circular" : "Ref";
      return `[${kind}${id > 0 ? ` *${id}` : ""}]`;
    }
    const shape = this.#shape(object)!;
    return depth > this.#limits.depth ? shape.summary : shape;
  }

  /** Marks an object expanded; its label (`<ref *1> `) when it is reached again later. */
  #expand(object: object): string {
    const id = this.#shared.has(object) ? this.#nextId++ : 0;
    this.#expanded.set(object, id);
    this.#journal?.push(object);
    return id > 0 ? `<ref *${id}> ` : "";
  }

  /** The value on one line within `budget` characters, or undefined (and nothing changed). */
  #inline(value: unknown, depth: number, budget: number): string | undefined {
    const outer = this.#journal;
    const journal: object[] = [];
    this.#journal = journal;
    const nextId = this.#nextId;
    const parts: string[] = [];
    const state = { left: budget };
    const fits = this.#inlineInto(value, depth, parts, state);
    this.#journal = outer;
    if (!fits) {
      for (const object of journal) this.#expanded.delete(object);
      this.#nextId = nextId;
      return undefined;
    }
    outer?.push(...journal);
    return parts.join("");
  }

  #inlineInto(
    value: unknown,
    depth: number,
    parts: string[],
    state: { left: number },
  ): boolean {
    const put = (text: string) => {
      parts.push(text);
      state.left -= text.length;
      return state.left >= 0;
    };
    const token = this.#token(value, depth);
    if (typeof token === "string") return put(token);
    const object = value as object;
    if (!put(this.#expand(object))) return false;
    if (token.children.length === 0 && token.more === 0) return put(`${token.open}${token.close}`);
    this.#open.add(object);
    try {
      if (!put(`${token.open} `)) return false;
      for (const [i, child] of token.children.entries()) {
        if (i > 0 && !put(", ")) return false;
        if ("text" in child) {
          if (!put(child.text)) return false;
        } else if ("mapKey" in child) {
          if (!this.#inlineInto(child.mapKey, depth + 1, parts, state) || !put(" => ")) {
            return false;
          }
          if (!this.#inlineInto(child.value, depth + 1, parts, state)) return false;
        } else {
          if (!put(child.label) || !this.#inlineInto(child.value, depth + 1, parts, state)) {
            return false;
          }
        }
      }
      if (token.more > 0 && !put(`, ... ${count(token.more)} more items`)) return false;
      return put(` ${token.close}`);
    } finally {
      this.#open.delete(object);
    }
  }

  /** Prints a value at `indent`, after `lead` and before `trail`, on one line or more. */
  #block(value: unknown, depth: number, indent: string, lead: string, trail: string): void {
    if (this.cut) return;
    const token = this.#token(value, depth);
    if (typeof token === "string") {
      this.#emit(`${indent}${lead}${token}${trail}`);
      return;
    }
    const budget = this.#limits.width - indent.length - lead.length - trail.length;
    const inline = this.#inline(value, depth, Math.max(budget, 16));
    if (inline !== undefined) {
      this.#emit(`${indent}${lead}${inline}${trail}`);
      return;
    }
    const object = value as object;
    this.#emit(`${indent}${lead}${this.#expand(object)}${token.open}`);
    this.#open.add(object);
    const inner = `${indent}  `;
    const last = token.children.length - 1;
    for (const [i, child] of token.children.entries()) {
      if (this.cut) break;
      const comma = i < last || token.more > 0 ? "," : "";
      if ("text" in child) {
        this.#emit(`${inner}${child.text}${comma}`);
      } else if ("mapKey" in child) {
        const room = this.#limits.width - inner.length;
        const key = this.#inline(child.mapKey, depth + 1, Math.max(room, 16));
        if (key !== undefined) {
          this.#block(child.value, depth + 1, inner, `${key} => `, comma);
        } else {
          this.#block(child.mapKey, depth + 1, inner, "", " =>");
          this.#block(child.value, depth + 1, inner, "", comma);
        }
      } else {
        this.#block(child.value, depth + 1, inner, child.label, comma);
      }
    }
    if (token.more > 0) this.#emit(`${inner}... ${count(token.more)} more items`);
    this.#open.delete(object);
    this.#emit(`${indent}${token.close}${trail}`);
  }
}

/**
 * Renders a value as text for people, within `limits` (see the file comment):
 * shared and circular references print once, as `<ref *1>` / `[Ref *1]` /
 * `[Circular *1]`.
 *
 * @param value a decoded value
 * @param limits depth, items, string length, output length and line width
 * @returns the text, at most about `limits.maxChars` characters
 * @throws {RangeError} (a stack overflow) for values nested too deeply for the `depth` given
 */
export function renderText(value: unknown, limits: TextLimits = TEXT_LIMITS): string {
  return new TextRenderer(limits).render(value);
}

// --- JSON -----------------------------------------------------------------------

/** Where a value was printed first: a parent link and one JSON Pointer segment. */
interface Place {
  parent: Place | null;
  segment: string;
}

function pointer(place: Place | null): string {
  const segments: string[] = [];
  for (let at = place; at !== null && at.parent !== null; at = at.parent) {
    segments.push(at.segment.replace(/~/g, "~0").replace(/\//g, "~1"));
  }
  return segments.reverse().map((s) => `/${s}`).join("");
}

function where(place: Place): string {
  const path = pointer(place);
  return path === "" ? "the top" : JSON.stringify(path);
}

function jsonTypeName(value: unknown): string {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "bigint":
      return "a bigint";
    case "number":
      return String(value);
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
  }
  if (value instanceof Date) return "an invalid Date";
  const name = typeName(value as object);
  return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
}

/**
 * Renders a value as JSON for scripts: complete, two-space indents, shared
 * and circular objects as `{"$ref": "#/json/pointer"}` after their first
 * place, Dates as ISO strings.
 *
 * @param value a decoded value
 * @param maxChars the longest output accepted
 * @returns the JSON text
 * @throws {JsonRefusal} for a value JSON cannot hold exactly (naming where it
 *   is), or for output longer than `maxChars`
 * @throws {RangeError} (a stack overflow) for values nested too deeply
 */
export function renderJson(value: unknown, maxChars: number): string {
  const chunks: string[] = [];
  let size = 0;
  const put = (text: string) => {
    chunks.push(text);
    size += text.length;
    if (size > maxChars) {
      throw new JsonRefusal(`the JSON would be longer than ${count(maxChars)} characters`);
    }
  };
  const first = new Map<object, Place>();
  const refuse = (place: Place, found: unknown): never => {
    throw new JsonRefusal(
      `the value at ${where(place)} is ${jsonTypeName(found)}, which JSON cannot hold exactly`,
    );
  };
  const write = (value: unknown, place: Place, indent: string): void => {
    switch (typeof value) {
      case "string":
        return put(JSON.stringify(value));
      case "boolean":
        return put(String(value));
      case "number":
        if (!Number.isFinite(value)) refuse(place, value);
        return put(JSON.stringify(value));
      case "object":
        break;
      default:
        refuse(place, value);
    }
    if (value === null) return put("null");
    const object = value as object;
    const seen = first.get(object);
    if (seen !== undefined) return put(`{"$ref": ${JSON.stringify(`#${pointer(seen)}`)}}`);
    if (object instanceof Date) {
      if (Number.isNaN(object.getTime())) refuse(place, object);
      return put(JSON.stringify(object.toISOString()));
    }
    const prototype = Object.getPrototypeOf(object);
    const inner = `${indent}  `;
    if (Array.isArray(object) && prototype === Array.prototype) {
      first.set(object, place);
      if (object.length === 0) return put("[]");
      put("[\n");
      for (let i = 0; i < object.length; i++) {
        const child = { parent: place, segment: String(i) };
        if (!(i in object)) {
          throw new JsonRefusal(
            `the value at ${where(child)} is an array hole, which JSON cannot hold`,
          );
        }
        put(inner);
        write(object[i], child, inner);
        put(i < object.length - 1 ? ",\n" : "\n");
      }
      return put(`${indent}]`);
    }
    if (prototype !== Object.prototype && prototype !== null) refuse(place, object);
    first.set(object, place);
    const keys = Object.keys(object);
    if (keys.length === 0) return put("{}");
    put("{\n");
    for (const [i, key] of keys.entries()) {
      put(`${inner}${JSON.stringify(key)}: `);
      write((object as Record<string, unknown>)[key], { parent: place, segment: key }, inner);
      put(i < keys.length - 1 ? ",\n" : "\n");
    }
    put(`${indent}}`);
  };
  write(value, { parent: null, segment: "" }, "");
  return chunks.join("");
}
