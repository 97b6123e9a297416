// deno-lint-ignore-file require-await no-unused-vars -- memoised functions
// here are async without awaiting, and keep parameters the key or `nocache`
// reads but the body does not.
// Decorator syntax: run on Deno, Bun and Node through tsx (Node's own type
// stripping does not transform decorators, so the Node 24 run skips this file).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Bucket, type CachedCallInfo, type Memoized, MemoryFileSystem } from "../mod.ts";

describe("memoize as a decorator", () => {
  test("the original's quick look: Method called, Cache used, Method called", async () => {
    const bucket = new Bucket("/quick", { fs: new MemoryFileSystem() });
    const printed: string[] = [];
    class SomeService {
      username: string;
      password: string;
      constructor(username: string, password: string) {
        this.username = username;
        this.password = password;
      }
      @bucket.memoize({ nocache: "skipCache" })
      async expensiveMethod(a: number, b: number, c: number, skipCache = false): Promise<number> {
        printed.push("Method called.");
        return a + b + c;
      }
    }
    // TypeScript keeps the declared method type; the decorated method is a Memoized.
    const method = SomeService.prototype.expensiveMethod as unknown as Memoized<
      [number, number, number, boolean?],
      Promise<number>,
      SomeService
    >;
    method.callback(
      function (this: SomeService, info: CachedCallInfo) {
        assert.ok(this instanceof SomeService, "this is the instance");
        assert.deepEqual(info.args, [1, 2, 3]);
        printed.push("Cache used.");
      },
    );
    const service = new SomeService("user", "pass");
    assert.equal(await service.expensiveMethod(1, 2, 3), 6);
    assert.equal(await service.expensiveMethod(1, 2, 3), 6);
    assert.equal(await service.expensiveMethod(1, 2, 3, true), 6);
    assert.deepEqual(printed, ["Method called.", "Cache used.", "Method called."]);
  });

  test("@bucket.memoize without parentheses; name and length kept; equal state hits", async () => {
    const bucket = new Bucket("/bare", { fs: new MemoryFileSystem() });
    let calls = 0;
    class Calculator {
      base: number;
      constructor(base: number) {
        this.base = base;
      }
      @bucket.memoize
      async add(a: number, b: number): Promise<number> {
        calls++;
        return this.base + a + b;
      }
    }
    assert.equal(Calculator.prototype.add.name, "add");
    assert.equal(Calculator.prototype.add.length, 2);
    assert.equal(await new Calculator(10).add(1, 2), 13);
    assert.equal(await new Calculator(10).add(1, 2), 13);
    assert.equal(calls, 1);
    assert.equal(await new Calculator(20).add(1, 2), 23);
    assert.equal(calls, 2, "different state misses");
  });

  test("methods of different classes never share entries; static methods key on the class", async () => {
    const bucket = new Bucket("/classes", { fs: new MemoryFileSystem() });
    let calls = 0;
    class A {
      @bucket.memoize
      async value(): Promise<string> {
        calls++;
        return "A";
      }
      @bucket.memoize
      static async make(n: number): Promise<number> {
        calls++;
        return n;
      }
    }
    class B {
      @bucket.memoize
      async value(): Promise<string> {
        calls++;
        return "B";
      }
    }
    assert.equal(await new A().value(), "A");
    assert.equal(await new B().value(), "B");
    assert.equal(await new A().value(), "A");
    assert.equal(calls, 2);
    await A.make(1);
    await A.make(1);
    assert.equal(calls, 3);
  });

  test("a method that changes its instance so the key changes rejects", async () => {
    const bucket = new Bucket("/mut", { fs: new MemoryFileSystem() });
    class Counter {
      count = 0;
      @bucket.memoize
      async bump(): Promise<number> {
        return ++this.count;
      }
    }
    await assert.rejects(
      new Counter().bump(),
      /bump changed its instance or arguments while it ran/,
    );
  });

  test("getters become cached Promises", async () => {
    const bucket = new Bucket("/getters", { fs: new MemoryFileSystem() });
    let calls = 0;
    class Order {
      items: number[];
      constructor(items: number[]) {
        this.items = items;
      }
      @bucket.memoize
      get total(): Promise<number> {
        calls++;
        return Promise.resolve(this.items.reduce((a, b) => a + b, 0));
      }
    }
    const order = new Order([1, 2, 3]);
    assert.ok(order.total instanceof Promise);
    assert.equal(await order.total, 6);
    assert.equal(await new Order([1, 2, 3]).total, 6);
    assert.equal(calls, 1);
  });

  test("invalid decorator use: fields, accessors, classes, method: false", () => {
    const bucket = new Bucket("/bad", { fs: new MemoryFileSystem() });
    assert.throws(() => {
      class Field {
        // @ts-expect-error: memoize does not decorate fields
        @bucket.memoize
        value = 1;
      }
      return Field;
    }, /cannot decorate the field value/);
    assert.throws(() => {
      // @ts-expect-error: memoize does not decorate classes
      @bucket.memoize
      class Whole {}
      return Whole;
    }, /cannot decorate the class/);
    assert.throws(() => {
      class Setter {
        // @ts-ignore: memoize does not decorate setters (the type may or may not say so)
        @bucket.memoize
        set value(_v: number) {}
      }
      return Setter;
    }, /cannot decorate the setter/);
    assert.throws(() => bucket.memoize({ method: false }), /leave out method: false/);
  });
});
