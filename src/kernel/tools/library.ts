/**
 * The kernel's software tools ("library" drivers): calculator, units, clock, the four files
 * tools, fetch and web.read. (`js` is built in ./js.ts; the kernel adds it.) Heavy libraries
 * (mathjs, the Temporal polyfill, linkedom and Readability) load on a tool's first call.
 */
import { calculatorTool } from "./calculator.ts";
import { createClockTool } from "./clock.ts";
import { createFetchTool } from "./fetch.ts";
import { filesTools } from "./files.ts";
import type { NetworkOptions } from "./network.ts";
import type { ToolDriver } from "./tool.ts";
import { unitsTool } from "./units.ts";
import { createWebReadTool } from "./web-read.ts";

export interface LibraryOptions {
  /** The clock's time source (tests). */
  now?: () => number;
  /** The network tools' fetch and timeout (tests). */
  network?: Omit<NetworkOptions, "corsRefused">;
}

/** Fresh drivers; fetch and web.read share what they learn about hosts that refuse CORS. */
export function libraryTools(options: LibraryOptions = {}): ToolDriver[] {
  const network: NetworkOptions = { ...options.network, corsRefused: new Set() };
  return [calculatorTool, unitsTool, createClockTool(options.now), ...filesTools, createFetchTool(network), createWebReadTool(network)];
}
