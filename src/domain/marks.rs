//! Decimal marks and thousands grouping in amounts: `1.234,56` where a file's
//! amounts use a decimal comma, `1,234.56` where they use a point. A grouped
//! amount is read only when the file's own amounts make its decimal mark clear
//! ([`Evidence`]): a mark is never guessed, since reading `1.234` as 1.234 or
//! 1234 is a thousandfold refund either way. Ungrouping only removes the
//! grouping marks, so `1.234,56` and `1234,56` are the same amount (and the same
//! idempotency key); amounts without grouping read exactly as before.

use std::borrow::Cow;

use crate::domain::finding::AmountFinding;

/// The character that separates an amount's decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecimalMark {
    Comma,
    Point,
}

impl DecimalMark {
    pub fn char(self) -> char {
        match self {
            DecimalMark::Comma => ',',
            DecimalMark::Point => '.',
        }
    }

    /// The other mark: the one that groups thousands.
    fn grouping(self) -> char {
        match self {
            DecimalMark::Comma => '.',
            DecimalMark::Point => ',',
        }
    }

    fn of(c: char) -> Option<DecimalMark> {
        match c {
            ',' => Some(DecimalMark::Comma),
            '.' => Some(DecimalMark::Point),
            _ => None,
        }
    }
}

/// How an amount's grouping marks are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    /// The file's decimal mark is not clear: a grouped amount is refused.
    #[default]
    Refused,
    /// The file's amounts use this decimal mark; the other one groups thousands.
    Known(DecimalMark),
    /// A first look at a file whose mark is not known yet: every amount that has
    /// a well-formed grouping under one of the marks reads with it. Only for
    /// finding rows that may be duplicates, where a reading too many costs
    /// nothing and one too few would miss a duplicate.
    Any,
}

/// What a file's amounts say about its decimal mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Evidence {
    comma: bool,
    point: bool,
}

impl Evidence {
    /// Takes in one amount cell. Only an unambiguous use of a mark counts: one
    /// mark followed by one or two digits (`10,5`, `10.50`), or both marks,
    /// where the last one is the decimal mark (`1.234,56`). `1.234` says
    /// nothing.
    pub fn see(&mut self, cell: &str) {
        let t = cell.trim();
        if !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        {
            return;
        }
        let Some(at) = t.rfind(['.', ',']) else {
            return;
        };
        let last = &t[at..at + 1];
        let after = t.len() - at - 1;
        let both = t.contains('.') && t.contains(',');
        let single = t.matches(['.', ',']).count() == 1;
        if both || (single && (1..=2).contains(&after)) {
            match last {
                "," => self.comma = true,
                _ => self.point = true,
            }
        }
    }

    /// The grouping the file's amounts allow: a mark when they use one and only one.
    pub fn grouping(self) -> Grouping {
        match (self.comma, self.point) {
            (true, false) => Grouping::Known(DecimalMark::Comma),
            (false, true) => Grouping::Known(DecimalMark::Point),
            _ => Grouping::Refused,
        }
    }
}

/// Why a grouped amount was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ungrouped {
    /// The file's amounts do not show one decimal mark.
    MarkUnclear,
    /// The marks are not in thousands groups under the file's decimal mark.
    Malformed,
}

/// `t` (digits, `.` and `,` only) without its grouping marks, its decimal mark
/// kept: `1.234,56` → `1234,56` under a comma. Text without grouping comes back
/// as is, for the ordinary reading (a single mark followed by three digits under
/// that same mark is three decimals, which that reading refuses).
pub fn ungroup(t: &str, grouping: Grouping) -> Result<Cow<'_, str>, Ungrouped> {
    let marks = t.matches(['.', ',']).count();
    let lone_thousands = marks == 1 && t.rfind(['.', ',']).is_some_and(|at| t.len() - at == 4);
    let grouped = marks > 1 || lone_thousands;
    if !grouped {
        return Ok(Cow::Borrowed(t));
    }
    let mark = match grouping {
        Grouping::Refused => {
            return if marks > 1 {
                Err(Ungrouped::MarkUnclear)
            } else {
                Ok(Cow::Borrowed(t))
            };
        }
        Grouping::Known(m) => m,
        Grouping::Any => {
            let both = t.contains('.') && t.contains(',');
            let last = t.rfind(['.', ',']).map(|at| &t[at..at + 1]);
            match (both, last) {
                (true, Some(l)) => DecimalMark::of(l.chars().next().unwrap_or('.')),
                // One kind of mark only: it is the grouping, the other the decimal.
                (false, Some(",")) => Some(DecimalMark::Point),
                (false, Some(_)) => Some(DecimalMark::Comma),
                (_, None) => None,
            }
            .unwrap_or(DecimalMark::Point)
        }
    };
    let g = mark.grouping();
    if !t.contains(g) {
        return Ok(Cow::Borrowed(t));
    }
    let (int, frac) = match t.split_once(mark.char()) {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let mut groups = int.split(g);
    let first = groups.next().unwrap_or("");
    let well_formed = (1..=3).contains(&first.len())
        && !first.starts_with('0')
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|grp| grp.len() == 3 && grp.bytes().all(|b| b.is_ascii_digit()))
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(Ungrouped::Malformed);
    }
    Ok(Cow::Owned(t.chars().filter(|&c| c != g).collect()))
}

