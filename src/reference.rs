//! Parsing the references people type: `NAME:OWNER/REPO` for a repository,
//! `NAME:OWNER/REPO#NUMBER`, `NAME:OWNER/REPO#local-ID` (a local create not pushed yet)
//! or a bare local id for an issue.
//!
//! Invariant: GitLab paths may nest (`NAME:group/sub/project#3`); the connection name
//! ends at the first `:`, the number starts after the last `#`.

use crate::error::{Error, Result};

/// `NAME:OWNER/REPO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRef {
    pub connection: String,
    pub path: String,
}

impl std::fmt::Display for RepoRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.connection, self.path)
    }
}

/// An issue by reference or by local id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueRef {
    Local(i64),
    Remote {
        repo: RepoRef,
        number: u64,
    },
    /// A local create, by its local id, in the repository it belongs to.
    Draft {
        repo: RepoRef,
        id: i64,
    },
}

/// Parses `NAME:OWNER/REPO`.
///
/// # Errors
/// [`Error::BadRepoReference`] when a part is missing or empty.
pub fn parse_repo_ref(input: &str) -> Result<RepoRef> {
    let bad = || Error::BadRepoReference {
        input: input.to_string(),
    };
    let (connection, path) = input.trim().split_once(':').ok_or_else(bad)?;
    let path = path.trim_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    if connection.is_empty() || segments.len() < 2 || segments.iter().any(|s| s.is_empty()) {
        return Err(bad());
    }
    Ok(RepoRef {
        connection: connection.to_string(),
        path: path.to_string(),
    })
}

/// Parses `NAME:OWNER/REPO#NUMBER` or a local id.
///
/// # Errors
/// [`Error::BadIssueReference`] when it is neither.
pub fn parse_issue_ref(input: &str) -> Result<IssueRef> {
    let input = input.trim();
    if let Ok(id) = input.parse::<i64>() {
        if id > 0 {
            return Ok(IssueRef::Local(id));
        }
    }
    let bad = || Error::BadIssueReference {
        input: input.to_string(),
    };
    let (repo, number) = input.rsplit_once('#').ok_or_else(bad)?;
    let repo = parse_repo_ref(repo).map_err(|_| bad())?;
    if let Some(id) = number.strip_prefix("local-") {
        let id: i64 = id.parse().map_err(|_| bad())?;
        return Ok(IssueRef::Draft { repo, id });
    }
    let number: u64 = number.parse().map_err(|_| bad())?;
    Ok(IssueRef::Remote { repo, number })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn nested_gitlab_paths_parse() {
        assert_eq!(
            parse_issue_ref("lab:group/sub/project#42").unwrap(),
            IssueRef::Remote {
                repo: RepoRef {
                    connection: "lab".into(),
                    path: "group/sub/project".into()
                },
                number: 42
            }
        );
    }

    #[test]
    fn local_creates_are_referenced_by_local_id() {
        assert_eq!(
            parse_issue_ref("w:o/r#local-7").unwrap(),
            IssueRef::Draft {
                repo: RepoRef {
                    connection: "w".into(),
                    path: "o/r".into()
                },
                id: 7
            }
        );
        assert!(parse_issue_ref("w:o/r#local-x").is_err());
    }

    #[test]
    fn bare_numbers_are_local_ids() {
        assert_eq!(parse_issue_ref("17").unwrap(), IssueRef::Local(17));
    }

    #[rstest]
    #[case::no_number("work:alice/tools")]
    #[case::no_connection(":alice/tools#1")]
    #[case::no_repo("work:alice#1")]
    #[case::bad_number("work:alice/tools#x")]
    #[case::zero("0")]
    #[case::empty("")]
    fn malformed_issue_refs_are_rejected(#[case] input: &str) {
        let err = parse_issue_ref(input).unwrap_err();
        assert_eq!(err.code(), "bad_reference", "{input:?}: {err}");
    }

    #[rstest]
    #[case::missing_colon("alice/tools")]
    #[case::one_segment("work:tools")]
    #[case::empty_segment("work:alice//tools")]
    fn malformed_repo_refs_are_rejected(#[case] input: &str) {
        assert!(parse_repo_ref(input).is_err(), "{input:?}");
    }
}
