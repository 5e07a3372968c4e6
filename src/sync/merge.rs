//! The three-way merge of an issue's fields: base (the last remote version both sides
//! agreed on), local (the working copy with the person's edits) and remote (what the
//! tracker has now).
//!
//! Per field:
//! - changed on one side only → that side;
//! - changed on both sides to the same value → that value;
//! - labels and assignees are sets: additions and removals of both sides combine;
//! - the body merges by lines where the edits do not overlap ([`merge_text`]);
//! - "changed" and "the same" are judged the way the tracker stores values
//!   ([`Capabilities::same`]): a label's case where names are case-insensitive, CRLF
//!   against LF, a state reason nobody chose are no change; a tracker that keeps one
//!   assignee merges assignees as one value, not as a set;
//! - anything else changed differently on both sides is a conflict, decided by the
//!   connection's [`ConflictPolicy`]: kept for the person (`Ask`), or taken from one side.
//!
//! Invariants: pure (no I/O, no clock); symmetric up to the local/remote labels; an
//! unchanged side yields the other side; no set element one side added is lost, no
//! element one side removed comes back.

use std::fmt;

use serde::Serialize;

use super::text_merge::{merge_text, TextMerge};
use crate::model::{ConflictPolicy, Field, FieldConflict, FieldValue, IssueFields};
use crate::provider::Capabilities;

/// A decision the merge took on its own, for the sync log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    /// Both sides changed a set; additions and removals were combined.
    SetsCombined { field: Field },
    /// Both sides edited the body on different lines.
    LinesMerged,
    /// A conflict was decided by the connection's policy.
    PolicyApplied {
        field: Field,
        policy: ConflictPolicy,
    },
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SetsCombined { field } => {
                write!(
                    f,
                    "{field}: combined the additions and removals of both sides"
                )
            }
            Self::LinesMerged => write!(f, "body: merged edits to different lines"),
            Self::PolicyApplied { field, policy } => {
                let side = match policy {
                    ConflictPolicy::LocalWins => "local",
                    _ => "remote",
                };
                write!(
                    f,
                    "{field}: both sides changed it; took the {side} value ({policy})"
                )
            }
        }
    }
}

/// The result of a merge: the new working copy, what needs the person, what was
/// decided automatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The merged fields. A conflicted field holds the local value, so the person keeps
    /// seeing their edit while it waits.
    pub fields: IssueFields,
    pub conflicts: Vec<FieldConflict>,
    pub decisions: Vec<Decision>,
}

/// Merges one issue, comparing values the way the tracker stores them
/// (`capabilities`). `base` may be a per-field base: a field that is already in
/// conflict keeps the base of that conflict (see [`merge_with_open_conflicts`]).
pub fn merge(
    base: &IssueFields,
    local: &IssueFields,
    remote: &IssueFields,
    policy: ConflictPolicy,
    capabilities: &Capabilities,
) -> Merged {
    let mut fields = local.clone();
    let mut conflicts = Vec::new();
    let mut decisions = Vec::new();
    for field in Field::ALL {
        let (b, l, r) = (base.value(field), local.value(field), remote.value(field));
        let same = |x: &FieldValue, y: &FieldValue| capabilities.same(field, x, y);
        let value = match (field, &b, &l, &r) {
            // The tracker's spelling wins where the two only differ in a way it does
            // not keep.
            _ if same(&l, &b) || same(&l, &r) => r.clone(),
            _ if same(&r, &b) => l.clone(),
            (
                Field::Labels | Field::Assignees,
                FieldValue::Set(bs),
                FieldValue::Set(ls),
                FieldValue::Set(rs),
            ) if capabilities.merges_as_set(field) => {
                decisions.push(Decision::SetsCombined { field });
                FieldValue::Set(capabilities.merge_sets(field, bs, ls, rs))
            }
            (Field::Body, FieldValue::Text(bt), FieldValue::Text(lt), FieldValue::Text(rt)) => {
                let lines = |t: &'_ str| capabilities.body_lines(t).into_owned();
                match merge_text(&lines(bt), &lines(lt), &lines(rt)) {
                    TextMerge::Clean(text) => {
                        decisions.push(Decision::LinesMerged);
                        FieldValue::Text(text)
                    }
                    TextMerge::Conflict => {
                        decide(field, (b, l, r), policy, &mut conflicts, &mut decisions)
                    }
                }
            }
            _ => decide(field, (b, l, r), policy, &mut conflicts, &mut decisions),
        };
        // The shapes always match: each value came from `IssueFields::value(field)`.
        let _ = fields.set(field, value);
    }
    Merged {
        fields,
        conflicts,
        decisions,
    }
}

