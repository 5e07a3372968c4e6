//! What a tracker does to the values we send it, in one place: which names it matches
//! without regard to case, how many assignees an issue can hold, whether it fills in a
//! state reason of its own, which differences in a body it does not keep, and which
//! fields a compare-and-swap protects, and how many reads it takes at once from one
//! connection. The pure merge ([`crate::sync::merge`]), the observe decision, the push
//! plan and the sync round ([`crate::sync::sync_connection`]) consult this model instead
//! of special cases.
//!
//! Invariants:
//! - Pure: no I/O. [`Capabilities::same`] is reflexive and symmetric, and two values it
//!   calls the same are stored alike by the tracker, so a difference it ignores is never
//!   pushed and never shown as a conflict.
//! - What varies per instance (GitLab Free keeps one assignee, Premium many) is learned
//!   from the tracker's own answers and listings ([`learned_from_answer`],
//!   [`learned_from_issue`]) and remembered per connection; until then the cautious
//!   assumption holds (assignees merge as one value, so no assignee can be dropped).
//! - Writes go one at a time on every tracker (GitHub's secondary rate limits ask for
//!   mutations sent serially; the others have no compare-and-swap to make concurrent
//!   writes safe), so only the reads' bound, [`Capabilities::parallel_reads`], varies.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::model::{normalize_set, Field, FieldValue, IssueFields};

/// How a tracker matches label names or logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatching {
    /// `Bug` and `bug` are two names.
    Exact,
    /// `Bug` and `bug` name the same thing; the tracker keeps its own spelling.
    CaseInsensitive,
}

impl NameMatching {
    /// The form two names are compared in.
    pub fn key<'a>(self, name: &'a str) -> Cow<'a, str> {
        match self {
            Self::Exact => Cow::Borrowed(name),
            Self::CaseInsensitive if name.chars().any(char::is_uppercase) => {
                Cow::Owned(name.to_lowercase())
            }
            Self::CaseInsensitive => Cow::Borrowed(name),
        }
    }

    fn keys(self, names: &[String]) -> BTreeSet<Cow<'_, str>> {
        names.iter().map(|n| self.key(n)).collect()
    }
}

/// How many assignees an issue can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeCapacity {
    /// Any number: assignees merge as a set.
    Many,
    /// One (GitLab Free keeps only the first of `assignee_ids`): assignees merge as one
    /// value, and a second one cannot be pushed.
    One,
    /// Not known yet (GitLab before an answer or a listing told): merged as one value,
    /// the cautious choice; a push of several finds out.
    Unknown,
}

impl AssigneeCapacity {
    /// The stable name stored per connection.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Many => "many",
            Self::One => "one",
            Self::Unknown => "unknown",
        }
    }

    /// Reads a stored name; anything else is [`AssigneeCapacity::Unknown`].
    pub fn parse(text: &str) -> Self {
        match text {
            "many" => Self::Many,
            "one" => Self::One,
            _ => Self::Unknown,
        }
    }
}

/// Which differences in an issue body a tracker does not keep, or that no reader can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyRules {
    /// CRLF and LF are the same line break (browsers post CRLF, editors and the API LF;
    /// some servers rewrite one into the other).
    pub line_endings: bool,
    /// Whitespace at the very end of the body is not kept, or not rendered.
    pub trailing_whitespace: bool,
}

