/**
 * `geolocation`: one fix from navigator.geolocation. The tab answers the full fix; the kernel
 * rounds it to ~1 km unless the call held `geolocation:precise`.
 */
import { deviceError, type DeviceDriver } from "./driver.ts";

export const geolocationDriver: DeviceDriver = {
  name: "geolocation",
  available: () => typeof navigator !== "undefined" && !!navigator.geolocation,
  run: (_args, signal) =>
    new Promise((resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy: p.coords.accuracy }),
        (e) => {
          if (e.code === e.PERMISSION_DENIED) reject(deviceError("EPERM", "the browser blocks location for this site (see its site settings)"));
          else if (e.code === e.TIMEOUT) reject(deviceError("ETIMEDOUT", "the browser found no location within 20 s"));
          else reject(deviceError("ENODEV", `the browser cannot tell the location: ${e.message || "position unavailable"}`));
        },
        { enableHighAccuracy: false, timeout: 20_000, maximumAge: 60_000 },
      );
    }),
};
