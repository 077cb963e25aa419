/** Every device driver a tab can serve (each says whether it can, now). */
import { cameraReadDriver, cameraSnapshotDriver } from "./camera.ts";
import { clipboardReadDriver, clipboardWriteDriver } from "./clipboard.ts";
import type { DeviceDriver, DevicePrompts } from "./driver.ts";
import { filesIoDrivers } from "./files-io.ts";
import { geolocationDriver } from "./geolocation.ts";
import { notifyDriver } from "./notify.ts";
import { speakDriver } from "./speak.ts";

export type { DeviceDriver, DevicePrompts } from "./driver.ts";
export { liveCameraTracks } from "./camera.ts";

export function tabDrivers(prompts: () => DevicePrompts | null): DeviceDriver[] {
  return [geolocationDriver, cameraSnapshotDriver, cameraReadDriver, clipboardReadDriver, clipboardWriteDriver, notifyDriver(prompts), speakDriver, ...filesIoDrivers(prompts)];
}
