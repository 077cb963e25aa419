/**
 * Typed kernel errors. Every failure that crosses the kernel boundary is a KernelError with a
 * stable `code` and a human message; workers/ teaches comlink to carry `code` to the page intact.
 */
export type ErrorCode =
  | "EINVAL" // malformed argument; the message names the field
  | "ENOENT" // unknown model, request or resource
  | "EBUSY" // the resource is in use (e.g. a model load is already running)
  | "EKILLED" // the process was killed or has exited; its requests are cancelled
  | "EQUOTA" // a process quota is exhausted; the message says which
  | "ENOSYS" // no such system call
  | "EPERM" // not allowed for this caller
  | "ELOAD" // a model failed to download or initialise
  | "ENOTSUP" // the engine or browser cannot do this
  | "ENOTREADY" // the kernel has no model loaded yet
  | "EIO" // storage (IndexedDB) or a tool's I/O (the network) failed
  | "ETIMEDOUT" // a tool call (or a consent prompt) took longer than its limit
  | "ENODEV" // no open tab can serve this device
  | "ECANCELED" // the user cancelled (a file picker, a save dialog)
  | "ENOSPC" // not enough storage left (a download that cannot fit in the browser's quota)
  | "EEXIST" // it exists already (an app with that id is installed)
  | "EAGAIN" // not now: a mailbox is full (back-pressure); try again later
  | "EINTERNAL"; // a bug: an unexpected exception, wrapped so it keeps its message

const CODES: ReadonlySet<string> = new Set<ErrorCode>(["EINVAL", "ENOENT", "EBUSY", "EKILLED", "EQUOTA", "ENOSYS", "EPERM", "ELOAD", "ENOTSUP", "ENOTREADY", "EIO", "ETIMEDOUT", "ENODEV", "ECANCELED", "ENOSPC", "EEXIST", "EAGAIN", "EINTERNAL"]);

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && CODES.has(code);
}

export class KernelError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KernelError";
    this.code = code;
  }
}

/** Wraps any thrown value as a KernelError, keeping an existing code. */
export function toKernelError(error: unknown, fallback: ErrorCode = "EINTERNAL"): KernelError {
  if (error instanceof KernelError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return new KernelError(isErrorCode(code) ? code : fallback, message, { cause: error });
}
