// A Worker that answers GET /golden with tests/fixtures/bundle_entry.ts's
// run() — the golden key vectors, file names and a memoised call, computed in
// workerd without nodejs_compat — for tests/workers_kv.test.ts to check.

import { run } from "../fixtures/bundle_entry.ts";

export default {
  async fetch(): Promise<Response> {
    try {
      return Response.json(await run());
    } catch (error) {
      return Response.json({
        error: error instanceof Error
          ? `${error.name}: ${error.message}\n${error.stack}`
          : String(error),
      });
    }
  },
};
