//! Writes by software agents (the MCP server, `issuesync mcp`): the same local edits,
//! creates, comments and conflict decisions a person makes, behind a per-connection
//! allow-list, and marked with the agent's name.
//!
//! Invariants:
//! - An agent changes nothing in a repository unless the connection's agent write list
//!   has a glob matching the repository's path (the default list is empty). The check
//!   runs before anything is stored, and a refusal says how to allow it.
//! - Agent writes go through the same code as a person's ([`super::editing`]): the same
//!   outbox, merge and conflict rules, so an agent cannot overwrite anyone silently.
//! - Every agent write stores the agent's name on its outbox row and appends a sync-log
//!   row naming it; the push of that row names it again.
//! - The name is what the client said about itself, so it is hostile input: control
//!   and bidi characters are dropped and it is cut to [`AGENT_NAME_MAX`] characters.

use serde::Serialize;

use super::{Resolution, Workspace};
use crate::error::{Error, Result};
use crate::model::{Comment, Field, Issue};
use crate::store::agent_writes;
use crate::store::sync_log::LogResult;

use super::editing::{Edited, IssueEdit, NewIssue};

/// The longest agent name kept (longer ones are cut).
pub const AGENT_NAME_MAX: usize = 64;

/// A software agent acting through the MCP server, named by its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    name: String,
}

impl Agent {
    /// The agent a client calls `client_name` (its MCP `clientInfo.name`), cleaned.
    pub fn new(client_name: &str) -> Self {
        let cleaned: String = client_name
            .chars()
            .filter(|c| {
                !c.is_control() && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            })
            .take(AGENT_NAME_MAX)
            .collect();
        let name = cleaned.trim();
        Self {
            name: if name.is_empty() {
                "unnamed MCP client".to_string()
            } else {
                name.to_string()
            },
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Which repositories of a connection agents may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentWrites {
    pub connection: String,
    /// Globs over `OWNER/REPO` (GitLab: the full project path). `*` matches within one
    /// path segment, `**` across segments, `?` one character. Empty: no agent writes.
    pub repo_globs: Vec<String>,
}

/// Whether the repository path `path` matches `pattern` (see [`AgentWrites`]); both are
/// compared case-insensitively, as trackers treat repository paths.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let path: Vec<char> = path.to_lowercase().chars().collect();
    matches_from(&pattern, &path)
}

fn matches_from(pattern: &[char], path: &[char]) -> bool {
    match pattern {
        [] => path.is_empty(),
        ['*', '*', rest @ ..] => {
            // `**/` also matches no segment at all (`group/**/x` matches `group/x`).
            if let ['/', after @ ..] = rest {
                if matches_from(after, path) {
                    return true;
                }
            }
            (0..=path.len()).any(|skip| matches_from(rest, &path[skip..]))
        }
        ['*', rest @ ..] => {
            let segment = path.iter().take_while(|c| **c != '/').count();
            (0..=segment).any(|skip| matches_from(rest, &path[skip..]))
        }
        ['?', rest @ ..] => match path {
            [c, tail @ ..] if *c != '/' => matches_from(rest, tail),
            _ => false,
        },
        [p, rest @ ..] => match path {
            [c, tail @ ..] if c == p => matches_from(rest, tail),
            _ => false,
        },
    }
}

/// Checks one glob as a person typed it.
fn validate_glob(glob: &str) -> Result<String> {
    let glob = glob.trim().trim_matches('/');
    let bad = |problem: &str| Error::BadFieldValue {
        field: "agent write glob".into(),
        value: glob.to_string(),
        problem: problem.into(),
    };
    if glob.is_empty() {
        return Err(bad("give a repository path or a glob such as owner/*"));
    }
    if glob.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("a repository path has no spaces"));
    }
    if glob.len() > 200 {
        return Err(bad("at most 200 characters"));
    }
    Ok(glob.to_string())
}

impl Workspace {
    /// Replaces the repositories of a connection that agents may change (globs over the
    /// repository path; empty: none).
    ///
    /// # Errors
    /// An unknown connection, an empty or malformed glob, or a store failure (then the
    /// list is unchanged).
    pub fn set_agent_writes(&self, connection: &str, globs: &[String]) -> Result<AgentWrites> {
        let connection = self.connection(connection)?;
        let globs = globs
            .iter()
            .map(|g| validate_glob(g))
            .collect::<Result<Vec<_>>>()?;
        self.store().write(|tx| -> Result<()> {
            agent_writes::replace(tx, connection.id, &globs)?;
            Ok(())
        })?;
        let stored = agent_writes::for_connection(self.store().conn(), connection.id)?;
        let detail = if stored.is_empty() {
            format!("{}: agents may not write", connection.name)
        } else {
            format!(
                "{}: agents may write to {}",
                connection.name,
                stored.join(" ")
            )
        };
        self.log(
            Some(connection.id),
            None,
            "connection_edit",
            LogResult::Ok,
            &detail,
        )?;
        Ok(AgentWrites {
            connection: connection.name,
            repo_globs: stored,
        })
    }

