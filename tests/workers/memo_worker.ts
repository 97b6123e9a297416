// A Worker that memoises a call with a Bucket on Workers KV. Each request
// makes its own Bucket (and so its own memory layer): a second request, or
// a request to a restarted workerd with the same KV storage, gets a hit
// from KV. GET /memo?word=… answers { calls, value, hit }.

import { Bucket } from "../../mod.ts";
import { WorkersKVFileSystem, type WorkersKVNamespace } from "../../workers-kv.ts";

export default {
  async fetch(request: Request, env: { KV: WorkersKVNamespace }): Promise<Response> {
    const url = new URL(request.url);
    try {
      const fs = new WorkersKVFileSystem(env.KV, { prefix: "memo:" });
      const bucket = new Bucket("/pages", { fs, hours: 1, memory: url.searchParams.has("memory") });
      let calls = 0;
      const render = bucket.memoize(async (word: string) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { word, html: `<h1>${word}</h1>`, renderedAt: Date.now() };
      }, { name: "render" });
      const value = await render(url.searchParams.get("word") ?? "hello");
      return Response.json({ calls, value, stats: bucket.stats() });
    } catch (error) {
      return Response.json({
        error: error instanceof Error
          ? `${error.name}: ${error.message}\n${error.stack}`
          : String(error),
      }, { status: 500 });
    }
  },
};
