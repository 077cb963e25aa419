import { expect, it } from "vitest";
import { chromiumPath, isLoopback } from "../../browser/chromium.ts";

it("without a Chromium the browser tests fail saying how to install one", () => {
  expect(() => chromiumPath(["/nonexistent/chromium"])).toThrow(/apt-get install -y chromium.*CHROME_PATH/);
});

it("the request guard lets only loopback through", () => {
  expect(isLoopback("http://127.0.0.1:5173/models/x")).toBe(true);
  expect(isLoopback("http://localhost/x")).toBe(true);
  expect(isLoopback("https://huggingface.co/x")).toBe(false);
  expect(isLoopback("http://10.0.0.1/x")).toBe(false);
});
