// A small stand-in for node:assert/strict where there is none (browsers,
// Cloudflare Workers without nodejs_compat): the assertions the contract
// suite and the browser and Worker tests use, with node:assert's strict
// semantics (Object.is for equal, deep equality by type and prototype).

/** The error a failed assertion throws. */
export class AssertionError extends Error {
  /** The value checked. */
  actual: unknown;
  /** The value expected. */
  expected: unknown;
  /** Always "ERR_ASSERTION". */
  code = "ERR_ASSERTION";
  constructor(message: string, actual?: unknown, expected?: unknown) {
    super(message);
    this.name = "AssertionError";
    this.actual = actual;
    this.expected = expected;
  }
}

const show = (value: unknown): string => {
  try {
    if (value instanceof Uint8Array) {
      return `Uint8Array(${value.length}) [${Array.from(value.subarray(0, 16)).join(", ")}${
        value.length > 16 ? ", …" : ""
      }]`;
    }
    if (typeof value === "bigint") return `${value}n`;
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
};

const fail = (
  message: string | Error | undefined,
  fallback: string,
  actual?: unknown,
  expected?: unknown,
): never => {
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? fallback, actual, expected);
};

function isDeepEqual(a: unknown, b: unknown, seen = new Map<object, object>()): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime());
  if (a instanceof RegExp) return String(a) === String(b);
  if (ArrayBuffer.isView(a)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(
      (b as ArrayBufferView).buffer,
      (b as ArrayBufferView).byteOffset,
      (b as ArrayBufferView).byteLength,
    );
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (a instanceof Map) {
    const other = b as Map<unknown, unknown>;
    if (a.size !== other.size) return false;
    for (const [key, value] of a) {
      if (!other.has(key) || !isDeepEqual(value, other.get(key), seen)) return false;
    }
    return true;
  }
  if (a instanceof Set) {
    const other = b as Set<unknown>;
    if (a.size !== other.size) return false;
    for (const value of a) if (!other.has(value)) return false;
    return true;
  }
  if (a instanceof Error && (a.message !== (b as Error).message || a.name !== (b as Error).name)) {
    return false;
  }
  const keysA = Reflect.ownKeys(a).filter((k) => Object.prototype.propertyIsEnumerable.call(a, k));
  const keysB = Reflect.ownKeys(b).filter((k) => Object.prototype.propertyIsEnumerable.call(b, k));
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.prototype.propertyIsEnumerable.call(b, key)) return false;
    if (
      !isDeepEqual(
        (a as Record<PropertyKey, unknown>)[key],
        (b as Record<PropertyKey, unknown>)[key],
        seen,
      )
    ) {
      return false;
    }
  }
  return true;
}

type Matcher =
  | RegExp
  | ((error: unknown) => unknown)
  | Record<string, unknown>
  | (new (...args: never[]) => unknown);

function checkError(error: unknown, matcher: Matcher | string | undefined, message?: string): void {
  if (matcher === undefined || typeof matcher === "string") return;
  if (matcher instanceof RegExp) {
    if (!matcher.test(String(error instanceof Error ? `${error.name}: ${error.message}` : error))) {
      fail(message, `The error ${show(String(error))} does not match ${matcher}`);
    }
    return;
  }
  if (typeof matcher === "function") {
    if (matcher.prototype !== undefined && error instanceof (matcher as new () => unknown)) return;
    if (Object.prototype.isPrototypeOf.call(Error, matcher) || matcher === Error) {
      fail(message, `The error is not an instance of ${matcher.name}: ${show(String(error))}`);
    }
    const verdict = (matcher as (error: unknown) => unknown)(error);
    if (verdict !== true) {
      fail(message, `The validation function did not return true for ${show(String(error))}`);
    }
    return;
  }
  for (const [key, expected] of Object.entries(matcher)) {
    const actual = (error as Record<string, unknown> | null)?.[key];
    const ok = expected instanceof RegExp && typeof actual === "string"
      ? expected.test(actual)
      : isDeepEqual(actual, expected);
    if (!ok) {
      fail(
        message,
        `The error's ${key} is ${show(actual)}, expected ${show(expected)} (${String(error)})`,
      );
    }
  }
}

