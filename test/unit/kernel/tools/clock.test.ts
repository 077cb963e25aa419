// The clock tool with an injected time: zones, offsets, weekdays and arithmetic across DST changes.
import { describe, expect, it } from "vitest";
import { Temporal } from "temporal-polyfill";
import { validate } from "../../../../src/kernel/schema.ts";
import { clockTool, createClockTool, loadTemporal, localTimeZone } from "../../../../src/kernel/tools/clock.ts";
import { call } from "./context.ts";

const at = (iso: string) => createClockTool(() => Date.parse(iso));

describe("clock", () => {
  it("tells the date, 24-hour time, weekday and offset in a zone", async () => {
    const clock = at("2026-11-29T02:33:00Z");
    expect(await call(clock, { timeZone: "Asia/Tokyo" })).toEqual({ date: "2026-11-29", time: "11:33", weekday: "Sunday", timeZone: "Asia/Tokyo", utcOffset: "+09:00" });
    expect(await call(clock, { timeZone: "UTC" })).toEqual({ date: "2026-11-29", time: "02:33", weekday: "Sunday", timeZone: "UTC", utcOffset: "+00:00" });
    expect(await call(clock, { timeZone: "America/Los_Angeles" })).toEqual({ date: "2026-11-28", time: "18:33", weekday: "Saturday", timeZone: "America/Los_Angeles", utcOffset: "-08:00" });
    expect(await call(clock, { timeZone: "Asia/Kolkata" })).toMatchObject({ time: "08:03", utcOffset: "+05:30" });
    expect(await call(clock, { timeZone: "Australia/Sydney" })).toMatchObject({ date: "2026-11-29", time: "13:33", utcOffset: "+11:00" });
  });

  it("defaults to the runtime's own time zone", async () => {
    const result = (await call(at("2026-11-29T02:33:00Z"), {})) as { timeZone: string };
    expect(result.timeZone).toBe(localTimeZone());
    expect(localTimeZone()).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it("adds days keeping the wall-clock time across the start of summer time (Europe/Berlin, end of March)", async () => {
    // Saturday 28 March 2026, 11:30 CET; clocks go from 02:00 to 03:00 on Sunday 29 March
    const clock = at("2026-03-28T10:30:00Z");
    expect(await call(clock, { timeZone: "Europe/Berlin" })).toEqual({ date: "2026-03-28", time: "11:30", weekday: "Saturday", timeZone: "Europe/Berlin", utcOffset: "+01:00" });
    expect(await call(clock, { timeZone: "Europe/Berlin", add: { days: 1 } })).toEqual({ date: "2026-03-29", time: "11:30", weekday: "Sunday", timeZone: "Europe/Berlin", utcOffset: "+02:00" });
    // 24 hours is exact time: one wall-clock hour later
    expect(await call(clock, { timeZone: "Europe/Berlin", add: { hours: 24 } })).toMatchObject({ date: "2026-03-29", time: "12:30", utcOffset: "+02:00" });
    expect(await call(clock, { timeZone: "Europe/Berlin", add: { days: 1, hours: -9, minutes: 5 } })).toMatchObject({ date: "2026-03-29", time: "01:35", utcOffset: "+01:00" });
  });

  it("adds days keeping the wall-clock time across the end of summer time (America/New_York, November)", async () => {
    // Saturday 31 October 2026, 12:00 EDT; clocks go from 02:00 back to 01:00 on Sunday 1 November
    const clock = at("2026-10-31T16:00:00Z");
    expect(await call(clock, { timeZone: "America/New_York" })).toEqual({ date: "2026-10-31", time: "12:00", weekday: "Saturday", timeZone: "America/New_York", utcOffset: "-04:00" });
    expect(await call(clock, { timeZone: "America/New_York", add: { days: 1 } })).toEqual({ date: "2026-11-01", time: "12:00", weekday: "Sunday", timeZone: "America/New_York", utcOffset: "-05:00" });
    expect(await call(clock, { timeZone: "America/New_York", add: { hours: 24 } })).toMatchObject({ date: "2026-11-01", time: "11:00", utcOffset: "-05:00" });
    expect(await call(clock, { timeZone: "America/New_York", add: { days: -7 } })).toMatchObject({ date: "2026-10-24", time: "12:00", weekday: "Saturday", utcOffset: "-04:00" });
  });

  it("goes far within the bounds", async () => {
    const clock = at("2026-01-01T00:00:00Z");
    expect(await call(clock, { timeZone: "UTC", add: { days: 100_000 } })).toMatchObject({ date: "2299-10-17" });
    expect(await call(clock, { timeZone: "UTC", add: { minutes: -100_000 } })).toMatchObject({ date: "2025-10-23", time: "13:20" });
  });

  it("refuses an unknown zone and malformed offsets with EINVAL naming the field", async () => {
    await expect(call(clockTool, { timeZone: "Mars/Olympus_Mons" })).rejects.toMatchObject({ code: "EINVAL", message: "timeZone: unknown time zone Mars/Olympus_Mons" });
    const bad: [unknown, RegExp][] = [
      [{ add: { days: 100_001 } }, /^args\.add\.days: /],
      [{ add: { hours: 1.5 } }, /^args\.add\.hours: /],
      [{ add: { weeks: 1 } }, /^args\.add\.weeks: unknown field$/],
      [{ timeZone: "" }, /^args\.timeZone: /],
      [{ timeZone: 9 }, /^args\.timeZone: /],
      [{ zone: "UTC" }, /^args\.zone: unknown field$/],
    ];
    for (const [args, message] of bad) expect(() => validate(clockTool.parameters, args, "args")).toThrow(message);
  });

  it("uses the runtime's native Temporal when it has one", async () => {
    const g = globalThis as { Temporal?: unknown };
    g.Temporal = Temporal;
    try {
      expect(await loadTemporal()).toBe(Temporal);
    } finally {
      delete g.Temporal;
    }
  });

  it("describes the call and needs the clock capability", () => {
    expect(clockTool.describe({ timeZone: "Asia/Tokyo" })).toBe("the time in Asia/Tokyo");
    expect(clockTool.describe({ add: { days: 10 } })).toBe("the time in 10 days");
    expect(clockTool.describe({ add: { days: -1, hours: -2 } })).toBe("the time 1 day 2 hours ago");
    expect(clockTool.describe({})).toBe("the time");
    expect(clockTool.capability({})).toBe("clock");
  });
});
