#!/usr/bin/env node
// Renders the app's icon (public/icons/icon.svg) to the PNG sizes a web app manifest needs, with
// Debian's Chromium (no image library): 192 and 512 px, plus a 512 px maskable one (the mark kept
// inside the 80 % safe zone on a full-bleed background). Output is committed; run again after
// changing the SVG:  node tools/make_icons.mjs
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { chromiumPath } from "../test/browser/chromium.ts";

const svg = readFileSync(new URL("../public/icons/icon.svg", import.meta.url), "utf8");
const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  const render = async (size, maskable, out) => {
    await page.setViewportSize({ width: size, height: size });
    const inner = maskable ? Math.round(size * 0.8) : size;
    await page.setContent(`<html><body style="margin:0;background:${maskable ? "#0a0e14" : "transparent"};display:grid;place-items:center;width:${size}px;height:${size}px">
      <div style="width:${inner}px;height:${inner}px">${svg.replace("<svg ", `<svg width="${inner}" height="${inner}" `)}</div></body></html>`);
    await page.screenshot({ path: new URL(`../public/icons/${out}`, import.meta.url).pathname, omitBackground: !maskable });
  };
  await render(192, false, "icon-192.png");
  await render(512, false, "icon-512.png");
  await render(512, true, "icon-512-maskable.png");
} finally {
  await browser.close();
}