interface Assert {
  (value: unknown, message?: string | Error): asserts value;
  ok(value: unknown, message?: string | Error): asserts value;
  equal(actual: unknown, expected: unknown, message?: string | Error): void;
  strictEqual(actual: unknown, expected: unknown, message?: string | Error): void;
  notEqual(actual: unknown, expected: unknown, message?: string | Error): void;
  notStrictEqual(actual: unknown, expected: unknown, message?: string | Error): void;
  deepEqual(actual: unknown, expected: unknown, message?: string | Error): void;
  deepStrictEqual(actual: unknown, expected: unknown, message?: string | Error): void;
  notDeepEqual(actual: unknown, expected: unknown, message?: string | Error): void;
  match(actual: string, pattern: RegExp, message?: string | Error): void;
  doesNotMatch(actual: string, pattern: RegExp, message?: string | Error): void;
  fail(message?: string | Error): never;
  throws(fn: () => unknown, matcher?: Matcher | string, message?: string): void;
  rejects(
    value: Promise<unknown> | (() => Promise<unknown>),
    matcher?: Matcher | string,
    message?: string,
  ): Promise<void>;
  doesNotReject(
    value: Promise<unknown> | (() => Promise<unknown>),
    message?: string,
  ): Promise<void>;
  AssertionError: typeof AssertionError;
  strict: Assert;
}

const assert = ((value: unknown, message?: string | Error) => {
  if (!value) {
    fail(message, `The expression evaluated to a falsy value: ${show(value)}`, value, true);
  }
}) as Assert;

assert.ok = assert;
assert.equal = assert.strictEqual = (actual, expected, message) => {
  if (!Object.is(actual, expected)) {
    fail(message, `Expected ${show(actual)} to equal ${show(expected)}`, actual, expected);
  }
};
assert.notEqual = assert.notStrictEqual = (actual, expected, message) => {
  if (Object.is(actual, expected)) {
    fail(message, `Expected ${show(actual)} not to equal ${show(expected)}`, actual, expected);
  }
};
assert.deepEqual = assert.deepStrictEqual = (actual, expected, message) => {
  if (!isDeepEqual(actual, expected)) {
    fail(
      message,
      `Expected values to be deeply equal:\n${show(actual)}\nshould equal\n${show(expected)}`,
      actual,
      expected,
    );
  }
};
assert.notDeepEqual = (actual, expected, message) => {
  if (isDeepEqual(actual, expected)) {
    fail(message, `Expected ${show(actual)} not to deeply equal it`, actual, expected);
  }
};
assert.match = (actual, pattern, message) => {
  if (typeof actual !== "string" || !pattern.test(actual)) {
    fail(message, `${show(actual)} does not match ${pattern}`, actual, pattern);
  }
};
assert.doesNotMatch = (actual, pattern, message) => {
  if (typeof actual !== "string" || pattern.test(actual)) {
    fail(message, `${show(actual)} matches ${pattern}`, actual, pattern);
  }
};
assert.fail = (message) => fail(message, "Failed");
assert.throws = (fn, matcher, message) => {
  let threw = false;
  let error: unknown;
  try {
    fn();
  } catch (caught) {
    threw = true;
    error = caught;
  }
  if (!threw) fail(typeof matcher === "string" ? matcher : message, "Missing expected exception");
  checkError(error, matcher, message);
};
assert.rejects = async (value, matcher, message) => {
  let threw = false;
  let error: unknown;
  try {
    await (typeof value === "function" ? value() : value);
  } catch (caught) {
    threw = true;
    error = caught;
  }
  if (!threw) fail(typeof matcher === "string" ? matcher : message, "Missing expected rejection");
  checkError(error, matcher, message);
};
assert.doesNotReject = async (value, message) => {
  try {
    await (typeof value === "function" ? value() : value);
  } catch (error) {
    fail(message, `Got unwanted rejection: ${String(error)}`);
  }
};
assert.AssertionError = AssertionError;
assert.strict = assert;

export default assert;
export const {
  ok,
  equal,
  strictEqual,
  notEqual,
  deepEqual,
  deepStrictEqual,
  match,
  rejects,
  throws,
} = assert;