/// A true conflict: the policy decides, or it is kept for the person.
fn decide(
    field: Field,
    (base, local, remote): (FieldValue, FieldValue, FieldValue),
    policy: ConflictPolicy,
    conflicts: &mut Vec<FieldConflict>,
    decisions: &mut Vec<Decision>,
) -> FieldValue {
    match policy {
        ConflictPolicy::Ask => {
            let kept = local.clone();
            conflicts.push(FieldConflict {
                field,
                base,
                local,
                remote,
            });
            kept
        }
        ConflictPolicy::RemoteWins => {
            decisions.push(Decision::PolicyApplied { field, policy });
            remote
        }
        ConflictPolicy::LocalWins => {
            decisions.push(Decision::PolicyApplied { field, policy });
            local
        }
    }
}

/// Merges a field with open conflicts: a conflicted field merges against the base of
/// its conflict (the last value both sides agreed on), every other field against
/// `base`. A conflict the new remote value settles (it now equals the local value, or
/// went back to the conflict's base) disappears; one that stays gets the new remote.
pub fn merge_with_open_conflicts(
    base: &IssueFields,
    local: &IssueFields,
    remote: &IssueFields,
    open: &[FieldConflict],
    policy: ConflictPolicy,
    capabilities: &Capabilities,
) -> Merged {
    let mut effective_base = base.clone();
    for conflict in open {
        // A stored conflict of the wrong shape cannot happen (it came from `value`);
        // if it did, merging against the plain base is the safe fallback.
        let _ = effective_base.set(conflict.field, conflict.base.clone());
    }
    merge(&effective_base, local, remote, policy, capabilities)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{normalize_set, IssueState, ProviderKind};
    use crate::provider::AssigneeCapacity;
    use proptest::prelude::*;
    use rstest::rstest;

    /// GitHub's model: sets merge, names match without regard to case.
    fn caps() -> Capabilities {
        crate::provider::capabilities(ProviderKind::Github)
    }

    fn fields() -> IssueFields {
        IssueFields {
            title: "Crash on start".into(),
            body: "Steps:\n1. open\n2. click\n\nExpected: no crash\n".into(),
            state: IssueState::Open,
            state_reason: None,
            labels: vec!["bug".into(), "ui".into()],
            assignees: vec!["alice".into()],
            milestone: Some("v1".into()),
        }
    }

    fn set(names: &[&str]) -> Vec<String> {
        normalize_set(names.iter().map(|s| s.to_string()))
    }

    /// (field, local edit, remote edit, expected merged value or None for a conflict)
    fn edit(f: Field, value: FieldValue) -> IssueFields {
        let mut x = fields();
        x.set(f, value).unwrap();
        x
    }

    fn text(s: &str) -> FieldValue {
        FieldValue::Text(s.into())
    }

    fn state(s: IssueState) -> FieldValue {
        FieldValue::State {
            state: s,
            reason: None,
        }
    }

    #[rstest]
    #[case::title_local_only(Field::Title, Some(text("Mine")), None, Some(text("Mine")))]
    #[case::title_remote_only(Field::Title, None, Some(text("Theirs")), Some(text("Theirs")))]
    #[case::title_same_both(
        Field::Title,
        Some(text("Same")),
        Some(text("Same")),
        Some(text("Same"))
    )]
    #[case::title_differently(Field::Title, Some(text("Mine")), Some(text("Theirs")), None)]
    #[case::state_local_only(
        Field::State,
        Some(state(IssueState::Closed)),
        None,
        Some(state(IssueState::Closed))
    )]
    #[case::state_same_both(
        Field::State,
        Some(state(IssueState::Closed)),
        Some(state(IssueState::Closed)),
        Some(state(IssueState::Closed))
    )]
    #[case::state_reason_differs(Field::State,
        Some(FieldValue::State { state: IssueState::Closed, reason: Some("completed".into()) }),
        Some(FieldValue::State { state: IssueState::Closed, reason: Some("not_planned".into()) }),
        None)]
    #[case::milestone_local_cleared(
        Field::Milestone,
        Some(FieldValue::Optional(None)),
        None,
        Some(FieldValue::Optional(None))
    )]
    #[case::milestone_differently(Field::Milestone, Some(FieldValue::Optional(Some("v2".into()))), Some(FieldValue::Optional(None)), None)]
    #[case::labels_remote_removed_local_added(Field::Labels,
        Some(FieldValue::Set(set(&["bug", "ui", "p1"]))), Some(FieldValue::Set(set(&["ui"]))),
        Some(FieldValue::Set(set(&["p1", "ui"]))))]
    #[case::labels_both_added(Field::Labels,
        Some(FieldValue::Set(set(&["bug", "ui", "a"]))), Some(FieldValue::Set(set(&["bug", "ui", "b"]))),
        Some(FieldValue::Set(set(&["a", "b", "bug", "ui"]))))]
    #[case::labels_both_removed_different(Field::Labels,
        Some(FieldValue::Set(set(&["ui"]))), Some(FieldValue::Set(set(&["bug"]))),
        Some(FieldValue::Set(set(&[]))))]
    #[case::assignees_swap_each_side(Field::Assignees,
        Some(FieldValue::Set(set(&["bob"]))), Some(FieldValue::Set(set(&["alice", "carol"]))),
        Some(FieldValue::Set(set(&["bob", "carol"]))))]
    #[case::body_different_lines(
        Field::Body,
        Some(text("Steps:\n1. open the app\n2. click\n\nExpected: no crash\n")),
        Some(text("Steps:\n1. open\n2. click\n\nExpected: no crash, ever\n")),
        Some(text("Steps:\n1. open the app\n2. click\n\nExpected: no crash, ever\n"))
    )]
    #[case::body_same_line(
        Field::Body,
        Some(text("Steps:\n1. open it\n2. click\n\nExpected: no crash\n")),
        Some(text("Steps:\n1. launch\n2. click\n\nExpected: no crash\n")),
        None
    )]
    fn one_field(
        #[case] field: Field,
        #[case] local: Option<FieldValue>,
        #[case] remote: Option<FieldValue>,
        #[case] expected: Option<FieldValue>,
    ) {
        let base = fields();
        let local = local.map_or_else(fields, |v| edit(field, v));
        let remote = remote.map_or_else(fields, |v| edit(field, v));
        let merged = merge(&base, &local, &remote, ConflictPolicy::Ask, &caps());
        match expected {
            Some(value) => {
                assert!(merged.conflicts.is_empty(), "{:?}", merged.conflicts);
                assert_eq!(merged.fields.value(field), value);
            }
            None => {
                assert_eq!(merged.conflicts.len(), 1);
                let c = &merged.conflicts[0];
                assert_eq!(c.field, field);
                assert_eq!(c.base, base.value(field));
                assert_eq!(c.local, local.value(field));
                assert_eq!(c.remote, remote.value(field));
                assert_eq!(
                    merged.fields.value(field),
                    local.value(field),
                    "a conflicted field shows the person's own value while it waits"
                );
            }
        }
        for other in Field::ALL.into_iter().filter(|f| *f != field) {
            assert_eq!(
                merged.fields.value(other),
                base.value(other),
                "{other} untouched"
            );
        }
    }

    #[test]
    fn a_conflict_does_not_hold_back_the_other_fields() {
        let base = fields();
        let mut local = fields();
        local.title = "Mine".into();
        local.labels = set(&["bug", "ui", "local"]);
        let mut remote = fields();
        remote.title = "Theirs".into();
        remote.state = IssueState::Closed;
        let merged = merge(&base, &local, &remote, ConflictPolicy::Ask, &caps());
        assert_eq!(merged.conflicts.len(), 1);
        assert_eq!(
            merged.fields.state,
            IssueState::Closed,
            "remote's close lands"
        );
        assert_eq!(merged.fields.labels, set(&["bug", "local", "ui"]));
    }

    fn with(f: impl FnOnce(&mut IssueFields)) -> IssueFields {
        let mut x = fields();
        f(&mut x);
        x
    }

    #[test]
    fn a_single_assignee_tracker_merges_assignees_as_one_value() {
        let base = fields(); // alice
        let local = with(|f| f.assignees = set(&["bob"]));
        let remote = with(|f| f.assignees = set(&["carol"]));
        for capacity in [AssigneeCapacity::One, AssigneeCapacity::Unknown] {
            let caps = Capabilities {
                assignees: capacity,
                ..caps()
            };
            let merged = merge(&base, &local, &remote, ConflictPolicy::Ask, &caps);
            assert_eq!(
                merged.conflicts.len(),
                1,
                "{capacity:?}: not {{bob, carol}}"
            );
            assert_eq!(merged.conflicts[0].remote, FieldValue::Set(set(&["carol"])));
            assert_eq!(merged.fields.assignees, set(&["bob"]));
        }
        let many = merge(&base, &local, &remote, ConflictPolicy::Ask, &caps());
        assert_eq!(many.fields.assignees, set(&["bob", "carol"]));
    }

    #[rstest]
    #[case::label_case(with(|f| f.labels = set(&["Bug", "ui"])), with(|f| f.title = "T2".into()))]
    #[case::label_case_twice(with(|f| f.labels = set(&["Bug", "bug", "ui"])), fields())]
    #[case::unchosen_close_reason(
        with(|f| f.state = IssueState::Closed),
        with(|f| { f.state = IssueState::Closed; f.state_reason = Some("completed".into()); })
    )]
    #[case::crlf_body(
        with(|f| f.body = f.body.replace('\n', "\r\n")),
        with(|f| f.body = f.body.trim_end().to_string())
    )]
    fn what_the_tracker_does_not_keep_is_no_change_and_no_conflict(
        #[case] local: IssueFields,
        #[case] remote: IssueFields,
    ) {
        for policy in [ConflictPolicy::Ask, ConflictPolicy::LocalWins] {
            let merged = merge(&fields(), &local, &remote, policy, &caps());
            assert!(merged.conflicts.is_empty(), "{:?}", merged.conflicts);
            assert!(merged.decisions.is_empty(), "{:?}", merged.decisions);
            assert!(
                caps().differing(&merged.fields, &remote).is_empty(),
                "nothing left to push: {merged:?}"
            );
        }
    }

    #[test]
    fn a_close_merges_with_the_reason_the_tracker_gave_it() {
        let local = with(|f| f.state = IssueState::Closed);
        let remote = with(|f| {
            f.state = IssueState::Closed;
            f.state_reason = Some("completed".into());
        });
        let merged = merge(&fields(), &local, &remote, ConflictPolicy::Ask, &caps());
        assert_eq!(
            merged.fields.state_reason.as_deref(),
            Some("completed"),
            "the tracker's reason is adopted"
        );
        let chosen = with(|f| {
            f.state = IssueState::Closed;
            f.state_reason = Some("not_planned".into());
        });
        let merged = merge(&fields(), &chosen, &remote, ConflictPolicy::Ask, &caps());
        assert_eq!(
            merged.conflicts.len(),
            1,
            "a chosen reason is a real difference"
        );
    }

    #[test]
    fn bodies_with_crlf_on_one_side_still_merge_by_lines() {
        let base = with(|f| f.body = "one\r\ntwo\r\nthree\r\n".into());
        let local = with(|f| f.body = "one, edited\ntwo\nthree\n".into());
        let remote = with(|f| f.body = "one\r\ntwo\r\nthree, edited\r\n".into());
        let merged = merge(&base, &local, &remote, ConflictPolicy::Ask, &caps());
        assert!(merged.conflicts.is_empty());
        assert_eq!(merged.fields.body, "one, edited\ntwo\nthree, edited\n");
    }

    #[rstest]
    #[case::remote_wins(ConflictPolicy::RemoteWins, "Theirs")]
    #[case::local_wins(ConflictPolicy::LocalWins, "Mine")]
    fn policies_decide_conflicts_and_say_so(#[case] policy: ConflictPolicy, #[case] title: &str) {
        let base = fields();
        let local = edit(Field::Title, text("Mine"));
        let remote = edit(Field::Title, text("Theirs"));
        let merged = merge(&base, &local, &remote, policy, &caps());
        assert!(merged.conflicts.is_empty());
        assert_eq!(merged.fields.title, title);
        assert_eq!(
            merged.decisions,
            vec![Decision::PolicyApplied {
                field: Field::Title,
                policy
            }],
            "every automatic decision is reported for the sync log"
        );
    }

    #[test]
    fn an_open_conflict_merges_against_its_own_base() {
        let base0 = fields();
        let local = edit(Field::Title, text("Mine"));
        let remote1 = edit(Field::Title, text("Theirs"));
        let first = merge(&base0, &local, &remote1, ConflictPolicy::Ask, &caps());
        assert_eq!(first.conflicts.len(), 1);
        // The remote becomes the new base; the conflict keeps the old one.
        let again = merge_with_open_conflicts(
            &remote1,
            &first.fields,
            &edit(Field::Title, text("Theirs, again")),
            &first.conflicts,
            ConflictPolicy::Ask,
            &caps(),
        );
        assert_eq!(again.conflicts.len(), 1);
        assert_eq!(again.conflicts[0].base, text("Crash on start"));
        assert_eq!(again.conflicts[0].remote, text("Theirs, again"));
        // The tracker takes the local title: the conflict settles by itself.
        let settled = merge_with_open_conflicts(
            &remote1,
            &first.fields,
            &edit(Field::Title, text("Mine")),
            &first.conflicts,
            ConflictPolicy::Ask,
            &caps(),
        );
        assert!(settled.conflicts.is_empty());
        assert_eq!(settled.fields.title, "Mine");
        // The tracker goes back to the agreed title: the local edit stands.
        let reverted = merge_with_open_conflicts(
            &remote1,
            &first.fields,
            &base0,
            &first.conflicts,
            ConflictPolicy::Ask,
            &caps(),
        );
        assert!(reverted.conflicts.is_empty());
        assert_eq!(reverted.fields.title, "Mine");
    }

    #[test]
    fn a_milestone_read_back_from_json_as_text_is_still_a_milestone() {
        let json = serde_json::to_string(&FieldValue::Optional(Some("v2".into()))).unwrap();
        let read: FieldValue = serde_json::from_str(&json).unwrap();
        assert_eq!(
            read,
            FieldValue::Text("v2".into()),
            "JSON does not carry the shape"
        );
        let mut f = fields();
        f.set(Field::Milestone, read.clone()).unwrap();
        assert_eq!(f.milestone.as_deref(), Some("v2"));
        assert_eq!(
            read.into_shape_of(Field::Milestone),
            FieldValue::Optional(Some("v2".into()))
        );
    }

    #[test]
    fn fields_and_policies_parse_from_their_names() {
        for f in Field::ALL {
            assert_eq!(f.as_str().parse::<Field>().unwrap(), f);
        }
        assert!("colour".parse::<Field>().is_err());
        for p in [
            ConflictPolicy::Ask,
            ConflictPolicy::RemoteWins,
            ConflictPolicy::LocalWins,
        ] {
            assert_eq!(p.as_str().parse::<ConflictPolicy>().unwrap(), p);
        }
        assert!("newest-wins".parse::<ConflictPolicy>().is_err());
    }

    fn names() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(prop_oneof!["a", "b", "c", "d", "e"], 0..5)
            .prop_map(normalize_set)
    }

    fn issue_fields() -> impl Strategy<Value = IssueFields> {
        (
            prop_oneof!["T1", "T2", "T3"],
            prop_oneof!["x\ny\nz\n", "x\nY\nz\n", "X\ny\nz\n", "x\ny\nZ\n", ""],
            prop_oneof![Just(IssueState::Open), Just(IssueState::Closed)],
            names(),
            names(),
            prop_oneof![
                Just(None),
                Just(Some("v1".to_string())),
                Just(Some("v2".to_string()))
            ],
        )
            .prop_map(
                |(title, body, state, labels, assignees, milestone)| IssueFields {
                    title: title.to_string(),
                    body: body.to_string(),
                    state,
                    state_reason: None,
                    labels,
                    assignees,
                    milestone,
                },
            )
    }

    fn mirrored(c: &[FieldConflict]) -> Vec<FieldConflict> {
        c.iter()
            .map(|c| FieldConflict {
                field: c.field,
                base: c.base.clone(),
                local: c.remote.clone(),
                remote: c.local.clone(),
            })
            .collect()
    }

    proptest! {
        #[test]
        fn an_unchanged_side_yields_the_other_side(base in issue_fields(), other in issue_fields()) {
            let remote_only = merge(&base, &base, &other, ConflictPolicy::Ask, &caps());
            prop_assert_eq!(&remote_only.fields, &other);
            prop_assert!(remote_only.conflicts.is_empty());
            let local_only = merge(&base, &other, &base, ConflictPolicy::Ask, &caps());
            prop_assert_eq!(&local_only.fields, &other);
            prop_assert!(local_only.conflicts.is_empty());
        }

        #[test]
        fn merge_is_symmetric_up_to_the_side_labels(
            base in issue_fields(), local in issue_fields(), remote in issue_fields()
        ) {
            let lr = merge(&base, &local, &remote, ConflictPolicy::Ask, &caps());
            let rl = merge(&base, &remote, &local, ConflictPolicy::Ask, &caps());
            prop_assert_eq!(&lr.conflicts, &mirrored(&rl.conflicts));
            let conflicted: Vec<Field> = lr.conflicts.iter().map(|c| c.field).collect();
            for field in Field::ALL.into_iter().filter(|f| !conflicted.contains(f)) {
                prop_assert_eq!(lr.fields.value(field), rl.fields.value(field));
            }
        }

        #[test]
        fn no_set_element_added_on_one_side_is_lost(
            base in names(), local in names(), remote in names()
        ) {
            let merged = caps().merge_sets(Field::Labels, &base, &local, &remote);
            for x in local.iter().chain(&remote).filter(|x| !base.contains(x)) {
                prop_assert!(merged.contains(x), "{x} was added and must stay");
            }
            for x in base.iter().filter(|x| !local.contains(x) || !remote.contains(x)) {
                prop_assert!(!merged.contains(x), "{x} was removed and must stay removed");
            }
        }

        #[test]
        fn a_conflict_keeps_all_three_values(
            base in issue_fields(), local in issue_fields(), remote in issue_fields()
        ) {
            let merged = merge(&base, &local, &remote, ConflictPolicy::Ask, &caps());
            for c in &merged.conflicts {
                prop_assert_eq!(&c.base, &base.value(c.field));
                prop_assert_eq!(&c.local, &local.value(c.field));
                prop_assert_eq!(&c.remote, &remote.value(c.field));
                prop_assert!(c.local != c.remote && c.local != c.base && c.remote != c.base);
            }
        }
    }
}
