// ESLint flat config: typescript-eslint's type-checked strict rules for the UI, in .ts
// and .svelte files alike (eslint-plugin-svelte parses the components).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import tseslint from "typescript-eslint";

import svelteConfig from "./svelte.config.js";

export default defineConfig(
  // src/lib/bindings/ is generated from the Rust core (ts-rs); a Rust test keeps it current.
  { ignores: ["dist/", "node_modules/", "src/lib/bindings/"] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  svelte.configs.recommended,
  {
    languageOptions: {
      globals: globals.browser,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: [".svelte"],
      },
    },
    rules: {
      // src/lib/api.ts is the single door to the Rust backend.
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@tauri-apps/api/core",
              message: "Call the backend through src/lib/api.ts only.",
            },
            {
              name: "@tauri-apps/api/event",
              message: "Listen to backend events through src/lib/api.ts only.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts"],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, svelteConfig },
    },
  },
  {
    files: ["src/lib/api.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // The mock backend stands in for Rust: it emits the events the backend would.
    files: ["src/lib/mock/**"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    files: ["**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ["scripts/**"],
    languageOptions: { globals: globals.node },
  },
);
