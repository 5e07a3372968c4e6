//! Three-way merge of text by lines (diff3): the edits one side made to the base and
//! the edits the other side made are combined when they touch different lines.
//!
//! Invariants:
//! - Pure: no I/O, no clock.
//! - A side that did not change the base yields the other side exactly.
//! - Both sides making the same edit is not a conflict.
//! - Edits that overlap, or that touch adjacent lines with no unchanged line between
//!   them, or insertions at the same place with different text, are a conflict: the
//!   merge never guesses an order for two people's words.
//! - Lines keep their terminators, so a merged text ends with a newline exactly when
//!   the merged last line does.

use similar::{capture_diff_slices, Algorithm, DiffOp};

/// The result of merging three versions of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMerge {
    /// The edits did not overlap; this is the combined text.
    Clean(String),
    /// At least one region was edited differently on both sides.
    Conflict,
}

/// Merges `local` and `remote`, two edits of `base`, line by line.
pub fn merge_text(base: &str, local: &str, remote: &str) -> TextMerge {
    if local == base || local == remote {
        return TextMerge::Clean(remote.to_string());
    }
    if remote == base {
        return TextMerge::Clean(local.to_string());
    }
    match merge_lines(base, local, remote, false) {
        (text, false) => TextMerge::Clean(text),
        (_, true) => TextMerge::Conflict,
    }
}

/// A starting point for merging by hand: the clean parts merged, each conflicting
/// region shown as both versions between `<<<<<<< mine`, `=======` and
/// `>>>>>>> theirs` lines (as git does).
pub fn merge_text_with_markers(base: &str, local: &str, remote: &str) -> String {
    match merge_text(base, local, remote) {
        TextMerge::Clean(text) => text,
        TextMerge::Conflict => merge_lines(base, local, remote, true).0,
    }
}

/// The diff3 walk. Returns the merged text and whether a region conflicted; with
/// `mark`, conflicting regions are written with markers, else the walk stops at the
/// first one.
fn merge_lines(base: &str, local: &str, remote: &str, mark: bool) -> (String, bool) {
    let base_lines = lines(base);
    let local_lines = lines(local);
    let remote_lines = lines(remote);
    let to_local = matches(&base_lines, &local_lines);
    let to_remote = matches(&base_lines, &remote_lines);

    let mut out = String::with_capacity(local.len().max(remote.len()));
    let mut conflicted = false;
    let (mut b, mut l, mut r) = (0usize, 0usize, 0usize);
    loop {
        // The next base line that both sides kept, at or after where we are.
        let stable = (b..base_lines.len()).find(
            |&i| matches!((to_local[i], to_remote[i]), (Some(li), Some(ri)) if li >= l && ri >= r),
        );
        let (i, li, ri) = match stable {
            Some(i) => (i, to_local[i].unwrap_or(l), to_remote[i].unwrap_or(r)),
            None => (base_lines.len(), local_lines.len(), remote_lines.len()),
        };
        if stable.is_some() && i == b && li == l && ri == r {
            out.push_str(base_lines[i]);
            b += 1;
            l += 1;
            r += 1;
            continue;
        }
        let (bs, ls, rs) = (&base_lines[b..i], &local_lines[l..li], &remote_lines[r..ri]);
        if !resolve(bs, ls, rs, &mut out) {
            conflicted = true;
            if !mark {
                return (out, true);
            }
            write_conflict(ls, rs, &mut out);
        }
        if stable.is_none() {
            return (out, conflicted);
        }
        b = i;
        l = li;
        r = ri;
    }
}

