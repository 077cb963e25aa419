/**
 * comlink's default "throw" handler sends only name, message and stack, dropping a KernelError's
 * `code`. This one sends every own enumerable field too; the page-side default deserializer
 * already copies them back onto a new Error. Installed on the worker side.
 */
import * as Comlink from "comlink";

export function installErrorTransfer(): void {
  const base = Comlink.transferHandlers.get("throw")!;
  Comlink.transferHandlers.set("throw", {
    canHandle: base.canHandle,
    serialize({ value }: { value: unknown }) {
      if (value instanceof Error) {
        const fields: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) if (isCloneable(v)) fields[k] = v;
        return [{ isError: true, value: { ...fields, message: value.message, name: value.name, stack: value.stack } }, []];
      }
      return [{ isError: false, value }, []];
    },
    deserialize: base.deserialize,
  } as Comlink.TransferHandler<unknown, unknown>);
}

function isCloneable(value: unknown): boolean {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}
