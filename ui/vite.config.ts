// Vite serves the UI for `tauri dev` (devUrl in tauri.conf.json) and builds
// dist/, which src-tauri embeds with the `custom-protocol` feature.
import { defineConfig } from "vitest/config";

// Must match build.devUrl in ../tauri.conf.json.
const DEV_PORT = 1420;

export default defineConfig({
  clearScreen: false,
  server: {
    port: DEV_PORT,
    strictPort: true,
    host: "localhost",
  },
  build: {
    // WebKitGTK 2.36+ (webkit2gtk-4.1) is at least Safari 15 level.
    target: ["es2021", "safari15"],
    outDir: "dist",
    emptyOutDir: true,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
