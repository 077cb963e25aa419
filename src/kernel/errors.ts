/**
 * Typed kernel errors. Every failure that crosses the kernel boundary is a KernelError with a
 * stable `code` and a human message; workers/ teaches comlink to carry `code` to the page intact.
 */
export type ErrorCode =
  | "EINVAL" // malformed argument; the message names the field
  | "ENOENT" // unknown model, request or resource
  | "EBUSY" // the resource is in use (e.g. a model load is already running)
  | "EABORT" // interrupted by the caller
  | "ELOAD" // a model failed to download or initialise
  | "ENOTSUP" // the engine or browser cannot do this
  | "ENOTREADY" // the kernel has no model loaded yet
  | "EINTERNAL"; // a bug: an unexpected exception, wrapped so it keeps its message

export class KernelError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KernelError";
    this.code = code;
  }
}

export function isKernelError(error: unknown): error is KernelError {
  return error instanceof KernelError || (error instanceof Error && typeof (error as { code?: unknown }).code === "string");
}

/** Wraps any thrown value as a KernelError, keeping an existing code. */
export function toKernelError(error: unknown, fallback: ErrorCode = "EINTERNAL"): KernelError {
  if (error instanceof KernelError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = isKernelError(error) ? ((error as KernelError).code ?? fallback) : fallback;
  return new KernelError(code, message, { cause: error });
}
