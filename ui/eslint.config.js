// ESLint flat config: typescript-eslint's type-checked strict rules for the UI.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  // src/lib/bindings/ is generated from the Rust core (ts-rs); a Rust test keeps it current.
  { ignores: ["dist/", "node_modules/", "src/lib/bindings/"] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
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
    files: ["src/lib/api.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    files: ["**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
