/**
 * `speak`: the Web Speech API's synthesis. A browser without voices (headless Chromium, some
 * Linux builds) answers ENODEV; the call ends when the utterance has been spoken (or is cancelled).
 */
import { deviceError, type DeviceDriver } from "./driver.ts";

async function voices(): Promise<SpeechSynthesisVoice[]> {
  const now = speechSynthesis.getVoices();
  if (now.length > 0) return now;
  // Voices load asynchronously in Chromium.
  return new Promise((resolve) => {
    const done = () => resolve(speechSynthesis.getVoices());
    speechSynthesis.addEventListener("voiceschanged", done, { once: true });
    setTimeout(done, 1000);
  });
}

export const speakDriver: DeviceDriver = {
  name: "speak",
  available: () => typeof speechSynthesis !== "undefined" && typeof SpeechSynthesisUtterance !== "undefined",
  async run(args, signal) {
    const { text, lang } = args as { text?: unknown; lang?: unknown };
    if (typeof text !== "string") throw deviceError("EINVAL", "text: must be a string");
    const all = await voices();
    if (all.length === 0) throw deviceError("ENODEV", "this browser has no voice for speech synthesis");
    const wanted = typeof lang === "string" ? lang.toLowerCase() : (navigator.language || "en").toLowerCase();
    const voice = all.find((v) => v.lang.toLowerCase() === wanted) ?? all.find((v) => v.lang.toLowerCase().startsWith(wanted.split("-")[0]!)) ?? all.find((v) => v.default) ?? all[0]!;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.voice = voice;
    utterance.lang = voice.lang;
    await new Promise<void>((resolve, reject) => {
      utterance.onend = () => resolve();
      utterance.onerror = (e) => (e.error === "interrupted" || e.error === "canceled" ? reject(deviceError("ECANCELED", "the speech was cancelled")) : reject(deviceError("EIO", `speech failed: ${e.error}`)));
      signal.addEventListener("abort", () => speechSynthesis.cancel(), { once: true });
      speechSynthesis.speak(utterance);
    });
    return { voice: voice.name };
  },
};
