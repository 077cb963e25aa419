/**
 * The offline guard for everything a browser sends, workers of every kind included (Playwright's
 * routes do not see SharedWorker traffic): Chromium is pointed at this proxy, which answers every
 * non-loopback request with 403 and records it. Loopback bypasses proxies, so the app is served.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Chromium's own background services (component updates, network time, sign-in), which it contacts
 * by itself whatever the page does; still refused, but not counted as the app's attempts. The app
 * never names these hosts.
 */
const BROWSER_SERVICE_HOSTS = new Set(["update.googleapis.com", "clients2.google.com", "accounts.google.com", "content-autofill.googleapis.com"]);

function isBrowserService(target: string): boolean {
  try {
    return BROWSER_SERVICE_HOSTS.has(new URL(target).hostname);
  } catch {
    return false;
  }
}

export interface OfflineProxy {
  url: string;
  /** Every request that tried to leave the machine, in order. */
  attempts: string[];
  close(): Promise<void>;
}

export async function startOfflineProxy(): Promise<OfflineProxy> {
  const attempts: string[] = [];
  const record = (target: string) => isBrowserService(target) || attempts.push(target);
  const server: Server = createServer((req, res) => {
    record(req.url ?? "?");
    res.writeHead(403, { "content-type": "text/plain" });
    res.end("blocked by the AIOS test offline guard");
  });
  server.on("connect", (req, socket) => {
    socket.on("error", () => undefined);
    record(`https://${req.url}`);
    socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
