//! Where things live on a tracker: the API root derived from a connection's web root,
//! and issue web pages when an API does not report one.
//!
//! Invariants:
//! - A web root is an absolute `http`/`https` URL without query, fragment or
//!   credentials (`user:token@`); it is kept without a trailing slash, and any subpath
//!   (`https://host/gitea`) is preserved in every URL built from it.
//! - An address that is refused is echoed in the error only with its `user:token@` part
//!   replaced by `***@`, so a token typed into it never reaches output or logs.
//! - [`sends_in_clear`] is the one place that says whether a token to a web root would
//!   cross the network unencrypted (plain `http` to a host that is not loopback).
//! - An issue's `remote_url` is the API's `html_url`/`web_url` whenever the API gives
//!   one that is trusted ([`trusted_page`]: http or https, on the connection's own web
//!   host and port); otherwise [`issue_web_url`] builds it from the web root
//!   ([`page_of`] picks). A tracker's text never decides which program a click opens.

use url::{Host, Url};

use crate::model::{ProviderKind, RemoteIssue, Repo};

/// A web root the user typed that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error("{input:?} is not a URL: {source}; expected e.g. https://gitea.example.com")]
    Malformed {
        input: String,
        #[source]
        source: url::ParseError,
    },
    #[error("{input:?} must start with http:// or https://")]
    Scheme { input: String },
    #[error("{input:?} must be the instance's web root, without ?query or #fragment")]
    QueryOrFragment { input: String },
    #[error(
        "{input:?} has a user name or token in it: give the address without it and pipe \
         the token into --token-stdin"
    )]
    Credentials { input: String },
}

