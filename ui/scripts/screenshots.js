// npm run screenshots: serves the UI against the mock backend, drives it in headless
// Chromium (playwright-core, the system's browser: CHROMIUM=/path, default
// /usr/bin/chromium) and saves each main screen in light and dark to screenshots/.
// Fails when the page logs an error, so it doubles as a smoke test of the screens.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { createServer } from "vite";

const out = new URL("../screenshots/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });

process.env.VITE_MOCK = "1";
const server = await createServer({ configFile: new URL("../vite.config.ts", import.meta.url).pathname, server: { port: 1421, strictPort: false }, logLevel: "warn" });
await server.listen();
const url = server.resolvedUrls?.local[0] ?? "http://localhost:1421/";

const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

/** Each screen: how to get there from a fresh load. */
const SCREENS = [
  ["list", () => Promise.resolve()],
  ["issue", async (page) => {
    await byTestId(page, "issue-row").nth(5).click();
    await byTestId(page, "issue-title").waitFor();
  }],
  ["conflicts", async (page) => {
    await byTestId(page, "conflict-badge").click();
    await page.locator('[data-field="body"] [data-testid="edit-merged"]').click();
    await page.locator('[data-field="title"] [data-testid="take-local"]').click();
  }],
  ["settings", async (page) => {
    await page.getByRole("button", { name: "Connections and settings" }).click();
  }],
  ["add-connection", async (page) => {
    await byTestId(page, "add-connection").click();
  }],
  ["first-launch", async (page) => {
    await page.goto(`${url}?mock=empty`);
    await page.getByText("Connect your first tracker").waitFor();
  }],
];

const profile = mkdtempSync(join(tmpdir(), "issuesync-shots-"));
const errors = [];
try {
  for (const scheme of ["light", "dark"]) {
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1280, height: 800 },
      colorScheme: scheme,
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.on("pageerror", (error) => errors.push(`${scheme}: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().includes("404")) {
        errors.push(`${scheme}: ${message.text()}`);
      }
    });
    for (const [name, open] of SCREENS) {
      await page.goto(url);
      await byTestId(page, "issue-row").first().waitFor();
      await open(page);
      await page.waitForTimeout(400);
      await page.screenshot({ path: join(out, `${name}-${scheme}.png`) });
    }
    await browser.close();
  }
} finally {
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}

if (errors.length > 0) {
  console.error(`the page logged errors:\n- ${errors.join("\n- ")}`);
  process.exit(1);
}
console.log(`screenshots in ${out}`);
