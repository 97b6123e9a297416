// Reading a function's parameter names from its source, for memoize's
// `nocache` and `ignore` options given by name.

/** One parameter: its name (undefined when destructured) and whether it is a rest parameter. */
export interface Parameter {
  name: string | undefined;
  rest: boolean;
}

const IDENTIFIER = /^[A-Za-z_$\u00a0-\uffff][\w$\u00a0-\uffff]*/;

/**
 * The parameters of `fn`, or undefined when its source cannot be read
 * (native and bound functions).
 */
export function readParameters(fn: (...args: never[]) => unknown): Parameter[] | undefined {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) return undefined;
  // `a => …` and `async a => …`
  const bare = source.match(/^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/);
  if (bare && bare[1] !== "async") return [{ name: bare[1], rest: false }];
  const list = parameterList(source);
  if (list === undefined) return undefined;
  return splitTopLevel(list).map(parseParameter).filter((p): p is Parameter => p !== null);
}

/** Skips a string, template or comment starting at `i`; returns the index after it, or i. */
function skipLiteral(source: string, i: number): number {
  const char = source[i];
  if (char === '"' || char === "'") {
    for (let j = i + 1; j < source.length; j++) {
      if (source[j] === "\\") j++;
      else if (source[j] === char) return j + 1;
    }
    return source.length;
  }
  if (char === "`") {
    for (let j = i + 1; j < source.length; j++) {
      if (source[j] === "\\") j++;
      else if (source[j] === "`") return j + 1;
      else if (source[j] === "$" && source[j + 1] === "{") j = skipBalanced(source, j + 1) - 1;
    }
    return source.length;
  }
  if (char === "/" && source[i + 1] === "/") {
    const end = source.indexOf("\n", i);
    return end === -1 ? source.length : end + 1;
  }
  if (char === "/" && source[i + 1] === "*") {
    const end = source.indexOf("*/", i + 2);
    return end === -1 ? source.length : end + 2;
  }
  return i;
}

/** From an opening bracket at `i`, the index after its matching closer. */
function skipBalanced(source: string, i: number): number {
  let depth = 0;
  for (let j = i; j < source.length;) {
    const after = skipLiteral(source, j);
    if (after !== j) {
      j = after;
      continue;
    }
    const char = source[j];
    if (char === "(" || char === "[" || char === "{") depth++;
    else if (char === ")" || char === "]" || char === "}") {
      depth--;
      if (depth === 0) return j + 1;
    } else if (char === "/" && isRegexStart(source, j)) {
      j = skipRegex(source, j);
      continue;
    }
    j++;
  }
  return source.length;
}

/** Whether a `/` at `i` starts a regular expression (judged by the character before it). */
function isRegexStart(source: string, i: number): boolean {
  let k = i - 1;
  while (k >= 0 && /\s/.test(source[k])) k--;
  return k < 0 || "(,=:[!&|?{};+-*%<>~^".includes(source[k]);
}

function skipRegex(source: string, i: number): number {
  let inClass = false;
  for (let j = i + 1; j < source.length; j++) {
    const char = source[j];
    if (char === "\\") j++;
    else if (char === "[") inClass = true;
    else if (char === "]") inClass = false;
    else if (char === "/" && !inClass) return j + 1;
  }
  return source.length;
}

/** The text between the parentheses of the parameter list. */
function parameterList(source: string): string | undefined {
  for (let i = 0; i < source.length;) {
    const after = skipLiteral(source, i);
    if (after !== i) {
      i = after;
      continue;
    }
    const char = source[i];
    if (char === "[") {
      // A computed method name such as [Symbol.iterator].
      i = skipBalanced(source, i);
      continue;
    }
    if (char === "(") return source.slice(i + 1, skipBalanced(source, i) - 1);
    if (char === "{" || char === "=") return undefined;
    i++;
  }
  return undefined;
}

/** Splits on commas outside brackets, strings, templates, comments and regexes. */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < list.length;) {
    const after = skipLiteral(list, i);
    if (after !== i) {
      i = after;
      continue;
    }
    const char = list[i];
    if (char === "(" || char === "[" || char === "{") {
      i = skipBalanced(list, i);
      continue;
    }
    if (char === "/" && isRegexStart(list, i)) {
      i = skipRegex(list, i);
      continue;
    }
    if (char === ",") {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  parts.push(list.slice(start));
  return parts;
}

function stripComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length;) {
    if (text[i] === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
      i = skipLiteral(text, i);
      out += " ";
      continue;
    }
    const after = skipLiteral(text, i);
    out += text.slice(i, Math.max(after, i + 1));
    i = Math.max(after, i + 1);
  }
  return out;
}

function parseParameter(text: string): Parameter | null {
  let part = stripComments(text).trim();
  if (part === "") return null; // a trailing comma
  const rest = part.startsWith("...");
  if (rest) part = part.slice(3).trim();
  if (part.startsWith("{") || part.startsWith("[")) return { name: undefined, rest };
  const name = part.match(IDENTIFIER)?.[0];
  return { name, rest };
}
