// Entry point: installs the mock backend for `npm run dev:mock` (never in a production
// build: VITE_MOCK is unset there and the import is dropped), guards links, mounts the UI.
// The desktop benchmark reads the `main-start` and `main-mounted` marks.
import { mount } from "svelte";
import App from "./components/App.svelte";
import { installLinkGuard } from "./ui/link-guard";
import { markOnce } from "./ui/perf-marks";

markOnce("main-start");

async function start(root: HTMLElement): Promise<void> {
  if (import.meta.env.VITE_MOCK === "1") {
    const { installMockBackend } = await import("./lib/mock/install");
    installMockBackend();
  }
  installLinkGuard(document);
  mount(App, { target: root });
  markOnce("main-mounted");
}

const root = document.getElementById("app");
if (root) {
  void start(root);
}
