//! Issue text to safe HTML: GitHub-flavoured markdown (tables, task lists,
//! strikethrough, autolinks) rendered with pulldown-cmark, then sanitized with ammonia.
//!
//! Invariants: issue text is written by strangers, so the output never contains script,
//! event handlers, `javascript:`/`data:` URLs, styles, iframes or forms, whatever the
//! input; links get `rel="noopener noreferrer nofollow"` (the UI opens them in the
//! system browser, never in the webview). IssueSync's own markers (HTML comments)
//! disappear.
//!
//! Images are where reading becomes visible to strangers: a picture in a comment is
//! fetched by every reader's machine, so whoever serves it learns who read the issue
//! and when (a tracking pixel). An [`ImagePolicy`] decides per image, before the
//! webview ever sees the address: images on the connection's own tracker (its web and
//! API origins, and the upload hosts its capability model names) keep their `src`,
//! every other image loses it (the UI shows a placeholder and offers "Load images"),
//! unless the person chose to load everything. Relative image paths are resolved
//! against the tracker (GitLab's `/uploads/` against the project), never against the
//! app's own origin.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use pulldown_cmark::{html, Options, Parser};
use url::Url;

/// Where the images of one issue may load from without asking.
///
/// The default policy knows no tracker: it hides every image.
#[derive(Debug, Clone, Default)]
pub struct ImagePolicy {
    /// Origins (`scheme://host:port`) of the tracker: its web root and API.
    own_origins: Vec<url::Origin>,
    /// Host suffixes (`.githubusercontent.com`) where the tracker keeps uploads; https only.
    upload_suffixes: Vec<String>,
    /// The tracker's web root, with a trailing slash: what `/path` is relative to.
    root: Option<Url>,
    /// The project page, with a trailing slash: what GitLab's `/uploads/…` is relative to.
    uploads: Option<Url>,
    /// Every http(s) image loads ("Load images", or the setting that allows all).
    everything: bool,
}

impl ImagePolicy {
    /// The images of one tracker: `web_root` and `api_root` are the connection's
    /// addresses; `upload_hosts` are patterns such as `*.githubusercontent.com`;
    /// `uploads` is the page GitLab-style `/uploads/…` paths are relative to.
    pub fn tracker(
        web_root: &str,
        api_root: &str,
        upload_hosts: &[&str],
        uploads: Option<&str>,
    ) -> Self {
        let with_slash = |u: &str| Url::parse(&format!("{}/", u.trim_end_matches('/'))).ok();
        let root = with_slash(web_root);
        let own_origins = [web_root, api_root]
            .iter()
            .filter_map(|u| Url::parse(u).ok())
            .map(|u| u.origin())
            .filter(url::Origin::is_tuple)
            .collect();
        let upload_suffixes = upload_hosts
            .iter()
            .filter_map(|h| h.strip_prefix('*'))
            .map(str::to_ascii_lowercase)
            .collect();
        Self {
            own_origins,
            upload_suffixes,
            root,
            uploads: uploads.and_then(with_slash),
            everything: false,
        }
    }

    /// The same tracker, with every http(s) image loading.
    pub fn load_everything(mut self) -> Self {
        self.everything = true;
        self
    }

    /// An image address as the reader's machine would fetch it: absolute, or resolved
    /// against the tracker. `None` for what no tracker can serve.
    fn resolve(&self, src: &str) -> Option<Url> {
        let src = src.trim();
        if let Ok(absolute) = Url::parse(src) {
            return Some(absolute);
        }
        if let Some(rest) = src.strip_prefix("//") {
            return Url::parse(&format!("https://{rest}")).ok();
        }
        let root = self.root.as_ref()?;
        let path = src.trim_start_matches('/');
        match &self.uploads {
            Some(project) if src.starts_with("/uploads/") => project.join(path).ok(),
            _ => root.join(path).ok(),
        }
    }

    /// Whether an image from `url` loads without asking.
    fn allows(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return false;
        }
        if self.everything || self.own_origins.contains(&url.origin()) {
            return true;
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        url.scheme() == "https" && self.upload_suffixes.iter().any(|s| host.ends_with(s))
    }
}