fn write_conflict(local: &[&str], remote: &[&str], out: &mut String) {
    let block = |out: &mut String, lines: &[&str]| {
        for line in lines {
            out.push_str(line);
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    };
    out.push_str("<<<<<<< mine\n");
    block(out, local);
    out.push_str("=======\n");
    block(out, remote);
    out.push_str(">>>>>>> theirs\n");
}

/// Merges one region between common lines; false when both sides changed it
/// differently.
fn resolve(base: &[&str], local: &[&str], remote: &[&str], out: &mut String) -> bool {
    let take = if local == base || local == remote {
        remote
    } else if remote == base {
        local
    } else {
        return false;
    };
    for line in take {
        out.push_str(line);
    }
    true
}

/// Lines with their terminators.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// For each base line, the index of the line it is kept as on the other side (on the
/// longest common subsequence), if it was kept.
fn matches(base: &[&str], other: &[&str]) -> Vec<Option<usize>> {
    let mut map = vec![None; base.len()];
    for op in capture_diff_slices(Algorithm::Myers, base, other) {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for k in 0..len {
                map[old_index + k] = Some(new_index + k);
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    const BASE: &str = "title line\nsecond\nthird\nfourth\nfifth\n";

    #[rstest]
    #[case::only_local(
        "title line\nsecond EDITED\nthird\nfourth\nfifth\n",
        BASE,
        "title line\nsecond EDITED\nthird\nfourth\nfifth\n"
    )]
    #[case::only_remote(
        BASE,
        "title line\nsecond\nthird\nfourth\nfifth EDITED\n",
        "title line\nsecond\nthird\nfourth\nfifth EDITED\n"
    )]
    #[case::far_apart(
        "title line LOCAL\nsecond\nthird\nfourth\nfifth\n",
        "title line\nsecond\nthird\nfourth\nfifth REMOTE\n",
        "title line LOCAL\nsecond\nthird\nfourth\nfifth REMOTE\n"
    )]
    #[case::same_edit_both_sides(
        "title line\nsecond X\nthird\nfourth\nfifth\n",
        "title line\nsecond X\nthird\nfourth\nfifth\n",
        "title line\nsecond X\nthird\nfourth\nfifth\n"
    )]
    #[case::insert_and_delete_elsewhere(
        "title line\nnew local line\nsecond\nthird\nfourth\nfifth\n",
        "title line\nsecond\nthird\nfifth\n",
        "title line\nnew local line\nsecond\nthird\nfifth\n"
    )]
    #[case::append_at_end_and_edit_top(
        "title line\nsecond\nthird\nfourth\nfifth\nsixth\n",
        "TITLE\nsecond\nthird\nfourth\nfifth\n",
        "TITLE\nsecond\nthird\nfourth\nfifth\nsixth\n"
    )]
    fn edits_on_different_lines_merge(
        #[case] local: &str,
        #[case] remote: &str,
        #[case] expected: &str,
    ) {
        assert_eq!(
            merge_text(BASE, local, remote),
            TextMerge::Clean(expected.to_string())
        );
    }

    #[rstest]
    #[case::same_line_differently(
        "title line\nsecond LOCAL\nthird\nfourth\nfifth\n",
        "title line\nsecond REMOTE\nthird\nfourth\nfifth\n"
    )]
    #[case::adjacent_lines(
        "title line\nsecond LOCAL\nthird\nfourth\nfifth\n",
        "title line\nsecond\nthird REMOTE\nfourth\nfifth\n"
    )]
    #[case::both_insert_at_the_same_place(
        "title line\nlocal insert\nsecond\nthird\nfourth\nfifth\n",
        "title line\nremote insert\nsecond\nthird\nfourth\nfifth\n"
    )]
    #[case::delete_versus_edit(
        "title line\nthird\nfourth\nfifth\n",
        "title line\nsecond REMOTE\nthird\nfourth\nfifth\n"
    )]
    #[case::both_append(
        "title line\nsecond\nthird\nfourth\nfifth\nlocal end\n",
        "title line\nsecond\nthird\nfourth\nfifth\nremote end\n"
    )]
    fn overlapping_edits_conflict(#[case] local: &str, #[case] remote: &str) {
        assert_eq!(merge_text(BASE, local, remote), TextMerge::Conflict);
        assert_eq!(
            merge_text(BASE, remote, local),
            TextMerge::Conflict,
            "conflicts do not depend on which side is local"
        );
    }

    #[test]
    fn a_missing_final_newline_is_an_edit_of_the_last_line() {
        let base = "a\nb\nc\n";
        assert_eq!(
            merge_text(base, "A\nb\nc\n", "a\nb\nc"),
            TextMerge::Clean("A\nb\nc".to_string())
        );
    }

    #[test]
    fn a_hand_merge_starts_from_both_versions_of_each_conflicting_region() {
        let draft = merge_text_with_markers(
            BASE,
            "title line LOCAL\nsecond\nthird\nfourth\nfifth mine\n",
            "title line\nsecond\nthird\nfourth\nfifth theirs\n",
        );
        assert_eq!(
            draft,
            "title line LOCAL\nsecond\nthird\nfourth\n<<<<<<< mine\nfifth mine\n=======\nfifth theirs\n>>>>>>> theirs\n"
        );
        assert_eq!(
            merge_text_with_markers(BASE, BASE, "x\n"),
            "x\n",
            "a clean merge has no markers"
        );
    }

    #[test]
    fn empty_bases_merge_only_when_one_side_stays_empty() {
        assert_eq!(
            merge_text("", "", "new"),
            TextMerge::Clean("new".to_string())
        );
        assert_eq!(merge_text("", "mine", "theirs"), TextMerge::Conflict);
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(prop_oneof!["a\n", "b\n", "c\n", "d\n", "e", "\n"], 0..12)
            .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn an_unchanged_side_yields_the_other(base in text(), other in text()) {
            prop_assert_eq!(merge_text(&base, &base, &other), TextMerge::Clean(other.clone()));
            prop_assert_eq!(merge_text(&base, &other, &base), TextMerge::Clean(other));
        }

        #[test]
        fn merging_is_symmetric(base in text(), local in text(), remote in text()) {
            prop_assert_eq!(merge_text(&base, &local, &remote), merge_text(&base, &remote, &local));
        }

        #[test]
        fn a_clean_merge_keeps_every_line_each_side_added(
            base in text(), local in text(), remote in text()
        ) {
            if let TextMerge::Clean(merged) = merge_text(&base, &local, &remote) {
                for side in [&local, &remote] {
                    for line in lines(side) {
                        if !lines(&base).contains(&line) {
                            prop_assert!(
                                lines(&merged).contains(&line),
                                "{line:?} added on one side is missing from {merged:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}
