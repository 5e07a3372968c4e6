//! Issue resources: every mirrored issue is readable as
//! `issuesync://NAME/OWNER/REPO/NUMBER` (GitLab paths keep their groups:
//! `issuesync://lab/group/sub/project/7`; a local create not pushed yet ends in
//! `local-ID`). They are offered through one resource template, never listed one by one.
//!
//! Invariant: a URI maps to exactly one issue reference the core understands
//! (`NAME:PATH#NUMBER`); anything else is refused before the store is asked.

/// The URI scheme's prefix.
pub const PREFIX: &str = "issuesync://";

/// The RFC 6570 template clients see (`+` lets the repository path hold slashes).
pub const TEMPLATE: &str = "issuesync://{connection}/{+repo}/{number}";

/// The issue reference (`NAME:OWNER/REPO#NUMBER`) a resource URI names, or `None` when
/// it is not one.
pub fn reference_of(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix(PREFIX)?;
    let segments: Vec<&str> = rest.split('/').collect();
    let [connection, path @ .., number] = segments.as_slice() else {
        return None;
    };
    if connection.is_empty() || path.len() < 2 || path.iter().any(|s| s.is_empty()) {
        return None;
    }
    let number_ok = number.parse::<u64>().is_ok()
        || number
            .strip_prefix("local-")
            .is_some_and(|id| id.parse::<u64>().is_ok());
    if !number_ok {
        return None;
    }
    Some(format!("{connection}:{}#{number}", path.join("/")))
}

/// The resource URI of an issue by its reference (`NAME:PATH#NUMBER`).
pub fn uri_of(reference: &str) -> Option<String> {
    let (connection, rest) = reference.split_once(':')?;
    let (path, number) = rest.rsplit_once('#')?;
    Some(format!("{PREFIX}{connection}/{path}/{number}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::github("issuesync://work/alice/tools/3", Some("work:alice/tools#3"))]
    #[case::gitlab_groups("issuesync://lab/group/sub/project/7", Some("lab:group/sub/project#7"))]
    #[case::local_create("issuesync://w/o/r/local-12", Some("w:o/r#local-12"))]
    #[case::no_number("issuesync://work/alice/tools", None)]
    #[case::one_segment_repo("issuesync://work/tools/3", None)]
    #[case::bad_number("issuesync://work/alice/tools/three", None)]
    #[case::empty_segment("issuesync://work/alice//tools/3", None)]
    #[case::other_scheme("https://work/alice/tools/3", None)]
    fn resource_uris_name_one_issue(#[case] uri: &str, #[case] reference: Option<&str>) {
        assert_eq!(reference_of(uri).as_deref(), reference);
    }

    #[test]
    fn an_issue_uri_reads_back_as_its_reference() {
        let uri = uri_of("lab:group/sub/project#7").unwrap();
        assert_eq!(uri, "issuesync://lab/group/sub/project/7");
        assert_eq!(reference_of(&uri).unwrap(), "lab:group/sub/project#7");
    }
}