/// Issue text as safe HTML, and how many of its images the policy held back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    /// Images shown as a placeholder (their address is not in `html`).
    pub hidden_images: u32,
}

/// Renders issue or comment text as sanitized HTML; images follow `images`.
pub fn render(text: &str, images: &ImagePolicy) -> Rendered {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_GFM;
    let mut raw = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(text, options));
    let hidden = Arc::new(AtomicU32::new(0));
    let mut builder = sanitizer();
    let policy = images.clone();
    let counter = Arc::clone(&hidden);
    builder.attribute_filter(move |element, attribute, value| {
        if element != "img" || attribute != "src" {
            return Some(value.into());
        }
        match policy.resolve(value) {
            Some(url) if policy.allows(&url) => Some(url.to_string().into()),
            Some(url) if matches!(url.scheme(), "http" | "https") => {
                counter.fetch_add(1, Ordering::Relaxed);
                None
            }
            _ => None,
        }
    });
    let html = builder.clean(&raw).to_string();
    Rendered {
        html,
        hidden_images: hidden.load(Ordering::Relaxed),
    }
}

/// Renders issue or comment text as sanitized HTML, with every image held back.
pub fn to_safe_html(text: &str) -> String {
    render(text, &ImagePolicy::default()).html
}

/// Checks that a link clicked in issue text is an `http(s)` URL before it is handed to
/// the system browser; returns it normalised.
///
/// # Errors
/// [`crate::Error::NotAWebLink`] for anything else (`file:`, `javascript:`, garbage).
pub fn web_link(url: &str) -> crate::Result<String> {
    match url::Url::parse(url.trim()) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
            Ok(parsed.to_string())
        }
        _ => Err(crate::Error::NotAWebLink {
            url: url.to_string(),
        }),
    }
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        // Task-list boxes only: whatever an issue writes, an input is a disabled
        // checkbox (an allowed `type` attribute would let any value through).
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked"])
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "")
        .add_tag_attributes("img", ["src", "alt", "title"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("th", ["align"])
        .add_tag_attributes("td", ["align"]);
    builder
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn github_flavoured_markdown_renders() {
        let html = to_safe_html(
            "# Title\n\n- [x] done\n- [ ] todo\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ <https://example.com>",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("type=\"checkbox\""), "task lists: {html}");
        assert!(html.contains("<table>"), "tables: {html}");
        assert!(html.contains("<del>old</del>"), "strikethrough: {html}");
        assert!(
            html.contains("href=\"https://example.com\"") && html.contains("noopener"),
            "links, opened safely: {html}"
        );
    }

    #[rstest]
    #[case::script_tag("<script>alert(1)</script>hi", "<script")]
    #[case::event_handler("<img src=\"https://x/y.png\" onerror=\"alert(1)\">", "onerror")]
    #[case::javascript_link("[click](javascript:alert(1))", "javascript:")]
    #[case::data_url("<a href=\"data:text/html,<script>x</script>\">x</a>", "data:")]
    #[case::iframe("<iframe src=\"https://evil\"></iframe>", "<iframe")]
    #[case::style("<p style=\"position:fixed\">x</p>", "style=")]
    #[case::form("<form action=\"https://evil\"><input name=q></form>", "<form")]
    #[case::svg_script("<svg><script>alert(1)</script></svg>", "<svg")]
    fn hostile_input_is_neutralised(#[case] input: &str, #[case] forbidden: &str) {
        let html = to_safe_html(input);
        assert!(
            !html.to_lowercase().contains(forbidden),
            "{forbidden} survived in {html}"
        );
    }

    #[rstest]
    #[case::https("https://github.com/o/r/issues/1", true)]
    #[case::http("http://gitea.local/o/r", true)]
    #[case::file("file:///etc/passwd", false)]
    #[case::script("javascript:alert(1)", false)]
    #[case::relative("/o/r/issues/1", false)]
    fn only_web_links_open_outside(#[case] url: &str, #[case] ok: bool) {
        assert_eq!(web_link(url).is_ok(), ok, "{url}");
    }

    #[rstest]
    #[case::text("<input type=\"text\" value=\"secret\">")]
    #[case::password("<input type=password>")]
    #[case::file("<input type=\"file\">")]
    #[case::enabled_checkbox("<input type=\"checkbox\">")]
    fn every_input_is_a_disabled_checkbox(#[case] input: &str) {
        let html = to_safe_html(input);
        assert!(html.contains("type=\"checkbox\""), "{html}");
        assert!(html.contains("disabled"), "{html}");
        for other in ["text", "password", "file", "value="] {
            assert!(!html.contains(other), "{other} survived in {html}");
        }
    }

    /// Payloads from public XSS cheat sheets, mixed with arbitrary text.
    const XSS: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "[x](javascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "![x](data:image/svg+xml,<svg onload=alert(1)>)",
        "<iframe srcdoc=\"<script>alert(1)</script>\">",
        "<body onload=alert(1)>",
        "<details open ontoggle=alert(1)>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<a href=\"\u{0}javascript:alert(1)\">x</a>",
        "<input onfocus=alert(1) autofocus>",
        "<object data=\"javascript:alert(1)\">",
        "<base href=\"https://evil.example/\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<style>@import 'https://evil.example/x.css';</style>",
        "<form action=\"https://evil.example\"><button>go</button></form>",
    ];

    /// Every attribute (name, value) of every tag in ammonia's output, which always
    /// quotes values with `"` and escapes any `"` inside them.
    fn attributes(html: &str) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for tag in html.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap_or("");
            let mut rest = tag.trim_start_matches('/');
            rest = rest.trim_start_matches(|c: char| !c.is_whitespace());
            while let Some(eq) = rest.find('=') {
                let name = rest[..eq].trim().to_lowercase();
                let after = &rest[eq + 1..];
                let Some(value) = after.strip_prefix('"') else {
                    found.push((name, after.to_string()));
                    break;
                };
                let end = value.find('"').unwrap_or(value.len());
                found.push((name, value[..end].to_lowercase()));
                rest = value.get(end + 1..).unwrap_or("");
            }
        }
        found
    }

    fn hostile_markup() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(XSS).prop_map(str::to_string),
                ".{0,16}"
            ],
            0..6,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest::proptest! {
        /// Rendered issue text never carries a script, a frame, an event handler or a
        /// link that is not http(s) or mailto.
        #[test]
        fn markdown_never_emits_script_or_handlers(input in hostile_markup()) {
            let html = to_safe_html(&input);
            let lower = html.to_lowercase();
            for tag in ["<script", "<iframe", "<object", "<embed", "<style", "<base", "<meta", "<form", "<svg", "<math"] {
                proptest::prop_assert!(!lower.contains(tag), "{tag} in {html}");
            }
            for (name, value) in attributes(&html) {
                proptest::prop_assert!(!name.starts_with("on"), "{name} in {html}");
                if name == "href" || name == "src" {
                    // As a browser reads it: tabs and newlines dropped, leading controls
                    // and spaces trimmed; a scheme is ASCII letters, digits, + - .
                    let seen: String = value.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
                    let seen = seen.trim_start_matches(|c: char| c <= ' ');
                    let scheme = seen.split(':').next().unwrap_or("");
                    let is_scheme = seen.contains(':')
                        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
                    proptest::prop_assert!(
                        !is_scheme || ["http", "https", "mailto"].contains(&scheme),
                        "{name}={value} in {html}"
                    );
                }
            }
        }
    }

    fn github() -> ImagePolicy {
        ImagePolicy::tracker(
            "https://github.com",
            "https://api.github.com",
            &["*.githubusercontent.com"],
            None,
        )
    }

    fn srcs(html: &str) -> Vec<String> {
        attributes(html)
            .into_iter()
            .filter(|(name, _)| name == "src")
            .map(|(_, value)| value)
            .collect()
    }

    #[rstest]
    #[case::attachment(
        "![x](https://github.com/user-attachments/assets/1)",
        Some("https://github.com/user-attachments/assets/1")
    )]
    #[case::upload_host(
        "<img src=\"https://private-user-images.githubusercontent.com/a.png\">",
        Some("https://private-user-images.githubusercontent.com/a.png")
    )]
    #[case::root_relative(
        "![x](/o/r/raw/main/a.png)",
        Some("https://github.com/o/r/raw/main/a.png")
    )]
    #[case::pixel("![](https://tracker.example/p.gif?reader=1)", None)]
    #[case::raw_pixel("<img src=\"https://tracker.example/p.gif\" width=1>", None)]
    #[case::lookalike("![x](https://githubusercontent.com.evil.example/a.png)", None)]
    #[case::clear_text_upload("![x](http://x.githubusercontent.com/a.png)", None)]
    #[case::other_port("![x](https://github.com:8443/a.png)", None)]
    #[case::protocol_relative("![x](//tracker.example/p.gif)", None)]
    fn images_load_only_from_the_tracker(#[case] text: &str, #[case] kept: Option<&str>) {
        let shown = render(text, &github());
        assert_eq!(
            srcs(&shown.html),
            kept.into_iter().collect::<Vec<_>>(),
            "{}",
            shown.html
        );
        assert_eq!(
            shown.hidden_images,
            u32::from(kept.is_none()),
            "{}",
            shown.html
        );
        assert!(!shown.html.contains("tracker.example"), "{}", shown.html);
    }

    #[test]
    fn gitlab_uploads_are_relative_to_the_project() {
        let gitlab = ImagePolicy::tracker(
            "https://gitlab.example/sub",
            "https://gitlab.example/sub/api/v4",
            &[],
            Some("https://gitlab.example/sub/team/app"),
        );
        let shown = render(
            "![s](/uploads/abc/s.png) ![t](/team/app/-/raw/main/t.png)",
            &gitlab,
        );
        assert_eq!(
            srcs(&shown.html),
            [
                "https://gitlab.example/sub/team/app/uploads/abc/s.png",
                "https://gitlab.example/sub/team/app/-/raw/main/t.png"
            ]
        );
        assert_eq!(shown.hidden_images, 0);
    }

    #[test]
    fn loading_everything_still_refuses_what_is_not_a_web_image() {
        let all = github().load_everything();
        let shown = render(
            "![a](https://tracker.example/p.gif) ![b](data:image/png;base64,AAAA) ![c](file:///etc/passwd)",
            &all,
        );
        assert_eq!(
            srcs(&shown.html),
            ["https://tracker.example/p.gif"],
            "{}",
            shown.html
        );
        assert_eq!(shown.hidden_images, 0);
    }

    #[test]
    fn a_policy_without_a_tracker_hides_every_image() {
        let shown = render("![a](https://github.com/a.png)", &ImagePolicy::default());
        assert!(srcs(&shown.html).is_empty(), "{}", shown.html);
        assert_eq!(shown.hidden_images, 1);
        assert!(shown.html.contains("alt=\"a\""), "{}", shown.html);
    }

    proptest::proptest! {
        /// Whatever the text, every image address left in the output is on the tracker.
        #[test]
        fn images_in_output_are_always_the_trackers(input in hostile_markup(), host in "[a-z]{1,8}\\.(example|githubusercontent\\.com)") {
            let text = format!("{input} ![x](https://{host}/a.png) <img src=\"//{host}/b\">");
            let shown = render(&text, &github());
            for src in srcs(&shown.html) {
                let url = Url::parse(&src).expect("absolute");
                proptest::prop_assert!(
                    url.origin() == Url::parse("https://github.com").unwrap().origin()
                        || url.origin() == Url::parse("https://api.github.com").unwrap().origin()
                        || (url.scheme() == "https" && url.host_str().unwrap_or("").ends_with(".githubusercontent.com")),
                    "{src} in {}", shown.html
                );
            }
        }
    }

    #[test]
    fn markers_vanish() {
        let html = to_safe_html("text\n\n<!-- issuesync:abc -->");
        assert!(!html.contains("issuesync"), "{html}");
        assert!(html.contains("text"));
    }
}
