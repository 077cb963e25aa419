/**
 * The tool registry: every tool the kernel can run, by name. A tool's declaration (name,
 * description, JSON Schema of its arguments) is exactly the OpenAI `tools` entry a model is shown.
 *
 * Invariants: names are unique and match `^[a-z][a-z0-9_.-]{0,63}$`; a tool is added once (a
 * second driver of the same name is a bug, not an override).
 */
import type { ToolSpec } from "../engine.ts";
import { KernelError } from "../errors.ts";
import type { ToolDriver, ToolInfo } from "./tool.ts";

const NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

export class ToolRegistry {
  private readonly drivers = new Map<string, ToolDriver>();

  add(...drivers: ToolDriver[]): this {
    for (const driver of drivers) {
      if (!NAME.test(driver.name)) throw new KernelError("EINVAL", `tool name ${driver.name}: must match ${NAME.source}`);
      if (this.drivers.has(driver.name)) throw new KernelError("EBUSY", `a tool named ${driver.name} is already registered`);
      this.drivers.set(driver.name, driver as ToolDriver);
    }
    return this;
  }

  /** Removes a tool (an MCP server's, when it is disconnected). */
  remove(name: string): boolean {
    return this.drivers.delete(name);
  }

  /** The tool named `name`, if there is one. */
  find(name: string): ToolDriver | undefined {
    return this.drivers.get(name);
  }

  get(name: string): ToolDriver {
    const driver = this.find(name);
    if (!driver) throw new KernelError("ENOENT", `no tool ${String(name).slice(0, 80)} (see aios.tools.list())`);
    return driver;
  }

  all(): ToolDriver[] {
    return [...this.drivers.values()];
  }

  /** The capability a tool needs, as the user reads it ("network:<host>" where it depends on the call). */
  capabilityLabel(driver: ToolDriver): string {
    if (driver.capabilityLabel) return driver.capabilityLabel;
    try {
      return driver.capability({} as never);
    } catch {
      return driver.name;
    }
  }

  list(): ToolInfo[] {
    return this.all().map((d) => ({ name: d.name, description: d.description, parameters: structuredClone(d.parameters) as unknown, capability: this.capabilityLabel(d), kind: d.kind }));
  }

  /** The OpenAI `tools` entry for a tool. */
  spec(name: string): ToolSpec {
    const d = this.get(name);
    return { type: "function", function: { name: d.name, description: d.description, parameters: structuredClone(d.parameters) as unknown as Record<string, unknown> } };
  }

  /** Every capability some tool may need, named exactly ("network:<host>" stays a pattern). */
  capabilities(): Set<string> {
    return new Set(this.all().flatMap((d) => [this.capabilityLabel(d), ...(d.capabilities ?? [])]));
  }

  /** Capability families some tool needs (what a process may declare): "calculator", "network", … */
  families(): Set<string> {
    return new Set(this.all().map((d) => this.capabilityLabel(d).split(":")[0]!));
  }
}
