//! A small line diff for `plan` output (the `similar` crate's, shown with context).

/// Lines that differ between `old` and `new`: `-` removed, `+` added, with up to `context`
/// unchanged lines around each change shown with a space. Large inputs (over 2,000 lines
/// either side) are summarised instead of diffed.
pub fn line_diff(old: &str, new: &str, context: usize) -> Vec<String> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len() > 2000 || b.len() > 2000 {
        return vec![
            format!("- {} lines ({} bytes)", a.len(), old.len()),
            format!("+ {} lines ({} bytes)", b.len(), new.len()),
        ];
    }
    let diff = similar::TextDiff::from_slices(&a, &b);
    let ops: Vec<(char, &str)> = diff
        .iter_all_changes()
        .map(|change| {
            let tag = match change.tag() {
                similar::ChangeTag::Equal => ' ',
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
            };
            (tag, change.value())
        })
        .collect();
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let mut out = Vec::new();
    let mut last_shown: Option<usize> = None;
    for (k, (tag, line)) in ops.iter().enumerate() {
        let near = changed.iter().any(|&c| c.abs_diff(k) <= context);
        if !near {
            continue;
        }
        if let Some(last) = last_shown
            && k > last + 1
        {
            out.push("  ...".to_string());
        }
        out.push(format!("{tag} {line}"));
        last_shown = Some(k);
    }
    if old.ends_with('\n') != new.ends_with('\n') && !old.is_empty() && !new.is_empty() {
        out.push("~ newline at end of file differs".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::line_diff;

    #[test]
    fn shows_changed_lines_with_context() {
        let old = "a\nb\nc\nd\ne\nf\n";
        let new = "a\nb\nC\nd\ne\nf\ng\n";
        assert_eq!(
            line_diff(old, new, 1),
            vec!["  b", "- c", "+ C", "  d", "  ...", "  f", "+ g"]
        );
    }

    #[test]
    fn equal_texts_have_no_diff() {
        assert!(line_diff("x\ny\n", "x\ny\n", 3).is_empty());
    }
}