/// What one tracker (kind, and instance where it varies) does to values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// How label names are matched.
    pub labels: NameMatching,
    /// How logins (assignees) are matched.
    pub logins: NameMatching,
    pub assignees: AssigneeCapacity,
    /// The tracker keeps a reason with the state and fills one in when none is sent
    /// (GitHub: closing gives `completed`, reopening `reopened`). A reason nobody chose
    /// is then not a change.
    pub state_reasons: bool,
    pub body: BodyRules,
    /// Fields a compare-and-swap protects (a stale write is refused and re-read): Gitea's
    /// `content_version` guards the body only. Every other field relies on the re-read
    /// just before the write.
    pub guarded: &'static [Field],
    /// Hosts besides the web root and API where the tracker serves what people upload
    /// into issue text (`*.githubusercontent.com`): their images load without asking.
    pub upload_hosts: &'static [&'static str],
    /// Upload paths in issue text (`/uploads/…`) are relative to the project page, not
    /// to the host (GitLab).
    pub uploads_under_project: bool,
    /// Reads (GETs) one connection keeps in flight at once, at least 1: how many of its
    /// repositories a sync pulls side by side. Writes never overlap anything. Chosen per
    /// kind, with the reasons, in [`crate::provider::capabilities`].
    pub parallel_reads: usize,
}

impl Capabilities {
    /// The same model with what was learned about this instance's assignees.
    pub fn with_assignees(mut self, learned: AssigneeCapacity) -> Self {
        if learned != AssigneeCapacity::Unknown {
            self.assignees = learned;
        }
        self
    }

    /// Whether a compare-and-swap protects `field`.
    pub fn guards(&self, field: Field) -> bool {
        self.guarded.contains(&field)
    }

    /// Whether the tracker would store `a` and `b` of `field` alike.
    pub fn same(&self, field: Field, a: &FieldValue, b: &FieldValue) -> bool {
        match (field, a, b) {
            (Field::Title, FieldValue::Text(x), FieldValue::Text(y)) => x.trim() == y.trim(),
            (Field::Body, FieldValue::Text(x), FieldValue::Text(y)) => {
                self.body_key(x) == self.body_key(y)
            }
            (
                Field::State,
                FieldValue::State {
                    state: s1,
                    reason: r1,
                },
                FieldValue::State {
                    state: s2,
                    reason: r2,
                },
            ) => s1 == s2 && (!self.state_reasons || r1 == r2 || r1.is_none() || r2.is_none()),
            (Field::Labels, FieldValue::Set(x), FieldValue::Set(y)) => {
                self.labels.keys(x) == self.labels.keys(y)
            }
            (Field::Assignees, FieldValue::Set(x), FieldValue::Set(y)) => {
                self.logins.keys(x) == self.logins.keys(y)
            }
            _ => a == b,
        }
    }

    /// The fields where `a` and `b` differ in a way the tracker keeps.
    pub fn differing(&self, a: &IssueFields, b: &IssueFields) -> Vec<Field> {
        Field::ALL
            .into_iter()
            .filter(|f| !self.same(*f, &a.value(*f), &b.value(*f)))
            .collect()
    }

    /// How a set-valued field's names are matched.
    pub fn matching(&self, field: Field) -> NameMatching {
        match field {
            Field::Assignees => self.logins,
            _ => self.labels,
        }
    }

    /// Whether both sides' changes of `field` may be combined as sets.
    pub fn merges_as_set(&self, field: Field) -> bool {
        match field {
            Field::Labels => true,
            Field::Assignees => self.assignees == AssigneeCapacity::Many,
            _ => false,
        }
    }

