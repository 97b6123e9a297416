// Class instances that come back: the `classes` option of Bucket,
// StructuredCloneBackend and MessagePackBackend (issue 20, point 7).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { decode as independentDecode } from "@msgpack/msgpack";
import {
  Backend,
  BackendLoadError,
  Bucket,
  CLASS_NAME,
  type Entry,
  JSONBackend,
  MemoryFileSystem,
  MessagePackBackend,
  StructuredCloneBackend,
} from "../mod.ts";

const HOOK = Symbol.for("bucketcache.class"); // what CLASS_NAME is, for JavaScript classes

let constructed = 0;
class Point {
  x: number;
  y: number;
  constructor(x: number, y: number) {
    constructed++;
    this.x = x;
    this.y = y;
  }
  length(): number {
    return Math.hypot(this.x, this.y);
  }
}

class Tree {
  static [CLASS_NAME] = "test.Tree";
  label: string;
  children: Tree[] = [];
  parent: Tree | null = null;
  constructor(label: string) {
    this.label = label;
  }
  add(child: Tree): this {
    child.parent = this;
    this.children.push(child);
    return this;
  }
}

type AnyBackend = StructuredCloneBackend | MessagePackBackend;
const roundTrip = (writer: AnyBackend, value: unknown, reader: AnyBackend = writer): unknown =>
  reader.load(writer.dump({ value, expirationDate: null })).value;
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

const records: LogRecord[] = [];
const warnings = (text: string) =>
  records.filter((r) =>
    r.level === "warning" && r.category.join(".") === "bucketcache.file" &&
    r.message.join("").includes(text)
  );

before(async () => {
  await configure({
    sinks: { test: (record) => void records.push(record) },
    loggers: [
      { category: ["bucketcache"], lowestLevel: "warning", sinks: ["test"] },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
    ],
    reset: true,
  });
});
after(async () => {
  await reset();
});

