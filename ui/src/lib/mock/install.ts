// Puts the mock backend behind @tauri-apps/api's IPC, so api.ts works unchanged in a
// plain browser (`npm run dev:mock`). main.ts imports this only when VITE_MOCK is "1",
// which production builds never set, so the bundle does not contain it.
// `?mock=empty` starts with nothing connected, like a first launch.
import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { MockBackend } from "./backend";
import { createEmptyDataset } from "./dataset";

export function installMockBackend(): MockBackend {
  const empty = new URLSearchParams(window.location.search).get("mock") === "empty";
  const backend = new MockBackend({ emit, latency: 1, ...(empty ? { dataset: createEmptyDataset() } : {}) });
  mockIPC((command, args) => backend.handle(command, args as Record<string, unknown>), { shouldMockEvents: true });
  console.info(`IssueSync: using the mock backend (VITE_MOCK=1)${empty ? ", empty" : ""}`);
  return backend;
}
