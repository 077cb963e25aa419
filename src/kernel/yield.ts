/**
 * Returns to the event loop for one macrotask. ONNX Runtime's session.run can resolve without
 * ever yielding, so a decode loop that only awaits it starves incoming messages (interrupts,
 * other requests). A MessageChannel post is the cheapest macrotask in browsers; Node has setImmediate.
 */
let channel: MessageChannel | null = null;
const waiting: Array<() => void> = [];

export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === "function") return new Promise((resolve) => g.setImmediate!(resolve));
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel!.port2.postMessage(null);
  });
}
