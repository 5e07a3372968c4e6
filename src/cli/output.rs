//! Output helpers shared by the subcommands: JSON to stdout, and plain-text tables.
//!
//! Invariant: text from trackers is hostile. Whatever is printed for a person goes
//! through [`clean`] (tables do it themselves): no control character but newline and tab
//! reaches the terminal, so an issue cannot write the clipboard (OSC 52), disguise a
//! link (OSC 8), clear the screen or reorder what is shown (bidi overrides). `--json`
//! prints every value exactly.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;

/// Prints `value` as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// `text` without the characters a terminal acts on: control characters other than
/// newline and tab (escape sequences start with ESC, OSC ones end with BEL) and the
/// bidirectional overrides and isolates.
pub fn clean(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if text.chars().any(unsafe_char) {
        Cow::Owned(text.chars().filter(|c| !unsafe_char(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// Prints rows as a table with a header, columns padded to their widest cell. The last
/// column is not padded. Cells are [`clean`]ed and kept on one line.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| clean(cell).replace(['\n', '\t'], " "))
                .collect()
        })
        .collect();
    let rows = &rows[..];
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.len().saturating_sub(1);
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i < last {
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Shortens `text` to at most `max` characters, marking the cut with `…`.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::{clean, truncate};

    #[test]
    fn terminal_text_loses_escapes_but_keeps_lines_and_words() {
        assert_eq!(
            clean("a\x1b]52;c;ZXZpbA==\x07b\x1b[2Jc\r\nd\te\u{202E}f"),
            "a]52;c;ZXZpbA==b[2Jc\nd\tef"
        );
        assert_eq!(clean("plain, ünïcode"), "plain, ünïcode");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
        assert_eq!(truncate("short", 6), "short");
    }
}
