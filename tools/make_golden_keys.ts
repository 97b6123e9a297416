// Regenerates tests/golden/keys.json from tests/golden/key_values.ts.
// Review the diff: a changed line for an existing value breaks every cache.

import { createHash } from "node:crypto";
import { DefaultKeyMaker } from "../mod.ts";
import { goldenKeyValues } from "../tests/golden/key_values.ts";

const keys = new DefaultKeyMaker();
const vectors = goldenKeyValues.map(([name, make]) => {
  const bytes = keys.makeKey(make());
  return {
    name,
    hex: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""),
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
});
const path = new URL("../tests/golden/keys.json", import.meta.url);
await Deno.writeTextFile(path, JSON.stringify(vectors, null, 1) + "\n");
console.log(`wrote ${vectors.length} vectors to ${path.pathname}`);
