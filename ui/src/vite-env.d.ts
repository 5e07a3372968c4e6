/// <reference types="svelte" />
/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** "1" runs the UI against the in-memory mock backend (npm run dev:mock). */
  readonly VITE_MOCK?: string;
}
