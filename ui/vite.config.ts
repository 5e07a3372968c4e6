// Vite serves the UI for `tauri dev` (devUrl in tauri.conf.json) and builds
// dist/, which src-tauri embeds with the `custom-protocol` feature.
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// Must match build.devUrl in ../tauri.conf.json.
const DEV_PORT = 1420;

export default defineConfig({
  plugins: [svelte()],
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
    // Never inline assets as data: URLs into CSS/JS; keep everything a file under 'self'.
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
