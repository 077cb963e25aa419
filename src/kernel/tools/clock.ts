/**
 * `clock`: the date and time now (or now plus an offset) in a time zone, with Temporal so that
 * arithmetic is right across daylight-saving changes: adding days keeps the wall-clock time,
 * adding hours and minutes adds exact time. The native Temporal is used where the runtime has one;
 * temporal-polyfill is loaded on first use otherwise.
 */
import { KernelError } from "../errors.ts";
import { Type } from "../schema.ts";
import { defineTool, type ToolDriver } from "./tool.ts";
import type { Temporal as TemporalNamespace } from "temporal-polyfill";

const MAX_ADD = 100_000;
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const amount = (unit: string) => Type.Optional(Type.Integer({ minimum: -MAX_ADD, maximum: MAX_ADD, description: `${unit} to add (negative to go back)` }));

const parameters = Type.Object(
  {
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'An IANA time zone, e.g. "Asia/Tokyo", "Europe/Berlin", "America/New_York" or "UTC". Default: the user\'s own time zone.' })),
    add: Type.Optional(
      Type.Object(
        { days: amount("Days"), hours: amount("Hours"), minutes: amount("Minutes") },
        { additionalProperties: false, description: "An offset from now, e.g. { days: 10 } for the date in 10 days. Adding days keeps the time of day across daylight-saving changes." },
      ),
    ),
  },
  { additionalProperties: false },
);

export interface ClockResult {
  /** "2026-11-29" */
  date: string;
  /** "11:33", 24-hour */
  time: string;
  /** "Sunday" */
  weekday: string;
  timeZone: string;
  /** "+09:00"; "+00:00" for UTC */
  utcOffset: string;
}

type TemporalApi = typeof TemporalNamespace;
let temporal: Promise<TemporalApi> | undefined;

/** The runtime's own Temporal, or the polyfill (loaded once, on first use). */
export function loadTemporal(): Promise<TemporalApi> {
  const native = (globalThis as { Temporal?: TemporalApi }).Temporal;
  if (native) return Promise.resolve(native);
  return (temporal ??= import("temporal-polyfill").then((m) => m.Temporal));
}

/** The runtime's own time zone (the browser's, in the kernel's worker); "UTC" if it has none. */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

function plural(n: number, unit: string): string {
  return `${Math.abs(n)} ${unit}${Math.abs(n) === 1 ? "" : "s"}`;
}

function describeClock(args: { timeZone?: string; add?: { days?: number; hours?: number; minutes?: number } }): string {
  const parts = (["days", "hours", "minutes"] as const).map((k) => [args.add?.[k] ?? 0, k.slice(0, -1)] as const).filter(([n]) => n !== 0);
  const zone = args.timeZone ? ` in ${args.timeZone}` : "";
  if (parts.length === 0) return `the time${zone}`;
  if (parts.every(([n]) => n > 0)) return `the time${zone} in ${parts.map(([n, u]) => plural(n, u)).join(" ")}`;
  if (parts.every(([n]) => n < 0)) return `the time${zone} ${parts.map(([n, u]) => plural(n, u)).join(" ")} ago`;
  return `the time${zone} ${parts.map(([n, u]) => `${n > 0 ? "+" : "-"}${plural(n, u)}`).join(" ")} from now`;
}

/** A clock tool reading the time from `now` (milliseconds since the epoch): injectable for tests. */
export function createClockTool(now: () => number = () => Date.now()): ToolDriver<typeof parameters> {
  return defineTool({
    name: "clock",
    description: "Tells the current date, time and weekday in a time zone (default: the user's own), or the date and time after adding days, hours or minutes.",
    parameters,
    kind: "library",
    flow: { output: "trusted" },
    capability: () => "clock",
    describe: describeClock,
    timeoutMs: 5_000,
    async run(args): Promise<ClockResult> {
      const Temporal = await loadTemporal();
      const zone = args.timeZone ?? localTimeZone();
      let zoned: TemporalNamespace.ZonedDateTime;
      try {
        zoned = Temporal.Instant.fromEpochMilliseconds(now()).toZonedDateTimeISO(zone);
      } catch (error) {
        if (error instanceof RangeError) throw new KernelError("EINVAL", `timeZone: unknown time zone ${zone}`, { cause: error });
        throw error;
      }
      const { days = 0, hours = 0, minutes = 0 } = args.add ?? {};
      try {
        // days are calendar days (same wall-clock time), hours and minutes exact time; one
        // duration cannot mix signs, so each part is added on its own
        zoned = zoned.add({ days }).add({ minutes: hours * 60 + minutes });
      } catch (error) {
        throw new KernelError("EINVAL", `add: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      const pad = (n: number) => String(n).padStart(2, "0");
      return {
        date: zoned.toPlainDate().toString(),
        time: `${pad(zoned.hour)}:${pad(zoned.minute)}`,
        weekday: WEEKDAYS[zoned.dayOfWeek - 1],
        timeZone: zoned.timeZoneId,
        utcOffset: zoned.offset,
      };
    },
  });
}

export const clockTool = createClockTool();
