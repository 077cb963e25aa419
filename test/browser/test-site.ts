/**
 * A small web site on loopback for the network tools' tests: two article pages, a JSON API, an echo
 * for POST, and a page that does not allow cross-origin reads (no CORS header).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";

export const KYOTO_HTML = `<!doctype html><html><head><title>Kyoto in autumn</title></head><body><nav>Home | About</nav><article><h1>Kyoto in autumn</h1>
  <p>Maple leaves turn red in November, and the temples of the eastern hills are busy from dawn until the gates close at dusk.</p>
  <p>Arrive early at Tofuku-ji: the bridge over the valley is the best place to see the leaves, and it fills up within an hour of opening.</p>
  <p>In the evening the lanterns along the Philosopher's Path are lit, and the canal reflects them all the way down to Nanzen-ji.</p></article></body></html>`;

/** A short page shaped like the pages the embedded model was trained to summarise (title, then
 * "City is … in season." and a few short sentences), for the test of the model in the loop. */
export const TRAVEL_HTML = `<!doctype html><html><head><title>Kyoto in autumn</title></head><body><nav>Home | About</nav><article><h1>Kyoto in autumn</h1>
  <p>Kyoto is beautiful in autumn. Many people visit the temple. Tickets cost 12 euros.</p></article><footer>Contact us</footer></body></html>`;

export interface TestSite {
  origin: string;
  close(): Promise<void>;
}

export async function startTestSite(): Promise<TestSite> {
  const server: Server = createServer((req, res) => {
    const cors = { "access-control-allow-origin": "*" };
    if (req.url === "/kyoto.html") {
      res.writeHead(200, { "content-type": "text/html", ...cors });
      res.end(KYOTO_HTML);
    } else if (req.url === "/travel.html") {
      res.writeHead(200, { "content-type": "text/html", ...cors });
      res.end(TRAVEL_HTML);
    } else if (req.url === "/api/status") {
      res.writeHead(200, { "content-type": "application/json", ...cors });
      res.end(JSON.stringify({ ok: true }));
    } else if (req.url === "/echo" && req.method === "POST") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/plain", ...cors });
        res.end(`got ${body}`);
      });
    } else if (req.url === "/blank.html") {
      // A page of another website (the bridge tests load the OS's SDK into it).
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><html><head><title>Another website</title></head><body><h1>Another website</h1></body></html>");
    } else if (req.url === "/no-cors") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("you may not read me from another origin");
    } else {
      res.writeHead(404, { "content-type": "text/plain", ...cors });
      res.end("not here");
    }
  });
  // A port like those in the URLs the embedded model was trained on (it copies a URL's port digit
  // by digit; it saw these ports most): the first free one of them, else a random four-digit port.
  const trained = [8123, 8000, 8080, 3000, 5173, 4000, 9000, 8888, 5000, 8081, 3001, 7000];
  for (let attempt = 0; ; attempt++) {
    const port = attempt < trained.length ? trained[attempt]! : 4000 + Math.floor(Math.random() * 6000);
    const ok = await new Promise<boolean>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" && attempt < 60 ? resolve(false) : reject(e));
      server.once("error", onError);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", onError);
        resolve(true);
      });
    });
    if (ok) break;
  }
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The site for one test file: started before its tests, closed after; returns its origin. */
export function useTestSite(): () => string {
  let site: TestSite | undefined;
  beforeAll(async () => {
    site = await startTestSite();
  });
  afterAll(() => site?.close());
  return () => site!.origin;
}
