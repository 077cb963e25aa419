/**
 * The desktop's window manager: which windows are open, where, how big, in what stacking order,
 * and which are minimized — state in one place; Window.svelte draws one window from it.
 *
 * Invariants: ids are unique; `z` values are distinct and the focused window has the highest;
 * a window always keeps its title bar inside the desktop (so its buttons stay reachable); on a
 * narrow screen (under 600 px) every window fills the desktop's width.
 */

export interface WindowState {
  id: string;
  title: string;
  x: number;
  y: number;
  width: number;
  height: number;
  z: number;
  minimized: boolean;
  /** Follows the desktop's size (centered, as tall as it) until the user moves or resizes it. */
  fill?: { maxWidth: number };
}

export const NARROW_PX = 600;
const TITLE_PX = 36;
const CASCADE_PX = 28;

export class WindowManager {
  windows = $state.raw<WindowState[]>([]);
  /** The desktop's size (the area windows live in), kept current by the desktop. */
  area = $state.raw({ width: 1024, height: 700 });
  private top = 10;

  get narrow(): boolean {
    return this.area.width < NARROW_PX;
  }

  /** The focused (topmost, not minimized) window. */
  get focused(): WindowState | undefined {
    return this.windows.filter((w) => !w.minimized).reduce<WindowState | undefined>((a, b) => (!a || b.z > a.z ? b : a), undefined);
  }

  isOpen(id: string): boolean {
    return this.windows.some((w) => w.id === id);
  }

  private get(id: string): WindowState | undefined {
    return this.windows.find((w) => w.id === id);
  }

  /** Replaces one window's state (a new object: every reader sees the change). */
  private update(id: string, change: (w: WindowState) => Partial<WindowState>): void {
    this.windows = this.windows.map((w) => (w.id === id ? { ...w, ...change(w) } : w));
  }

  /** Opens (or brings back and focuses) a window; new ones cascade from the top left. */
  open(id: string, title: string, size: { width: number; height: number } = { width: 640, height: 480 }, at?: { x: number; y: number }, fill?: { maxWidth: number }): void {
    if (this.get(id)) {
      this.update(id, () => ({ title }));
      this.focus(id);
      return;
    }
    const n = this.windows.length;
    const width = Math.min(size.width, this.area.width);
    const height = Math.min(size.height, this.area.height);
    // Beside the focused window where there is room, else cascading from the top left.
    const beside = this.focused;
    const room = beside ? this.area.width - (beside.x + beside.width + 12) : 0;
    const x = at?.x ?? (beside && room >= width ? beside.x + beside.width + 12 : Math.max(0, Math.min(16 + ((n * CASCADE_PX) % 240), this.area.width - width)));
    const y = at?.y ?? (beside && room >= width ? beside.y : Math.max(0, Math.min(8 + ((n * CASCADE_PX) % 200), this.area.height - height)));
    this.windows = [...this.windows, { id, title, x, y, width, height, z: ++this.top, minimized: false, ...(fill ? { fill } : {}) }];
    if (fill) this.update(id, () => this.filled(fill));
  }

  toggle(id: string, title: string, size?: { width: number; height: number }): void {
    const w = this.get(id);
    if (w && !w.minimized && this.focused?.id === id) this.close(id);
    else this.open(id, title, size);
  }

  close(id: string): void {
    this.windows = this.windows.filter((w) => w.id !== id);
  }

  focus(id: string): void {
    const w = this.get(id);
    if (!w || (!w.minimized && w.z === this.top)) return;
    this.update(id, () => ({ minimized: false, z: ++this.top }));
  }

  minimize(id: string): void {
    this.update(id, () => ({ minimized: true }));
  }

  /** The user moves a window (it stops following the desktop's size), its title bar kept inside the desktop. */
  moveTo(id: string, x: number, y: number): void {
    this.update(id, (w) => ({ ...this.clamped(w, x, y), fill: undefined }));
  }

  /** The user resizes a window (it stops following the desktop's size). */
  resize(id: string, width: number, height: number): void {
    this.update(id, () => ({ width: Math.round(Math.max(240, Math.min(width, this.area.width))), height: Math.round(Math.max(120, Math.min(height, this.area.height))), fill: undefined }));
  }

  private clamped(w: WindowState, x: number, y: number): { x: number; y: number } {
    return { x: Math.round(Math.max(-(w.width - 80), Math.min(x, this.area.width - 80))), y: Math.round(Math.max(0, Math.min(y, this.area.height - TITLE_PX))) };
  }

  private filled(fill: { maxWidth: number }): Pick<WindowState, "x" | "y" | "width" | "height"> {
    const width = Math.max(240, Math.min(fill.maxWidth, this.area.width - 32));
    return { x: Math.max(0, Math.round((this.area.width - width) / 2)), y: 4, width, height: Math.max(120, this.area.height - 12) };
  }

  /** The desktop changed size: windows shrink and move back inside it. */
  setArea(width: number, height: number): void {
    if (width === this.area.width && height === this.area.height) return;
    this.area = { width, height };
    this.windows = this.windows.map((w) => {
      if (w.fill) return { ...w, ...this.filled(w.fill) };
      const sized = { ...w, width: Math.max(240, Math.min(w.width, width)), height: Math.max(120, Math.min(w.height, height)) };
      return { ...sized, ...this.clamped(sized, w.x, w.y) };
    });
  }
}