/// `t` ungrouped for the amount reader, or what is wrong with it:
/// grouping by spaces or apostrophes, by marks not in thousands groups, or in
/// a file that does not show its decimal mark, is refused; so is more than one
/// mark left once ungrouped.
pub fn ungrouped(t: &str, grouping: Grouping) -> Result<Cow<'_, str>, AmountFinding> {
    let separator = |unclear| AmountFinding::Separator {
        cell: t.to_owned(),
        unclear,
    };
    if t.contains(|c: char| c.is_whitespace() || c == '\'') {
        return Err(separator(false));
    }
    let t = match ungroup(t, grouping) {
        Ok(t) => t,
        Err(Ungrouped::MarkUnclear) => return Err(separator(true)),
        Err(Ungrouped::Malformed) => return Err(separator(false)),
    };
    if t.matches(['.', ',']).count() > 1 {
        return Err(separator(false));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(cells: &[&str]) -> Grouping {
        let mut e = Evidence::default();
        for c in cells {
            e.see(c);
        }
        e.grouping()
    }

    #[test]
    fn the_files_amounts_decide_the_mark() {
        let comma = Grouping::Known(DecimalMark::Comma);
        let point = Grouping::Known(DecimalMark::Point);
        assert_eq!(evidence(&["10,50", "1.234"]), comma);
        assert_eq!(evidence(&["1.234,56"]), comma);
        assert_eq!(evidence(&["10.5", "1,234"]), point);
        assert_eq!(evidence(&["1,234.56", "full", " 7 "]), point);
        // Nothing clear, or both marks used as decimals: no mark.
        assert_eq!(evidence(&["1.234", "12", "full"]), Grouping::Refused);
        assert_eq!(evidence(&["10,50", "10.50"]), Grouping::Refused);
        assert_eq!(evidence(&["1.234,56", "1,234.56"]), Grouping::Refused);
        assert_eq!(evidence(&["R$ 10,50"]), Grouping::Refused);
    }

    #[test]
    fn grouping_marks_are_removed_only_in_thousands_groups() {
        let comma = Grouping::Known(DecimalMark::Comma);
        let point = Grouping::Known(DecimalMark::Point);
        let ok = |t, g| ungroup(t, g).map(Cow::into_owned);
        assert_eq!(ok("1.234,56", comma), Ok("1234,56".into()));
        assert_eq!(ok("1.234.567", comma), Ok("1234567".into()));
        assert_eq!(ok("1.234", comma), Ok("1234".into()));
        assert_eq!(ok("1,234.56", point), Ok("1234.56".into()));
        assert_eq!(ok("12,345,678.9", point), Ok("12345678.9".into()));
        // Without grouping, as is: the ordinary reading decides.
        assert_eq!(ok("1234,56", comma), Ok("1234,56".into()));
        assert_eq!(ok("1,234", comma), Ok("1,234".into()));
        assert_eq!(ok("1.234", Grouping::Refused), Ok("1.234".into()));
        // Not thousands groups, or the wrong way round for the file.
        for bad in ["1.23,45", "0.234,5", ".234", "1.234,", "1.234.5"] {
            assert_eq!(ok(bad, comma), Err(Ungrouped::Malformed), "{bad}");
        }
        assert_eq!(ok("1,234.56", comma), Err(Ungrouped::Malformed));
        assert_eq!(ok("1.234,56", point), Err(Ungrouped::Malformed));
        assert_eq!(
            ok("1.234,56", Grouping::Refused),
            Err(Ungrouped::MarkUnclear)
        );
        // A first look reads each grouping the one way it can be read.
        assert_eq!(ok("1.234,56", Grouping::Any), Ok("1234,56".into()));
        assert_eq!(ok("1,234.56", Grouping::Any), Ok("1234.56".into()));
        assert_eq!(ok("1.234", Grouping::Any), Ok("1234".into()));
        assert_eq!(ok("1,234", Grouping::Any), Ok("1234".into()));
    }
}
