//! Issue text to safe HTML: GitHub-flavoured markdown (tables, task lists,
//! strikethrough, autolinks) rendered with pulldown-cmark, then sanitized with ammonia.
//!
//! Invariants: issue text is written by strangers, so the output never contains script,
//! event handlers, `javascript:`/`data:` URLs, styles, iframes or forms, whatever the
//! input; links get `rel="noopener noreferrer nofollow"` (the UI opens them in the
//! system browser, never in the webview); images are kept only as plain `https:`
//! images. IssueSync's own markers (HTML comments) disappear.

use std::collections::HashSet;

use pulldown_cmark::{html, Options, Parser};

/// Renders issue or comment text as sanitized HTML.
pub fn to_safe_html(text: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_GFM;
    let mut raw = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(text, options));
    sanitizer().clean(&raw).to_string()
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

    #[test]
    fn markers_vanish() {
        let html = to_safe_html("text\n\n<!-- issuesync:abc -->");
        assert!(!html.contains("issuesync"), "{html}");
        assert!(html.contains("text"));
    }
}