/// Checks and normalizes a tracker's web root: `https://Host/sub/` → `https://host/sub`.
///
/// # Errors
/// [`UrlError`] when the text is not an absolute http(s) URL, or carries a query or
/// fragment.
pub fn normalize_web_url(input: &str) -> Result<String, UrlError> {
    let shown = redact_credentials(input);
    let trimmed = input.trim();
    let url = Url::parse(trimmed).map_err(|source| UrlError::Malformed {
        input: shown.clone(),
        source,
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials { input: shown });
    }
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(UrlError::Scheme { input: shown });
    }
    if url.host_str().is_none() {
        return Err(UrlError::Scheme { input: shown });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(UrlError::QueryOrFragment { input: shown });
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// `input` with anything between `scheme://` and the last `@` of the authority replaced
/// by `***`, so an address can be quoted in an error without the token typed into it.
pub(crate) fn redact_credentials(input: &str) -> String {
    let (scheme, rest) = match input.find("://") {
        Some(i) => input.split_at(i + 3),
        None => ("", input),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => input.to_string(),
    }
}

/// Whether a token sent to `web_url` would cross the network unencrypted: plain `http`
/// to a host that is not loopback (127.0.0.0/8, ::1, `localhost`). Text that is not a
/// URL counts as unencrypted.
pub fn sends_in_clear(web_url: &str) -> bool {
    let Ok(url) = Url::parse(web_url) else {
        return true;
    };
    if url.scheme() == "https" {
        return false;
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    !loopback
}

/// The REST API root for a normalized web root.
///
/// github.com → `https://api.github.com`; another GitHub host (Enterprise Server) →
/// `WEB/api/v3`; GitLab → `WEB/api/v4`; Gitea/Forgejo → `WEB/api/v1`.
pub fn api_url(kind: ProviderKind, web_url: &str) -> String {
    let web_url = web_url.trim_end_matches('/');
    match kind {
        ProviderKind::Github => {
            let host = Url::parse(web_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
            if matches!(host.as_deref(), Some("github.com" | "www.github.com")) {
                "https://api.github.com".to_string()
            } else {
                format!("{web_url}/api/v3")
            }
        }
        ProviderKind::Gitlab => format!("{web_url}/api/v4"),
        ProviderKind::Gitea => format!("{web_url}/api/v1"),
    }
}

/// The page of a tracker's issue of `repo`: the URL its API reported when it is
/// trusted, else the one built from the connection's web root.
pub fn page_of(repo: &Repo, web_url: &str, issue: &RemoteIssue) -> String {
    issue
        .remote_url
        .as_deref()
        .and_then(|url| trusted_page(url, web_url))
        .unwrap_or_else(|| issue_web_url(repo.provider, web_url, &repo.full_path, issue.number))
}

/// `url` when a tracker's page may be stored and opened as it is: an absolute http or
/// https URL, without credentials, on the host and port of the connection's web root
/// `web_url`. Anything else (`file:`, `smb:`, another host, `javascript:`) is `None`.
pub fn trusted_page(url: &str, web_url: &str) -> Option<String> {
    let page = Url::parse(url.trim()).ok()?;
    let root = Url::parse(web_url).ok()?;
    let web_scheme = matches!(page.scheme(), "http" | "https");
    let same_host = page.host_str().is_some()
        && page.host_str() == root.host_str()
        && page.port_or_known_default() == root.port_or_known_default();
    let no_credentials = page.username().is_empty() && page.password().is_none();
    (web_scheme && same_host && no_credentials).then(|| page.to_string())
}

/// The web page of issue `number` in `repo_path` (`owner/name`, or GitLab's full
/// nested path), built from the web root.
pub fn issue_web_url(kind: ProviderKind, web_url: &str, repo_path: &str, number: u64) -> String {
    let web_url = web_url.trim_end_matches('/');
    let repo_path = repo_path.trim_matches('/');
    match kind {
        ProviderKind::Gitlab => format!("{web_url}/{repo_path}/-/issues/{number}"),
        ProviderKind::Github | ProviderKind::Gitea => {
            format!("{web_url}/{repo_path}/issues/{number}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::github_com(ProviderKind::Github, "https://github.com", "https://api.github.com")]
    #[case::github_com_trailing_slash(
        ProviderKind::Github,
        "https://github.com/",
        "https://api.github.com"
    )]
    #[case::github_enterprise(
        ProviderKind::Github,
        "https://ghe.corp.example",
        "https://ghe.corp.example/api/v3"
    )]
    #[case::gitlab_com(
        ProviderKind::Gitlab,
        "https://gitlab.com",
        "https://gitlab.com/api/v4"
    )]
    #[case::gitlab_relative_root(
        ProviderKind::Gitlab,
        "https://corp.example/gitlab",
        "https://corp.example/gitlab/api/v4"
    )]
    #[case::gitea_subpath(
        ProviderKind::Gitea,
        "https://host.example/gitea",
        "https://host.example/gitea/api/v1"
    )]
    #[case::forgejo_port(
        ProviderKind::Gitea,
        "http://127.0.0.1:3000",
        "http://127.0.0.1:3000/api/v1"
    )]
    fn api_root_follows_the_provider_convention(
        #[case] kind: ProviderKind,
        #[case] web: &str,
        #[case] expected: &str,
    ) {
        let web = normalize_web_url(web).unwrap();
        assert_eq!(api_url(kind, &web), expected);
    }

    #[rstest]
    #[case::gitea_subpath(
        ProviderKind::Gitea,
        "https://host.example/gitea",
        "alice/tools",
        7,
        "https://host.example/gitea/alice/tools/issues/7"
    )]
    #[case::github(
        ProviderKind::Github,
        "https://github.com",
        "rust-lang/rust",
        1,
        "https://github.com/rust-lang/rust/issues/1"
    )]
    #[case::gitlab_nested_groups(
        ProviderKind::Gitlab,
        "https://gitlab.com",
        "gnome/sub/group/project",
        42,
        "https://gitlab.com/gnome/sub/group/project/-/issues/42"
    )]
    #[case::gitlab_relative_root_and_nested_groups(
        ProviderKind::Gitlab,
        "https://corp.example/gitlab",
        "a/b/c",
        3,
        "https://corp.example/gitlab/a/b/c/-/issues/3"
    )]
    fn issue_pages_keep_subpaths_and_nested_groups(
        #[case] kind: ProviderKind,
        #[case] web: &str,
        #[case] repo: &str,
        #[case] number: u64,
        #[case] expected: &str,
    ) {
        assert_eq!(issue_web_url(kind, web, repo, number), expected);
    }

    #[rstest]
    #[case::the_trackers_page("https://git.example/a/b/issues/1", true)]
    #[case::upper_case_host("https://GIT.example/a/b/issues/1", true)]
    #[case::a_file("file:///etc/passwd", false)]
    #[case::smb("smb://git.example/share", false)]
    #[case::javascript("javascript:alert(1)", false)]
    #[case::another_host("https://evil.example/a/b/issues/1", false)]
    #[case::another_port("https://git.example:8443/a/b/issues/1", false)]
    #[case::credentials("https://x:y@git.example/a/b/issues/1", false)]
    #[case::not_a_url("issues/1", false)]
    fn only_pages_on_the_connections_host_are_trusted(#[case] url: &str, #[case] ok: bool) {
        assert_eq!(
            trusted_page(url, "https://git.example").is_some(),
            ok,
            "{url}"
        );
    }

    #[test]
    fn web_roots_are_normalized() {
        assert_eq!(
            normalize_web_url(" https://Gitea.Example.com/sub/ ").unwrap(),
            "https://gitea.example.com/sub"
        );
    }

    #[rstest]
    #[case::no_scheme("gitea.example.com")]
    #[case::ftp("ftp://gitea.example.com")]
    #[case::query("https://gitea.example.com/?x=1")]
    #[case::empty("")]
    fn unusable_web_roots_are_rejected(#[case] input: &str) {
        assert!(
            normalize_web_url(input).is_err(),
            "{input:?} must be rejected"
        );
    }

    #[rstest]
    #[case::https("https://git.example.com", false)]
    #[case::http_lan("http://git.example.com", true)]
    #[case::http_lan_ip("http://192.168.1.20:3000", true)]
    #[case::loopback_v4("http://127.0.0.1:3000/gitea", false)]
    #[case::loopback_v4_range("http://127.8.9.10", false)]
    #[case::loopback_v6("http://[::1]:8080", false)]
    #[case::localhost("http://LocalHost:3000", false)]
    #[case::not_localhost("http://localhost.example.com", true)]
    #[case::garbage("not a url", true)]
    fn only_plain_http_to_another_machine_is_in_clear(#[case] url: &str, #[case] clear: bool) {
        assert_eq!(sends_in_clear(url), clear, "{url}");
    }

    #[rstest]
    #[case::credentials("https://alice:s3cret@git.example.com/sub")]
    #[case::token_only("https://s3cret@git.example.com")]
    #[case::with_query("https://alice:s3cret@git.example.com/?tab=1")]
    #[case::malformed("https://alice:s3cret@git example.com")]
    #[case::no_scheme("alice:s3cret@git.example.com")]
    fn addresses_with_credentials_are_refused_without_echoing_them(#[case] input: &str) {
        let message = normalize_web_url(input).unwrap_err().to_string();
        assert!(!message.contains("s3cret"), "{message}");
        assert!(message.contains("***@git"), "{message}");
    }
}