    /// The repositories of a connection that agents may change.
    ///
    /// # Errors
    /// An unknown connection or a store failure.
    pub fn agent_writes(&self, connection: &str) -> Result<AgentWrites> {
        let connection = self.connection(connection)?;
        Ok(AgentWrites {
            repo_globs: agent_writes::for_connection(self.store().conn(), connection.id)?,
            connection: connection.name,
        })
    }

    /// Refuses unless `connection`'s agent write list allows the repository `path`.
    pub(super) fn check_agent_may_write(
        &self,
        agent: &Agent,
        connection: &str,
        path: &str,
    ) -> Result<()> {
        let globs = self.agent_writes(connection)?.repo_globs;
        if globs.iter().any(|g| glob_matches(g, path)) {
            return Ok(());
        }
        let suggested: Vec<&str> = globs
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(path))
            .collect();
        Err(Error::AgentWriteRefused {
            agent: agent.name().to_string(),
            connection: connection.to_string(),
            repo: path.to_string(),
            globs: suggested.join(" "),
        })
    }

    /// [`Self::edit_issue`] by an agent.
    ///
    /// # Errors
    /// [`Error::AgentWriteRefused`] when the connection does not allow agents to write to
    /// the repository, and every error of [`Self::edit_issue`]; nothing is stored then.
    pub fn agent_edit_issue(
        &self,
        agent: &Agent,
        reference: &str,
        edit: &IssueEdit,
    ) -> Result<Edited> {
        self.edit_issue_by(reference, edit, Some(agent))
    }

    /// [`Self::create_issue`] by an agent.
    ///
    /// # Errors
    /// [`Error::AgentWriteRefused`], and every error of [`Self::create_issue`].
    pub fn agent_create_issue(
        &self,
        agent: &Agent,
        repo_reference: &str,
        new: &NewIssue,
    ) -> Result<Issue> {
        self.create_issue_by(repo_reference, new, Some(agent))
    }

    /// [`Self::add_comment`] by an agent.
    ///
    /// # Errors
    /// [`Error::AgentWriteRefused`], and every error of [`Self::add_comment`].
    pub fn agent_add_comment(&self, agent: &Agent, reference: &str, body: &str) -> Result<Comment> {
        self.add_comment_by(reference, body, Some(agent))
    }

    /// [`Self::resolve`] by an agent.
    ///
    /// # Errors
    /// [`Error::AgentWriteRefused`], and every error of [`Self::resolve`].
    pub fn agent_resolve(
        &self,
        agent: &Agent,
        reference: &str,
        field: Field,
        resolution: &Resolution,
    ) -> Result<Issue> {
        self.resolve_by(reference, field, resolution, Some(agent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::exact("alice/tools", "alice/tools", true)]
    #[case::case_insensitive("Alice/Tools", "alice/tools", true)]
    #[case::other_repo("alice/tools", "alice/tool", false)]
    #[case::prefix_is_not_enough("alice/tools", "alice/tools-extra", false)]
    #[case::star_in_owner("alice/*", "alice/tools", true)]
    #[case::star_other_owner("alice/*", "bob/tools", false)]
    #[case::star_stays_in_its_segment("group/*", "group/sub/project", false)]
    #[case::double_star_crosses_segments("group/**", "group/sub/project", true)]
    #[case::double_star_slash_may_be_empty("group/**/project", "group/project", true)]
    #[case::double_star_nested("group/**/project", "group/a/b/project", true)]
    #[case::everything("**", "any/where/at/all", true)]
    #[case::star_alone_is_one_segment("*", "alice/tools", false)]
    #[case::star_middle("alice/t*s", "alice/tools", true)]
    #[case::question_mark("alice/tool?", "alice/tools", true)]
    #[case::question_mark_no_slash("alice?tools", "alice/tools", false)]
    fn repository_globs_match_as_documented(
        #[case] pattern: &str,
        #[case] path: &str,
        #[case] expected: bool,
    ) {
        assert_eq!(glob_matches(pattern, path), expected, "{pattern} vs {path}");
    }

    #[test]
    fn agent_names_lose_control_characters_and_length() {
        assert_eq!(
            Agent::new("claude-code\x1b[2J\u{202E}").name(),
            "claude-code[2J"
        );
        assert_eq!(Agent::new("  \n ").name(), "unnamed MCP client");
        assert_eq!(Agent::new(&"x".repeat(500)).name().len(), AGENT_NAME_MAX);
    }

    #[rstest]
    #[case::empty("  ")]
    #[case::space("alice/ tools")]
    #[case::slashes_only("//")]
    fn malformed_globs_are_refused(#[case] glob: &str) {
        assert_eq!(validate_glob(glob).unwrap_err().code(), "invalid_input");
    }
}