    /// The body as it is compared: line breaks as LF, no trailing whitespace, per the
    /// rules.
    pub fn body_key<'a>(&self, body: &'a str) -> Cow<'a, str> {
        let mut text = self.body_lines(body);
        if self.body.trailing_whitespace {
            let trimmed = text.trim_end();
            if trimmed.len() != text.len() {
                text = Cow::Owned(trimmed.to_string());
            }
        }
        text
    }

    /// The body with line breaks as LF when line endings do not count; what text merges
    /// work on, so a browser's CRLF does not make every line an edit.
    pub fn body_lines<'a>(&self, body: &'a str) -> Cow<'a, str> {
        if self.body.line_endings && body.contains('\r') {
            Cow::Owned(body.replace("\r\n", "\n"))
        } else {
            Cow::Borrowed(body)
        }
    }

    /// Why the tracker cannot hold `value` in `field`, if it cannot.
    pub fn cannot_hold(&self, field: Field, value: &FieldValue) -> Option<String> {
        match (field, value) {
            (Field::Assignees, FieldValue::Set(names))
                if self.assignees == AssigneeCapacity::One && names.len() > 1 =>
            {
                Some(format!(
                    "this tracker keeps one assignee per issue (GitLab Free), not {}; choose one",
                    names.len()
                ))
            }
            _ => None,
        }
    }

    /// Three-way merge of a set the way the tracker matches names: a name is kept when
    /// it is in all three or one side added it; one side removing it removes it. A name
    /// both hold is spelled as the tracker (`remote`) spells it.
    pub fn merge_sets(
        &self,
        field: Field,
        base: &[String],
        local: &[String],
        remote: &[String],
    ) -> Vec<String> {
        let m = self.matching(field);
        let (b, l) = (m.keys(base), m.keys(local));
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for name in remote {
            let k = m.key(name);
            if (!b.contains(&k) || l.contains(&k)) && seen.insert(k.into_owned()) {
                out.push(name.clone());
            }
        }
        let r = m.keys(remote);
        for name in local {
            let k = m.key(name);
            if !b.contains(&k) && !r.contains(&k) && seen.insert(k.into_owned()) {
                out.push(name.clone());
            }
        }
        normalize_set(out)
    }
}

/// What a write's answer teaches about the instance: several assignees sent and only
/// one kept means it keeps one (GitLab Free); several kept means many.
pub fn learned_from_answer(
    capabilities: &Capabilities,
    sent_assignees: Option<&[String]>,
    answer: &IssueFields,
) -> Option<AssigneeCapacity> {
    let sent = sent_assignees?;
    if capabilities.assignees == AssigneeCapacity::Many || sent.len() < 2 {
        return None;
    }
    match answer.assignees.len() {
        0 => None,
        1 => Some(AssigneeCapacity::One),
        _ => Some(AssigneeCapacity::Many),
    }
}