describe("the Bucket option classes, with the default backend", () => {
  test("instances come back from the file as instances, without running the constructor", async () => {
    const fs = new MemoryFileSystem();
    const bucket = new Bucket("/cache", { fs, classes: [Point] });
    await bucket.set("p", { start: new Point(3, 4), label: "a" });
    await bucket.unloadKey("p");
    constructed = 0;
    const back = await bucket.get("p") as { start: Point; label: string };
    assert.ok(back.start instanceof Point);
    assert.equal(Object.getPrototypeOf(back.start), Point.prototype);
    assert.equal(back.start.length(), 5, "methods work");
    assert.deepEqual(Object.keys(back.start), ["x", "y"], "own properties, in order");
    assert.equal(constructed, 0, "the constructor did not run");
    const again = new Bucket("/cache", { fs, classes: [Point] });
    assert.ok(((await again.get("p")) as { start: Point }).start instanceof Point);
  });

  test("nested, in arrays, Maps and Sets, shared and circular", () => {
    const backend = new StructuredCloneBackend({ classes: [Point, Tree] });
    const p = new Point(1, 2);
    const root = new Tree("root").add(new Tree("a")).add(new Tree("b").add(new Tree("c")));
    const self = new Point(0, 0) as Point & { me?: unknown; pair?: unknown };
    self.me = self;
    const other = new Point(9, 9) as Point & { pair?: unknown };
    self.pair = other;
    other.pair = self;
    const back = roundTrip(backend, {
      p,
      list: [p, new Point(5, 6), [p]],
      map: new Map<unknown, unknown>([[p, new Set([p, new Point(7, 8)])], ["tree", root]]),
      root,
      self,
    }) as {
      p: Point;
      list: [Point, Point, [Point]];
      map: Map<unknown, unknown>;
      root: Tree;
      self: Point & { me: unknown; pair: Point & { pair: unknown } };
    };
    assert.ok(back.p instanceof Point);
    assert.equal(back.list[0], back.p, "a shared instance stays shared");
    assert.equal(back.list[2][0], back.p);
    assert.ok(back.list[1] instanceof Point && back.list[1].y === 6);
    const [key, set] = [...back.map][0] as [Point, Set<Point>];
    assert.equal(key, back.p, "a Map key");
    const members = [...set];
    assert.equal(members[0], back.p, "a Set member");
    assert.ok(members[1] instanceof Point && members[1].x === 7);
    assert.equal(back.map.get("tree"), back.root);
    assert.ok(back.root instanceof Tree);
    const [a, b] = back.root.children;
    assert.ok(a instanceof Tree && b instanceof Tree && b.children[0] instanceof Tree);
    assert.equal(a.parent, back.root, "circular through the parent");
    assert.equal(b.children[0].parent, b);
    assert.equal(back.self.me, back.self, "an instance that holds itself");
    assert.ok(back.self.pair instanceof Point);
    assert.equal(back.self.pair.pair, back.self, "two instances that hold each other");
    assert.deepStrictEqual(
      roundTrip(backend, [new Point(1, 2), new Point(1, 2)]),
      [new Point(1, 2), new Point(1, 2)],
      "equal but distinct instances stay distinct",
    );
    const top = roundTrip(backend, self) as typeof self;
    assert.ok(top instanceof Point && top.me === top, "a circular instance at the top");
  });

  test("cycles through plain objects, arrays, Maps and Sets that hold instances", () => {
    class Holder {
      back: unknown = null;
    }
    const backend = new StructuredCloneBackend({ classes: [Holder] });
    const containers: [string, (h: Holder) => unknown, (c: unknown) => unknown][] = [
      ["object", (h) => ({ h }), (c) => (c as { h: unknown }).h],
      ["array", (h) => [h], (c) => (c as unknown[])[0]],
      ["Map", (h) => new Map([["h", h]]), (c) => (c as Map<string, unknown>).get("h")],
      ["Set", (h) => new Set([h]), (c) => [...(c as Set<unknown>)][0]],
    ];
    for (const [label, make, pick] of containers) {
      const holder = new Holder();
      const container = make(holder);
      holder.back = container;
      const back = roundTrip(backend, container);
      const inner = pick(back) as Holder;
      assert.ok(inner instanceof Holder, label);
      assert.equal(inner.back, back, label);
    }
    const shared = { z: 1 };
    const [a, b] = [new Holder(), new Holder()];
    a.back = shared;
    b.back = shared;
    const [x, y] = roundTrip(backend, [a, b]) as Holder[];
    assert.equal(x.back, y.back, "a plain object two instances share");
  });

  test("chains of instances a few hundred long", () => {
    // Each registered instance takes a few stack frames to write: chains of
    // them go less deep than chains of plain objects (about 300 to 600 on
    // Node, which stops plain ones at about 1,200).
    class Link {
      next: Link | null = null;
    }
    let chain = new Link();
    for (let i = 0; i < 200; i++) {
      const link = new Link();
      link.next = chain;
      chain = link;
    }
    for (
      const backend of [
        new StructuredCloneBackend({ classes: [Link] }),
        new MessagePackBackend({ classes: [Link] }),
      ]
    ) {
      let back = roundTrip(backend, chain) as Link | null;
      let count = 0;
      for (; back !== null; back = back.next, count++) assert.ok(back instanceof Link);
      assert.equal(count, 201);
    }
  });

  test("properties are defined, as class fields are: setters do not run, __proto__ stays a property", () => {
    let setterCalls = 0;
    class Guarded {
      constructor() {
        Object.defineProperty(this, "value", {
          value: 1,
          writable: true,
          enumerable: true,
          configurable: true,
        });
        Object.defineProperty(this, "__proto__", {
          value: "own",
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
      set value(_: number) {
        setterCalls++;
      }
    }
    for (const backend of [new StructuredCloneBackend({ classes: [Guarded] })]) {
      const back = roundTrip(backend, new Guarded()) as Record<string, unknown>;
      assert.ok(back instanceof Guarded);
      assert.equal(back.value, 1);
      assert.ok(Object.hasOwn(back, "__proto__"));
      assert.equal(Object.getOwnPropertyDescriptor(back, "__proto__")?.value, "own");
      assert.equal(setterCalls, 0);
    }
  });

  test("private fields are not properties: they are neither stored nor restored", () => {
    class Secret {
      #hidden = 42;
      shown = 1;
      hasHidden(): boolean {
        return #hidden in this;
      }
    }
    const back = roundTrip(
      new StructuredCloneBackend({ classes: [Secret] }),
      new Secret(),
    ) as Secret;
    assert.ok(back instanceof Secret);
    assert.equal(back.shown, 1);
    assert.equal(back.hasHidden(), false);
  });

  test("a registered class's toJSON does not matter", () => {
    class Money {
      cents: number;
      constructor(cents: number) {
        this.cents = cents;
      }
      toJSON() {
        return `${this.cents / 100} EUR`;
      }
    }
    for (
      const backend of [
        new StructuredCloneBackend({ classes: [Money] }),
        new MessagePackBackend({ classes: [Money] }),
      ]
    ) {
      const back = roundTrip(backend, { price: new Money(150) }) as { price: Money };
      assert.ok(back.price instanceof Money, backend.constructor.name);
      assert.equal(back.price.cents, 150);
    }
  });

  test("the file names the class by a stable name: Class.name, or the static hook", () => {
    assert.equal(CLASS_NAME, Symbol.for("bucketcache.class"));
    class Renamed {
      static [HOOK] = "test.Tree";
      label = "";
      children: unknown[] = [];
      parent = null;
    }
    const writer = new StructuredCloneBackend({ classes: [Tree] });
    const reader = new StructuredCloneBackend({ classes: [Renamed] });
    const back = roundTrip(writer, new Tree("x"), reader);
    assert.ok(back instanceof Renamed, "the name, not the JavaScript class, is what is stored");
    const bytes = writer.dump({ value: new Tree("x"), expirationDate: null });
    assert.ok(new TextDecoder().decode(bytes).includes("test.Tree"));
    assert.ok(!new TextDecoder().decode(bytes).includes("Renamed"));
  });

  test("a name the reader has not registered loads as a plain object, never as another class", () => {
    class Unrelated {
      x = 0;
      y = 0;
    }
    const writer = new StructuredCloneBackend({ classes: [Point] });
    for (
      const reader of [
        new StructuredCloneBackend(),
        new StructuredCloneBackend({ classes: [Unrelated, Tree] }),
      ]
    ) {
      records.length = 0;
      const back = roundTrip(writer, { p: new Point(1, 2), list: [new Point(3, 4)] }, reader);
      assert.deepStrictEqual(back, { p: { x: 1, y: 2 }, list: [{ x: 3, y: 4 }] });
      const p = (back as { p: object }).p;
      assert.equal(Object.getPrototypeOf(p), Object.prototype);
    }
    const shared = new Point(1, 1) as Point & { me?: unknown };
    shared.me = shared;
    const back = roundTrip(writer, shared, new StructuredCloneBackend()) as { me: unknown };
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.equal(back.me, back, "a circular one too");
  });

  test("a subclass of a registered class is not registered", () => {
    class Point3 extends Point {
      z = 0;
    }
    const back = roundTrip(new StructuredCloneBackend({ classes: [Point] }), new Point3(1, 2));
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(back, { x: 1, y: 2, z: 0 });
  });

  test("entry file names do not change: a bucket without classes reads the same entry", async () => {
    const fs = new MemoryFileSystem();
    const withClasses = new Bucket("/names", { fs, classes: [Point] });
    await withClasses.set({ key: 1 }, new Point(1, 2));
    const plain = new Bucket("/names", { fs });
    assert.deepEqual(await plain.get({ key: 1 }), { x: 1, y: 2 });
    assert.equal(
      (await withClasses.explain({ key: 1 })).file,
      (await plain.explain({ key: 1 })).file,
    );
  });

  test("memoised functions return instances", async () => {
    const fs = new MemoryFileSystem();
    let calls = 0;
    const make = (bucket: Bucket) =>
      bucket.memoize(function make(x: number) {
        calls++;
        return new Point(x, 0);
      });
    await make(new Bucket("/memo", { fs, classes: [Point] }))(2);
    const back = await make(new Bucket("/memo", { fs, classes: [Point] }))(2);
    assert.equal(calls, 1, "the second bucket read the file");
    assert.ok(back instanceof Point);
    assert.equal(back.length(), 2);
  });
});

describe("MessagePackBackend classes", () => {
  const backend = new MessagePackBackend({ classes: [Point, Tree] });

  test("instances come back; the file stays standard MessagePack", () => {
    const value = { a: [new Point(1, 2), { q: new Point(5, 6) }], t: new Tree("leaf") };
    const back = roundTrip(backend, value) as { a: [Point, { q: Point }]; t: Tree };
    assert.ok(back.a[0] instanceof Point && back.a[0].y === 2);
    assert.ok(back.a[1].q instanceof Point && back.a[1].q.length() === Math.hypot(5, 6));
    assert.ok(back.t instanceof Tree && back.t.label === "leaf");
    const bytes = backend.dump({ value: new Point(3, 4), expirationDate: null });
    const ext = independentDecode(bytes) as { type: number; data: Uint8Array };
    assert.equal(ext.type, 0x38, "extension type 56");
    assert.deepEqual(independentDecode(ext.data), ["Point", { x: 3, y: 4 }]);
  });

  test("instances inside instances", () => {
    const root = new Tree("root");
    const child = new Tree("child");
    root.children.push(child);
    const back = roundTrip(backend, root) as Tree;
    assert.ok(back instanceof Tree && back.children[0] instanceof Tree);
    assert.equal(back.children[0].label, "child");
  });

  test("shared instances come back as copies, cycles are a TypeError, as for any value", () => {
    const p = new Point(1, 1);
    const back = roundTrip(backend, [p, p]) as Point[];
    assert.ok(back[0] instanceof Point && back[1] instanceof Point);
    assert.notEqual(back[0], back[1]);
    assert.throws(
      () => backend.dump({ value: new Tree("r").add(new Tree("c")), expirationDate: null }),
      /circular reference at value\.children\[0\]\.parent/,
    );
  });

  test("with mapsAsObjects: false, lossy and other options", () => {
    const maps = new MessagePackBackend({ classes: [Point], mapsAsObjects: false });
    const back = roundTrip(maps, new Map([["p", new Point(1, 2)]])) as Map<string, Point>;
    assert.ok(back.get("p") instanceof Point);
    assert.deepEqual(Object.keys(back.get("p")!), ["x", "y"]);
    const lossy = new MessagePackBackend({ classes: [Point], lossy: true });
    const set = roundTrip(lossy, new Set([new Point(-0, 2)])) as Point[];
    assert.ok(set[0] instanceof Point && Object.is(set[0].x, 0), "converted as lossy says");
    const floats = new MessagePackBackend({ classes: [Point], useFloat32: 1 });
    assert.equal(
      (roundTrip(floats, new Point(1.5, 0)) as Point).x,
      1.5,
      "the payload is encoded with the backend's options",
    );
  });

  test("a name the reader has not registered loads as a plain object", () => {
    const back = roundTrip(backend, { p: new Point(1, 2) }, new MessagePackBackend());
    assert.deepStrictEqual(back, { p: { x: 1, y: 2 } });
  });

  test("through a bucket", async () => {
    const fs = new MemoryFileSystem();
    const bucket = new Bucket("/mp", { fs, backend: MessagePackBackend, classes: [Point] });
    await bucket.set("p", [new Point(3, 4)]);
    await bucket.unloadKey("p");
    const [p] = await bucket.get("p") as Point[];
    assert.ok(p instanceof Point && p.length() === 5);
    const viaConfig = new Bucket("/mp", {
      fs,
      backend: MessagePackBackend,
      config: { classes: [Point] },
    });
    assert.ok(((await viaConfig.get("p")) as Point[])[0] instanceof Point);
  });
});

describe("damaged class data is a BackendLoadError", () => {
  test("StructuredCloneBackend", () => {
    const backend = new StructuredCloneBackend({ classes: [Point] });
    for (
      const bytes of [
        [0xd4, 0x35, 0x00, 0x05], // a reference to an instance never read
        [0xd4, 0x35, 0x00, 0x92, 0x01, 0x80], // a name that is not a string
        [0xd4, 0x35, 0x00, 0xc0], // neither
        [0xd4, 0x35, 0x00, 0x92, 0xa1, 0x50, 0x05], // a head with no properties after it
      ]
    ) {
      assert.throws(
        () => backend.load(new Uint8Array(bytes)),
        BackendLoadError,
        hex(new Uint8Array(bytes)),
      );
    }
  });

  test("MessagePackBackend", () => {
    const backend = new MessagePackBackend({ classes: [Point] });
    for (
      const bytes of [
        [0xd6, 0x38, 0x92, 0x01, 0x02, 0x03], // [1, 2, 3]: no name
        [0xd4, 0x38, 0x00], // one byte of payload
        [0xd6, 0x38, 0x92, 0xa1, 0x50, 0x05], // ["P", 5]: properties that are not a map
      ]
    ) {
      assert.throws(
        () => backend.load(new Uint8Array(bytes)),
        BackendLoadError,
        hex(new Uint8Array(bytes)),
      );
    }
  });
});

describe("bytes and names", () => {
  test("values without registered classes are written exactly as without classes", () => {
    const cycle: Record<string, unknown> = { n: 1 };
    cycle.self = cycle;
    class Loose {
      a = 1;
    }
    const values: unknown[] = [
      { a: [1, -2, 3.5, "four", null, true], nested: { deep: [{}] } },
      [new Date(0), new Map([[1, new Set(["x"])]]), -0, [1, , 3], 2n ** 40n],
      cycle,
      new Loose(),
    ];
    const pairs: [AnyBackend, AnyBackend][] = [
      [new StructuredCloneBackend(), new StructuredCloneBackend({ classes: [Point, Tree] })],
      [
        new MessagePackBackend({ lossy: true }),
        new MessagePackBackend({ lossy: true, classes: [Point] }),
      ],
    ];
    for (const [plain, registered] of pairs) {
      for (const value of values) {
        if (value === cycle && plain instanceof MessagePackBackend) continue;
        assert.equal(
          hex(registered.dump({ value, expirationDate: null })),
          hex(plain.dump({ value, expirationDate: null })),
        );
      }
    }
  });

  test("the bytes of a registered instance", () => {
    assert.equal(
      hex(new StructuredCloneBackend({ classes: [Point] }).dump({
        value: new Point(1, 2),
        expirationDate: null,
      })),
      "d4350092a5506f696e74d4724092a178a1790102",
    );
    assert.equal(
      hex(new MessagePackBackend({ classes: [Point] }).dump({
        value: new Point(1, 2),
        expirationDate: null,
      })),
      "c70e3892a5506f696e7482a17801a17902",
    );
  });
});

describe("what classes accepts", () => {
  test("two classes with one name are a TypeError", () => {
    const First = class Same {};
    const Second = class Same {};
    for (const make of [(c: unknown) => new StructuredCloneBackend({ classes: c as never })]) {
      assert.throws(() => make([First, Second]), {
        name: "TypeError",
        message: /two classes are named "Same"/,
      });
    }
    class Hooked {
      static [HOOK] = "Point";
    }
    assert.throws(
      () => new Bucket("/x", { fs: new MemoryFileSystem(), classes: [Point, Hooked] }),
      /two classes are named "Point"/,
    );
    assert.throws(
      () => new MessagePackBackend({ classes: [Point, Hooked] }),
      /MessagePackBackend config classes: two classes are named "Point"/,
    );
    new StructuredCloneBackend({ classes: [Point, Point] }); // one class twice is one registration
  });

  test("what is not a class of your own is a TypeError", () => {
    class OwnMap extends Map {}
    class BadHook {
      static [HOOK] = 5;
    }
    const cases: [unknown, RegExp][] = [
      [Point, /must be an array of classes/],
      [[() => 1], /classes\[0\] must be a class, got function without a prototype/],
      [[{}], /classes\[0\] must be a class, got object/],
      [[null], /must be a class, got null/],
      [[Map], /Map is a built-in type/],
      [[Date], /Date is a built-in type/],
      [[OwnMap], /OwnMap extends Map, which is a built-in type/],
      [[class {}], /is an anonymous class/],
      [
        [BadHook],
        /static \[CLASS_NAME\] \(Symbol\.for\("bucketcache\.class"\)\) must be a non-empty string/,
      ],
    ];
    for (const [classes, message] of cases) {
      assert.throws(
        () => new StructuredCloneBackend({ classes: classes as never }),
        (error: Error) => {
          assert.ok(error instanceof TypeError, String(error));
          assert.match(error.message, message);
          return true;
        },
      );
    }
  });

  test("backends that cannot restore classes, and backend instances, say what to do", () => {
    const fs = new MemoryFileSystem();
    assert.throws(
      () => new Bucket("/x", { fs, backend: JSONBackend, classes: [Point] }),
      /JSONBackend cannot restore class instances/,
    );
    class TextBackend extends Backend {
      readonly fileExtension = "txt";
      readonly binaryFormat = false;
      dump(entry: Entry): string {
        return String(entry.value);
      }
      load(data: Uint8Array): Entry {
        return { value: new TextDecoder().decode(data), expirationDate: null };
      }
    }
    assert.throws(
      () => new Bucket("/x", { fs, backend: TextBackend, classes: [Point] }),
      /TextBackend cannot restore class instances/,
    );
    assert.throws(
      () => new Bucket("/x", { fs, backend: new MessagePackBackend(), classes: [Point] }),
      /pass classes to its constructor instead \(new MessagePackBackend\(\{ classes: \[\.\.\.\] \}\)\)/,
    );
    assert.throws(
      () =>
        new Bucket("/x", {
          fs,
          backend: MessagePackBackend,
          config: { classes: [Point] },
          classes: [Point],
        }),
      /Give classes once/,
    );
    assert.throws(() => new Bucket("/x", { fs, classes: "Point" as never }), /must be an array/);
    const instance = new StructuredCloneBackend({ classes: [Point] });
    const bucket = new Bucket("/x", { fs, backend: instance });
    assert.equal(bucket.backend, instance, "an instance configured with classes is fine");
  });
});

describe("warnings", () => {
  test("an unregistered class instance logs one warning per class", () => {
    class Loose {
      a = 1;
    }
    class Other {
      b = 2;
    }
    class Priced {
      toJSON() {
        return "priced";
      }
    }
    const backend = new StructuredCloneBackend({ classes: [Point] });
    records.length = 0;
    for (let i = 0; i < 3; i++) {
      backend.dump({
        value: { list: [new Loose(), new Loose()], p: new Point(1, 2) },
        expirationDate: null,
      });
    }
    new MessagePackBackend().dump({ value: new Loose(), expirationDate: null });
    const loose = warnings("an instance of Loose");
    assert.equal(loose.length, 1, "once per class, whatever the backend");
    const text = loose[0].message.join("");
    assert.match(text, /StructuredCloneBackend stores an instance of Loose at value\.list\[0\]/);
    assert.match(text, /comes back as a plain object/);
    assert.match(text, /new Bucket\(dir, \{ classes: \[Loose\] \}\)/);
    assert.equal(loose[0].properties.className, "Loose");
    assert.equal(warnings("Point").length, 0, "registered classes are not warned about");
    new MessagePackBackend().dump({ value: [new Other()], expirationDate: null });
    assert.match(
      warnings("an instance of Other")[0].message.join(""),
      /MessagePackBackend stores an instance of Other at value\[0\]/,
    );
    new StructuredCloneBackend().dump({ value: new Priced(), expirationDate: null });
    assert.match(warnings("Priced")[0].message.join(""), /as what its toJSON\(\) returns/);
    assert.equal(
      new StructuredCloneBackend().load(
        new StructuredCloneBackend().dump({ value: new Priced(), expirationDate: null }),
      ).value,
      "priced",
      "as msgpackr writes it (unchanged)",
    );
  });

  test("a class name the reader has not registered logs one warning per name", () => {
    class Rare {
      static [HOOK] = "test.Rare";
      r = 1;
    }
    const writer = new StructuredCloneBackend({ classes: [Rare] });
    const reader = new StructuredCloneBackend();
    records.length = 0;
    roundTrip(writer, [new Rare(), new Rare()], reader);
    roundTrip(writer, new Rare(), reader);
    const found = warnings('stored as "test.Rare"');
    assert.equal(found.length, 1);
    assert.match(found[0].message.join(""), /reads as a plain object/);
  });

  test("plain values log nothing", () => {
    records.length = 0;
    roundTrip(new StructuredCloneBackend(), { a: [1, new Date(0), new Map([[1, 2]])] });
    roundTrip(new MessagePackBackend(), { a: [1, new Date(0)] });
    assert.equal(records.length, 0);
  });
});
