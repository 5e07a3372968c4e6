//! Which of WebKitGTK's renderers the window uses, decided once at start (Linux only).
//!
//! WebKitGTK 2.42+ composites its frames and hands them to the window as DMA-BUF buffers.
//! With no GPU render node (`/dev/dri/renderD*`: a VM, a container, Xvfb, a remote X
//! display) there is no GPU to share buffers with, and that path costs the window most of
//! its speed. So without a render node the app sets `WEBKIT_DISABLE_DMABUF_RENDERER=1`,
//! the switch WebKitGTK documents for this, and WebKit paints without compositing.
//! Measured on a 2-core Debian 12 machine under Xvfb with WebKitGTK 2.50 at 100,000
//! issues (`scripts/bench-desktop.sh`, `BENCHMARKS.md`), a scroll of the whole list, a
//! screen per frame: 61 frames/s with it, 24 with WebKit's default, 23 with the narrower
//! `WEBKIT_DMABUF_RENDERER_FORCE_SHM=1` (compositing kept, frames handed over in shared
//! memory); the display itself repaints the full window at 62 frames/s with it, 34 with
//! either of the others.
//!
//! The price: without compositing WebKit takes no snapshot, so WebKitWebDriver's
//! screenshot never answers. The end-to-end tests take theirs under WebKit's default
//! renderer (`tests/desktop_e2e.rs`).
//!
//! Invariants: a value the person set (either way) is never overridden; with a render
//! node WebKit's own default stays; the variable is set before GTK or WebKit starts,
//! while the process has one thread.

use std::path::Path;

/// WebKitGTK's switch for its DMA-BUF renderer.
pub const DISABLE_DMABUF: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// What is known at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// The person (or their desktop) set `WEBKIT_DISABLE_DMABUF_RENDERER`.
    pub set_by_person: bool,
    /// A GPU render node exists.
    pub render_node: bool,
}

/// The value to give `WEBKIT_DISABLE_DMABUF_RENDERER`, if any.
pub fn decide(facts: Facts) -> Option<&'static str> {
    (!facts.set_by_person && !facts.render_node).then_some("1")
}

/// Whether `dri` (normally `/dev/dri`) holds a render node.
pub fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Applies the decision to this process's environment. Call first thing in `main`,
/// while this is the only thread.
pub fn choose() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let facts = Facts {
        set_by_person: std::env::var_os(DISABLE_DMABUF).is_some(),
        render_node: has_render_node(Path::new("/dev/dri")),
    };
    if let Some(value) = decide(facts) {
        std::env::set_var(DISABLE_DMABUF, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dmabuf_renderer_is_switched_off_only_without_a_gpu_and_only_if_the_person_did_not_choose(
    ) {
        let cases = [
            (false, false, Some("1")),
            (false, true, None),
            (true, false, None),
            (true, true, None),
        ];
        for (set_by_person, render_node, expected) in cases {
            let facts = Facts {
                set_by_person,
                render_node,
            };
            assert_eq!(decide(facts), expected, "{facts:?}");
        }
    }

    #[test]
    fn a_render_node_is_found_by_its_name() {
        let dri = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dri.path()), "an empty /dev/dri");
        std::fs::write(dri.path().join("card0"), "").unwrap();
        assert!(!has_render_node(dri.path()), "a card is not a render node");
        std::fs::write(dri.path().join("renderD128"), "").unwrap();
        assert!(has_render_node(dri.path()));
        assert!(!has_render_node(&dri.path().join("missing")), "no /dev/dri");
    }
}
