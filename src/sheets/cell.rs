//! Spreadsheet cells the tool writes and reads back: the OWASP CSV-injection
//! defence. A free-text cell a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-`, `@`, tab, CR or LF, and not a plain number) is written with a
//! leading `'`; a cell that is exactly such a neutralisation reads back as the
//! original, so that a results file fed back in as input derives the same keys.
//!
//! Invariant: `restore(&neutralise(x)) == x` for every `x` except a text that
//! already looks like a neutralisation (`'=…`): a CSV from a spreadsheet never
//! holds one, since the apostrophe is the spreadsheet's own mark, not a character.

/// OWASP CSV-injection defence for a free-text cell.
pub(crate) fn neutralise(cell: &str) -> String {
    if is_risky(cell) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// The cell as it was before [`neutralise`]: a `'` followed by what
/// `neutralise` would have prefixed loses its `'`; any other cell is itself.
pub(crate) fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if is_risky(rest) => rest,
        _ => cell,
    }
}

/// A cell a spreadsheet would run as a formula: [`neutralise`] prefixes it.
pub(crate) fn is_risky(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) && !is_plain_number(cell)
}

/// `-12`, `+3,5`, `-0.25`: a spreadsheet reads these as numbers, not formulas.
fn is_plain_number(cell: &str) -> bool {
    let body = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let mut marks = 0;
    !body.is_empty()
        && body.starts_with(|c: char| c.is_ascii_digit())
        && body.chars().all(|c| match c {
            '0'..='9' => true,
            '.' | ',' => {
                marks += 1;
                marks == 1
            }
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        for (cell, written) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("-2+3", "'-2+3"),
            ("-12,50", "-12,50"),
            ("+3", "+3"),
            ("chargeback 12", "chargeback 12"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn a_neutralised_cell_reads_back_as_the_original() {
        for (written, cell) in [
            ("'=1+2", "=1+2"),
            ("'-2+3", "-2+3"),
            ("'@x", "@x"),
            // Not ours: an apostrophe before text, or before a plain number.
            ("'abc", "'abc"),
            ("'-12", "'-12"),
            ("'", "'"),
        ] {
            assert_eq!(restore(written), cell, "{written:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn restore_undoes_neutralise(cell in "['=+@-]?\\PC{0,12}") {
            proptest::prop_assume!(restore(&cell) == cell);
            let written = neutralise(&cell);
            proptest::prop_assert_eq!(restore(&written), cell.as_str());
        }
    }
}
