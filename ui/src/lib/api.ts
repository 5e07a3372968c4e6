// The only module that talks to the Rust backend (src-tauri/src/lib.rs): every
// Tauri command gets one typed wrapper here, and the rest of the UI imports these.
import { invoke } from "@tauri-apps/api/core";

/** The core library's version (`issuesync::VERSION`), e.g. "0.1.0". */
export function appVersion(): Promise<string> {
  return invoke<string>("app_version");
}
