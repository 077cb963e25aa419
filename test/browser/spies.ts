/**
 * Init scripts (`context.addInitScript(fn)`) that spy on real browser APIs, which still run. Each
 * is serialised into the page: it must be self-contained (no imports, no outer names).
 */

/** Every notification shown, as "title|body", in `window.__notes`. */
export function spyOnNotifications() {
  const w = window as unknown as { __notes: string[] };
  w.__notes = [];
  const Real = window.Notification;
  const Spy = function (title: string, options?: NotificationOptions) {
    w.__notes.push(`${title}|${options?.body ?? ""}`);
    return new Real(title, options);
  } as unknown as typeof Notification;
  Object.defineProperty(Spy, "permission", { get: () => Real.permission });
  Spy.requestPermission = Real.requestPermission.bind(Real);
  window.Notification = Spy;
}

/** Every camera track opened, in `window.__tracks`. */
export function spyOnCameraTracks() {
  const w = window as unknown as { __tracks: MediaStreamTrack[] };
  w.__tracks = [];
  const media = navigator.mediaDevices;
  const getUserMedia = media.getUserMedia.bind(media);
  media.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    w.__tracks.push(...stream.getTracks());
    return stream;
  };
}
