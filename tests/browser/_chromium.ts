// Headless Chromium for the browser tests: Debian's `chromium` driven by
// puppeteer-core (npm; needs Node ≥ 22), serving bundles from a node:http
// server on 127.0.0.1 (a secure context, as OPFS and Web Locks require).

import { createServer, type Server } from "node:http";
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";

/** Where Chromium is: BUCKETCACHE_CHROMIUM, or Debian's /usr/bin/chromium. */
export const chromiumPath: string = process.env.BUCKETCACHE_CHROMIUM ?? "/usr/bin/chromium";

/** Why the browser tests cannot run in this process, or `undefined` when they can. */
export function browserSkipReason(): string | undefined {
  if ("Deno" in globalThis || "Bun" in globalThis) {
    return "runs in the Node 24 run: puppeteer-core is a package for Node ≥ 22";
  }
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22) {
    return `runs in the Node 24 run: puppeteer-core needs Node ≥ 22, this is ${major}`;
  }
  if (!existsSync(chromiumPath)) {
    return `no Chromium at ${chromiumPath} (apt-get install chromium, or set BUCKETCACHE_CHROMIUM)`;
  }
  return undefined;
}

/** A file the server serves. */
export interface Served {
  type: string;
  body: string;
}

interface PuppeteerPage {
  goto(url: string, options?: Record<string, unknown>): Promise<unknown>;
  reload(options?: Record<string, unknown>): Promise<unknown>;
  waitForFunction(fn: string, options?: Record<string, unknown>): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  on(event: string, listener: (value: unknown) => void): void;
  close(): Promise<void>;
}

interface PuppeteerBrowser {
  newPage(): Promise<PuppeteerPage>;
  close(): Promise<void>;
  createBrowserContext?(): Promise<{ newPage(): Promise<PuppeteerPage>; close(): Promise<void> }>;
}

/** A running server and browser. */
export interface Chromium {
  /** The server's origin, `http://127.0.0.1:<port>`. */
  origin: string;
  /** Opens a page of the default browser context (one OPFS for all of them). */
  newPage(): Promise<PuppeteerPage>;
  /** Console lines and page errors seen so far, for failure messages. */
  log: string[];
  close(): Promise<void>;
}

/** Starts the server (with `files`) and Chromium. */
export async function startChromium(files: Record<string, Served>): Promise<Chromium> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
    const file = files[path];
    if (file === undefined) {
      response.writeHead(404).end("not found");
      return;
    }
    response.writeHead(200, { "content-type": file.type, "cache-control": "no-store" });
    response.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const name = ["puppeteer", "core"].join("-");
  const puppeteer = (await import(name)).default as {
    launch(options: Record<string, unknown>): Promise<PuppeteerBrowser>;
  };
  let browser: PuppeteerBrowser;
  try {
    browser = await puppeteer.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
      protocolTimeout: 600_000,
    });
  } catch (error) {
    server.close();
    throw error;
  }
  const log: string[] = [];
  return {
    origin,
    log,
    async newPage() {
      const page = await browser.newPage();
      page.on(
        "console",
        (message) => log.push(`console: ${(message as { text(): string }).text()}`),
      );
      page.on("pageerror", (error) => log.push(`page error: ${String(error)}`));
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A page that loads `script` as a module. */
export const htmlFor = (script: string): Served => ({
  type: "text/html",
  body: `<!doctype html><meta charset="utf-8"><title>bucketcache</title>` +
    `<script type="module" src="${script}"></script>`,
});

/** A page that runs `script` in a dedicated module worker and keeps what it posts. */
export const workerHtmlFor = (script: string): Served => ({
  type: "text/html",
  body:
    `<!doctype html><meta charset="utf-8"><title>bucketcache worker</title><script type="module">
const worker = new Worker(${JSON.stringify(script)}, { type: "module" });
worker.onmessage = (event) => { globalThis.__results = event.data; };
worker.onerror = (event) => { globalThis.__results = [{ name: "worker", outcome: "fail", ms: 0, error: String(event.message) }]; };
</script>`,
});

/** A JavaScript module. */
export const script = (body: string): Served => ({ type: "text/javascript", body });