/// What a listed issue teaches: one with several assignees proves the instance holds
/// many.
pub fn learned_from_issue(
    capabilities: &Capabilities,
    remote: &IssueFields,
) -> Option<AssigneeCapacity> {
    (capabilities.assignees != AssigneeCapacity::Many && remote.assignees.len() > 1)
        .then_some(AssigneeCapacity::Many)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IssueState;
    use rstest::rstest;

    const GITHUB_LIKE: Capabilities = Capabilities {
        labels: NameMatching::CaseInsensitive,
        logins: NameMatching::CaseInsensitive,
        assignees: AssigneeCapacity::Many,
        state_reasons: true,
        body: BodyRules {
            line_endings: true,
            trailing_whitespace: true,
        },
        guarded: &[],
        upload_hosts: &[],
        uploads_under_project: false,
        parallel_reads: 4,
    };

    fn set(names: &[&str]) -> FieldValue {
        FieldValue::Set(names.iter().map(|s| s.to_string()).collect())
    }

    fn state(state: IssueState, reason: Option<&str>) -> FieldValue {
        FieldValue::State {
            state,
            reason: reason.map(str::to_string),
        }
    }

    #[rstest]
    #[case::label_case(Field::Labels, set(&["Bug"]), set(&["bug"]), true)]
    #[case::label_case_duplicate(Field::Labels, set(&["Bug", "bug"]), set(&["bug"]), true)]
    #[case::other_label(Field::Labels, set(&["bug"]), set(&["ui"]), false)]
    #[case::login_case(Field::Assignees, set(&["Alice"]), set(&["alice"]), true)]
    #[case::crlf(Field::Body, FieldValue::Text("a\r\nb\r\n".into()), FieldValue::Text("a\nb".into()), true)]
    #[case::inner_space_counts(Field::Body, FieldValue::Text("a  \nb".into()), FieldValue::Text("a\nb".into()), false)]
    #[case::unchosen_reason(
        Field::State,
        state(IssueState::Closed, None),
        state(IssueState::Closed, Some("completed")),
        true
    )]
    #[case::chosen_reasons_differ(
        Field::State,
        state(IssueState::Closed, Some("not_planned")),
        state(IssueState::Closed, Some("completed")),
        false
    )]
    #[case::state_differs(
        Field::State,
        state(IssueState::Open, None),
        state(IssueState::Closed, None),
        false
    )]
    #[case::title_space(Field::Title, FieldValue::Text(" T ".into()), FieldValue::Text("T".into()), true)]
    fn same_compares_the_way_the_tracker_stores(
        #[case] field: Field,
        #[case] a: FieldValue,
        #[case] b: FieldValue,
        #[case] expected: bool,
    ) {
        assert_eq!(GITHUB_LIKE.same(field, &a, &b), expected);
        assert_eq!(GITHUB_LIKE.same(field, &b, &a), expected, "symmetric");
        assert!(GITHUB_LIKE.same(field, &a, &a), "reflexive");
    }

    #[test]
    fn exact_names_and_no_reasons_are_compared_exactly() {
        let exact = Capabilities {
            labels: NameMatching::Exact,
            state_reasons: false,
            ..GITHUB_LIKE
        };
        assert!(!exact.same(Field::Labels, &set(&["Bug"]), &set(&["bug"])));
        assert!(
            exact.same(
                Field::State,
                &state(IssueState::Closed, Some("x")),
                &state(IssueState::Closed, Some("y"))
            ),
            "a tracker without reasons keeps none, so none can differ"
        );
    }

    #[test]
    fn sets_merge_by_the_trackers_names_and_keep_its_spelling() {
        let merged = GITHUB_LIKE.merge_sets(
            Field::Labels,
            &["bug".into()],
            &["Bug".into(), "UI".into()],
            &["bug".into(), "p1".into()],
        );
        assert_eq!(merged, vec!["UI", "bug", "p1"]);
        let removed = GITHUB_LIKE.merge_sets(
            Field::Labels,
            &["bug".into(), "ui".into()],
            &["Bug".into()],
            &["bug".into(), "ui".into(), "p1".into()],
        );
        assert_eq!(
            removed,
            vec!["bug", "p1"],
            "ui removed locally stays removed"
        );
    }

    #[test]
    fn one_assignee_is_learned_from_an_answer_that_kept_one_of_two() {
        let unknown = Capabilities {
            assignees: AssigneeCapacity::Unknown,
            ..GITHUB_LIKE
        };
        let mut answer = IssueFields {
            title: "t".into(),
            body: String::new(),
            state: IssueState::Open,
            state_reason: None,
            labels: vec![],
            assignees: vec!["alice".into()],
            milestone: None,
        };
        let sent = ["alice".to_string(), "bob".to_string()];
        assert_eq!(
            learned_from_answer(&unknown, Some(&sent), &answer),
            Some(AssigneeCapacity::One)
        );
        assert_eq!(
            learned_from_answer(&unknown, Some(&sent[..1]), &answer),
            None
        );
        answer.assignees.push("bob".into());
        assert_eq!(
            learned_from_answer(&unknown, Some(&sent), &answer),
            Some(AssigneeCapacity::Many)
        );
        assert_eq!(
            learned_from_issue(&unknown, &answer),
            Some(AssigneeCapacity::Many)
        );
        assert!(!unknown.merges_as_set(Field::Assignees));
        assert!(unknown
            .with_assignees(AssigneeCapacity::Many)
            .merges_as_set(Field::Assignees));
        let one = unknown.with_assignees(AssigneeCapacity::One);
        assert!(one
            .cannot_hold(Field::Assignees, &set(&["alice", "bob"]))
            .is_some());
        assert!(one.cannot_hold(Field::Assignees, &set(&["bob"])).is_none());
    }
}
