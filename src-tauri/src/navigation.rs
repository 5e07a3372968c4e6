//! Keeps the webview on the app's own pages: a navigation anywhere else (a link in
//! issue text that slipped past the UI's click guard, the context menu's "Open Link", a
//! script) is refused, and an http(s) address goes to the system browser instead.
//!
//! Invariants: the decision is a pure function of the address ([`stays_in_app`]); the
//! app's origin is `tauri://localhost` (Linux, macOS) or `http(s)://tauri.localhost`
//! (Windows), and the Vite dev server only in a build that loads it.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Runtime, Url};
use tauri_plugin_opener::OpenerExt;

/// Whether `url` is one of the app's own pages.
pub fn stays_in_app(url: &Url, dev_server: bool) -> bool {
    match (url.scheme(), url.host_str()) {
        ("tauri", Some("localhost")) => true,
        ("http" | "https", Some("tauri.localhost")) => true,
        ("http", Some("localhost")) => dev_server && url.port() == Some(1420),
        ("about", _) => url.as_str() == "about:blank",
        _ => false,
    }
}

/// The plugin that guards every webview's navigations.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    let dev_server = !cfg!(feature = "custom-protocol");
    Builder::new("navigation-guard")
        .on_navigation(move |webview, url| {
            if stays_in_app(url, dev_server) {
                return true;
            }
            if let Ok(link) = issuesync::markdown::web_link(url.as_str()) {
                let _ = webview.opener().open_url(link, None::<&str>);
            }
            false
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_pages_load_in_the_window() {
        let url = |s: &str| Url::parse(s).unwrap();
        for own in [
            "tauri://localhost/",
            "tauri://localhost/index.html#/issues",
            "http://tauri.localhost/",
            "https://tauri.localhost/assets/app.js",
            "about:blank",
        ] {
            assert!(stays_in_app(&url(own), false), "{own}");
        }
        for away in [
            "https://github.com/o/r/issues/1",
            "http://localhost:1420/",
            "file:///etc/passwd",
            "tauri://evil.example/",
            "http://tauri.localhost.evil.example/",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
        ] {
            assert!(!stays_in_app(&url(away), false), "{away}");
        }
        assert!(
            stays_in_app(&url("http://localhost:1420/"), true),
            "the dev server, in a build that loads it"
        );
    }
}
