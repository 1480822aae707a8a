//! The console's languages: Portuguese (Brazil), Spanish and English — the
//! message catalogue, the choice of a language from what the browser accepts,
//! amounts in the locale's format and dates at the account's UTC offset, and
//! every cause code's meaning and next step in each language.
//!
//! The words are Project Fluent files, one per language beside this module
//! (`en.ftl`, `pt-BR.ftl`, `es.ftl`), built into the binary and parsed once:
//! a translator edits text, not Rust, and a count picks its language's plural
//! form. Code names a message by its typed key ([`M`], or a cause's `Why`),
//! never by its words, and gives its variables by the kinds [`M::params`]
//! declares.
//!
//! A pure lookup: no I/O, no clock, no state but the parsed catalogue; the
//! request's language is chosen by its extractor (`extract`), and pages ask
//! here for the words.
//!
//! Invariants: every message and every cause meaning is in all three
//! catalogues and formats without an error — tests fail otherwise; at run
//! time a missing entry falls back to English, never to nothing. Money is
//! formatted from `Decimal` digits, never through a float, with the
//! currency's decimals. The catalogue's texts hold no HTML: a page escapes
//! them like any value.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use rust_decimal::Decimal;
use strum::IntoEnumIterator;
use time::UtcOffset;
use unic_langid::{LanguageIdentifier, langid};

use crate::domain::causes::{self, Next, Why};
use crate::domain::money;
use crate::domain::totals::{self, Guard};
use crate::domain::{CauseCode, Currency};

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub(crate) enum Lang {
    PtBr,
    Es,
    En,
}

impl Lang {
    pub(crate) const ALL: [Lang; 3] = [Lang::PtBr, Lang::Es, Lang::En];

    /// The BCP 47 tag: `<html lang>`, `Content-Language`, the `lang` cookie.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::PtBr => "pt-BR",
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Lang::PtBr => "Português (Brasil)",
            Lang::Es => "Español",
            Lang::En => "English",
        }
    }

    /// A language tag (`pt-BR`, `pt`, `es-AR`, `EN-us`...) as one of ours.
    pub(crate) fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "pt" => Some(Lang::PtBr),
            "es" => Some(Lang::Es),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language an `Accept-Language` header prefers among ours (highest
    /// `q` first, the header's order among equals); English when it names none.
    pub(crate) fn negotiate(accept: Option<&str>) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for item in accept.unwrap_or_default().split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .next()
                .map_or(Some(1000), quality);
            let Some(q) = q.filter(|q| *q > 0) else {
                continue;
            };
            if best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }

    /// The locale Fluent chooses plural forms by.
    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::PtBr => langid!("pt-BR"),
            Lang::Es => langid!("es"),
            Lang::En => langid!("en"),
        }
    }

    /// The catalogue's text: one `.ftl` file per language, in the binary.
    fn source(self) -> &'static str {
        match self {
            Lang::PtBr => include_str!("pt-BR.ftl"),
            Lang::Es => include_str!("es.ftl"),
            Lang::En => include_str!("en.ftl"),
        }
    }

    fn index(self) -> usize {
        match self {
            Lang::PtBr => 0,
            Lang::Es => 1,
            Lang::En => 2,
        }
    }
}

/// `q=0.8` in thousandths; `None` when it is not a quality value.
fn quality(text: &str) -> Option<u16> {
    let t = text.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if !matches!(int, "0" | "1") || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{frac:0<3}");
    let q = int.parse::<u16>().ok()? * 1000 + digits.parse::<u16>().ok()?;
    (q <= 1000).then_some(q)
}

/// The words of `m` in `lang` (English when the catalogue lacks it), for a
/// message without variables.
pub(crate) fn text(lang: Lang, m: M) -> &'static str {
    &CATALOGUE.plain[lang.index()][m as usize]
}

/// `m` in `lang` with its variables ([`M::params`]) taken from `args`, in
/// order; a number variable (`Arg::Num`) chooses the plural form.
pub(crate) fn fill(lang: Lang, m: M, args: &[&str]) -> String {
    let mut values = FluentArgs::new();
    for ((name, kind), a) in m.params().iter().zip(args) {
        match kind {
            Arg::Num => values.set(*name, FluentValue::try_number(a)),
            Arg::Text => values.set(*name, *a),
        }
    }
    CATALOGUE.format(lang, m.into(), Some(&values))
}

/// How a currency is written before its amount; `None`: by its code.
fn symbol(lang: Lang, currency: Currency) -> Option<&'static str> {
    Some(match currency.to_string().as_str() {
        "BRL" => "R$",
        "USD" if lang == Lang::En => "$",
        "USD" => "US$",
        "ARS" | "MXN" | "CLP" | "COP" => "$",
        "UYU" => "$U",
        "PEN" => "S/",
        _ => return None,
    })
}

/// `(thousands, decimal)` marks of a language.
fn marks(lang: Lang) -> (char, char) {
    match lang {
        Lang::En => (',', '.'),
        Lang::PtBr | Lang::Es => ('.', ','),
    }
}

/// `a` in the language's number format with the currency's decimals and its
/// symbol (`R$ 1.234,56`, `$ 1,234.56`, `CLP`'s none: `$ 1.500`); `currency`
/// `None` (the input named none): the number alone.
pub(crate) fn money(lang: Lang, currency: Option<Currency>, a: Decimal) -> String {
    let number = number(lang, money::fixed(currency, a));
    match currency {
        None => number,
        Some(c) => match symbol(lang, c) {
            Some(s) => format!("{s} {number}"),
            None => format!("{c} {number}"),
        },
    }
}

/// As [`money`], for a currency given by code (`""`: none named).
pub(crate) fn money_by_code(lang: Lang, code: &str, a: Decimal) -> String {
    match code.parse::<Currency>() {
        Ok(c) => money(lang, Some(c), a),
        Err(_) if code.is_empty() => number(lang, a),
        Err(_) => format!("{code} {}", number(lang, a)),
    }
}

/// `a`'s digits grouped in thousands, in the language's marks; never rounded.
fn number(lang: Lang, a: Decimal) -> String {
    let (thousands, decimal) = marks(lang);
    let text = a.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::with_capacity(text.len() + int.len() / 3 + 1);
    if a.is_sign_negative() && !a.is_zero() {
        grouped.push('-');
    }
    for (i, d) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(d);
    }
    if !frac.is_empty() {
        grouped.push(decimal);
        grouped.push_str(frac);
    }
    grouped
}

/// A UTC offset as the console takes it: `-03:00`, `+05:30`, `-3`, `UTC`, `Z`.
pub(crate) fn parse_offset(text: &str) -> Result<UtcOffset, String> {
    let t = text.trim();
    if matches!(t.to_ascii_uppercase().as_str(), "UTC" | "Z" | "GMT") {
        return Ok(UtcOffset::UTC);
    }
    let bad = || format!("{t:?} is not a UTC offset such as -03:00, +05:30 or UTC");
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1i8, &t[1..]),
        Some(b'-') => (-1i8, &t[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| bad())
}

/// `-03:00`, `+00:00`.
pub(crate) fn offset_text(offset: UtcOffset) -> String {
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

/// A moment (ms since the epoch) at `offset`, as the language writes dates:
/// `29/11/2026 11:53:20` (pt-BR, es) or `2026-11-29 11:53:20` (en).
pub(crate) fn date(lang: Lang, ms: i64, offset: UtcOffset) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return ms.to_string();
    };
    let t = at.to_offset(offset);
    let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
    let clock = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    match lang {
        Lang::En => format!("{y:04}-{mo:02}-{d:02} {clock}"),
        Lang::PtBr | Lang::Es => format!("{d:02}/{mo:02}/{y:04} {clock}"),
    }
}

/// What a cause code means and what to do next, in `lang`; `None` for a code
/// the tool does not know (the page shows the API's own message).
pub(crate) fn cause(lang: Lang, code: &CauseCode) -> Option<(&'static str, &'static str)> {
    let m = causes::meaning(code)?;
    let what = CATALOGUE.why[lang.index()][m.why as usize].as_str();
    Some((what, text(lang, next(m.next))))
}

fn next(n: Next) -> M {
    match n {
        Next::Retry => M::NextRetry,
        Next::Reconcile => M::NextReconcile,
        Next::FixRow => M::NextFixRow,
        Next::NeedsPerson => M::NextNeedsPerson,
        Next::Nothing => M::NextNothing,
    }
}

/// The words of one page for one language: what templates call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Words {
    pub lang: Lang,
    /// The time zone dates are shown in.
    pub zone: super::zone::Zone,
    /// The console was started without a token: every page says nothing can
    /// be approved or sent.
    pub look_only: bool,
}

impl Words {
    /// The words of `lang` with dates in UTC: the pages the tests read.
    #[cfg(test)]
    pub(crate) fn utc(lang: Lang) -> Words {
        Words {
            lang,
            zone: super::zone::Zone::UTC,
            look_only: false,
        }
    }

    pub(crate) fn t(&self, m: M) -> &'static str {
        text(self.lang, m)
    }

    /// `m` with `{0}` filled in.
    pub(crate) fn f(&self, m: M, a: impl std::fmt::Display) -> String {
        fill(self.lang, m, &[&a.to_string()])
    }

    /// `m` with `{0}` to `{3}` filled in.
    pub(crate) fn f4(
        &self,
        m: M,
        a: impl std::fmt::Display,
        b: impl std::fmt::Display,
        c: impl std::fmt::Display,
        d: impl std::fmt::Display,
    ) -> String {
        let args = [a.to_string(), b.to_string(), c.to_string(), d.to_string()];
        fill(self.lang, m, &args.each_ref().map(String::as_str))
    }

    pub(crate) fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub(crate) fn date(&self, ms: i64) -> String {
        date(self.lang, ms, self.zone.offset_at(ms))
    }

    /// `UTC-03:00`: the offset dates are shown at.
    pub(crate) fn zone(&self) -> String {
        self.zone.describe(crate::domain::clock::now_ms())
    }

    pub(crate) fn money(&self, code: &str, a: Decimal) -> String {
        money_by_code(self.lang, code, a)
    }

    /// As [`Words::money`], for an amount of `currency` (`None`: the input
    /// named none, the number alone, as written).
    pub(crate) fn amount(&self, currency: Option<Currency>, a: Decimal) -> String {
        let code = currency.map(|c| c.to_string()).unwrap_or_default();
        money_by_code(self.lang, &code, a)
    }

    /// A total to type as a person of this language types it, read back by
    /// the same reader the form uses: `R$ 781,89` (pt-BR), `781,89 BRL` where
    /// the sign names no one currency (`$`), then `+ 2 full`. Written so that
    /// it reads back as `g` (an amount of a currency without decimals grouped
    /// in thousands, `1.500`, does not: it is written ungrouped); the typed
    /// form `781.89:BRL` when nothing else does.
    pub(crate) fn typed_total(&self, g: &Guard) -> String {
        let fixed = money::fixed(g.currency, g.amount);
        let full = if g.full > 0 {
            let word = fill(self.lang, M::TypedFull, &[&g.full.to_string()]);
            format!(" + {} {word}", g.full)
        } else {
            String::new()
        };
        let (_, decimal) = marks(self.lang);
        let plain = fixed.to_string().replace('.', &decimal.to_string());
        let candidates = match g.currency {
            Some(c) => {
                let signed = symbol(self.lang, c).filter(|s| *s != "$");
                let mut v = Vec::new();
                if let Some(s) = signed {
                    v.push(format!("{s} {}", number(self.lang, fixed)));
                }
                v.push(format!("{} {c}", number(self.lang, fixed)));
                v.push(format!("{plain} {c}"));
                v
            }
            None => vec![number(self.lang, fixed), plain],
        };
        candidates
            .into_iter()
            .map(|t| format!("{t}{full}"))
            .find(|t| totals::typed(t).is_ok_and(|read| read.as_slice() == std::slice::from_ref(g)))
            .unwrap_or_else(|| g.to_string())
    }

    /// A stored total (`5433.52`, `781.89:BRL`) as this language writes it
    /// (`5.433,52`, `R$ 781,89`); as stored when it does not read back.
    pub(crate) fn stored_total(&self, stored: &str) -> String {
        match totals::typed(stored) {
            Ok(guards) if !guards.is_empty() => guards
                .iter()
                .map(|g| self.typed_total(g))
                .collect::<Vec<_>>()
                .join("; "),
            _ => stored.to_owned(),
        }
    }

    /// `(code, what it means, what to do next)` for every cause code the tool
    /// knows (`causes::known`).
    pub(crate) fn glossary(&self) -> Vec<(String, &'static str, &'static str)> {
        causes::known()
            .into_iter()
            .filter_map(|c| {
                let (what, next) = cause(self.lang, &c)?;
                Some((c.as_str().into_owned(), what, next))
            })
            .collect()
    }

    /// The other languages, for the switcher.
    pub(crate) fn others(&self) -> Vec<(&'static str, &'static str)> {
        Lang::ALL
            .into_iter()
            .filter(|l| *l != self.lang)
            .map(|l| (l.code(), l.name()))
            .collect()
    }
}

mod messages;
mod numbers;
pub(crate) mod rows;

pub(crate) use messages::{Arg, M};

/// The three catalogues, parsed once, with every message without variables
/// formatted once (pages ask for those by the hundred).
struct Catalogue {
    bundles: [FluentBundle<FluentResource>; 3],
    /// By `Lang::index`, then `M as usize`.
    plain: [Vec<String>; 3],
    /// Each cause meaning, by `Lang::index`, then `Why as usize`.
    why: [Vec<String>; 3],
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(Catalogue::load);

impl Catalogue {
    fn load() -> Catalogue {
        let bundles = Lang::ALL.map(bundle);
        let mut c = Catalogue {
            bundles,
            plain: Default::default(),
            why: Default::default(),
        };
        for lang in Lang::ALL {
            c.plain[lang.index()] = M::iter().map(|m| c.format(lang, m.into(), None)).collect();
            c.why[lang.index()] = Why::iter()
                .map(|w| c.format(lang, &why_id(w), None))
                .collect();
        }
        c
    }

    /// Message `id` in `lang`, else in English, else its id: a page never
    /// shows nothing. A variable without a value shows its name.
    fn format(&self, lang: Lang, id: &str, args: Option<&FluentArgs>) -> String {
        for l in [lang, Lang::En] {
            let b = &self.bundles[l.index()];
            if let Some(pattern) = b.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return b.format_pattern(pattern, args, &mut errors).into_owned();
            }
        }
        id.to_owned()
    }
}

/// The Fluent id of a cause meaning: `why-` and the key in kebab-case.
fn why_id(w: Why) -> String {
    let name: &'static str = w.into();
    format!("why-{name}")
}

/// `lang`'s bundle. An entry the parser cannot read is left out (a test fails
/// on it; at run time that message falls back to English).
///
/// Isolation off: Fluent wraps every variable in Unicode bidi isolation marks
/// (U+2068…U+2069) for right-to-left scripts, which these languages are not;
/// in HTML they would be invisible characters inside values a person copies
/// (an amount, a payment id), and in a CSV cell they would break the number.
fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let resource =
        FluentResource::try_new(lang.source().to_owned()).unwrap_or_else(|(partial, _)| partial);
    let mut b = FluentBundle::new_concurrent(vec![lang.langid()]);
    b.set_use_isolating(false);
    // A duplicate id keeps its first entry; a test fails on it.
    let _ = b.add_resource(resource);
    b
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::str::FromStr;

    use super::*;
    use crate::domain::{NetCause, Prediction};

    /// The ids a catalogue file defines, in order (a message starts a line
    /// with its id; the parser is asked separately that the file reads).
    fn ids(lang: Lang) -> Vec<String> {
        lang.source()
            .lines()
            .filter_map(|l| l.split_once(" ="))
            .map(|(id, _)| id)
            .filter(|id| {
                id.starts_with(|c: char| c.is_ascii_lowercase())
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
            .map(str::to_owned)
            .collect()
    }

    /// Every message and every cause meaning is in every catalogue, once,
    /// and no catalogue has one the others lack; every file reads without an
    /// error.
    #[test]
    fn every_message_is_in_all_three_languages() {
        let want: BTreeSet<String> = M::iter()
            .map(|m| <&str>::from(m).to_owned())
            .chain(Why::iter().map(why_id))
            .collect();
        let mut wrong = Vec::new();
        for lang in Lang::ALL {
            if let Err((_, errors)) = FluentResource::try_new(lang.source().to_owned()) {
                wrong.push(format!("{}: does not read: {errors:?}", lang.code()));
            }
            let mut b = FluentBundle::new_concurrent(vec![lang.langid()]);
            let added = b.add_resource(FluentResource::try_new(lang.source().to_owned()).unwrap());
            if let Err(e) = added {
                wrong.push(format!("{}: an id twice: {e:?}", lang.code()));
            }
            let got: Vec<String> = ids(lang);
            let got_set: BTreeSet<String> = got.iter().cloned().collect();
            assert_eq!(got.len(), got_set.len(), "{}: an id twice", lang.code());
            for id in want.difference(&got_set) {
                wrong.push(format!("{}: missing {id}", lang.code()));
            }
            for id in got_set.difference(&want) {
                wrong.push(format!(
                    "{}: {id} is no message of the console",
                    lang.code()
                ));
            }
            for id in &want {
                let empty = b
                    .get_message(id)
                    .and_then(|m| m.value())
                    .is_none_or(|p| b.format_pattern(p, None, &mut Vec::new()).trim().is_empty());
                if empty && got_set.contains(id) {
                    wrong.push(format!("{}: {id} says nothing", lang.code()));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// Sample values for a message's variables, by kind.
    fn sample(params: &[(&str, Arg)], n: &str) -> Vec<String> {
        params
            .iter()
            .map(|(name, kind)| match kind {
                Arg::Num => n.to_owned(),
                Arg::Text => format!("<{name}>"),
            })
            .collect()
    }

    /// Every message formats without an error with its variables — a
    /// variable the text names is one `params` gives — at each plural form,
    /// and a text variable the English shows, every translation shows too.
    #[test]
    fn every_message_formats_with_its_variables() {
        let mut wrong = Vec::new();
        for lang in Lang::ALL {
            let b = &CATALOGUE.bundles[lang.index()];
            for m in M::iter() {
                let id: &str = m.into();
                let Some(pattern) = b.get_message(id).and_then(|x| x.value()) else {
                    wrong.push(format!("{}: missing {id}", lang.code()));
                    continue;
                };
                for n in ["0", "1", "2", "21", "1000"] {
                    let values = sample(m.params(), n);
                    let values: Vec<&str> = values.iter().map(String::as_str).collect();
                    let mut args = FluentArgs::new();
                    for ((name, kind), v) in m.params().iter().zip(&values) {
                        match kind {
                            Arg::Num => args.set(*name, FluentValue::try_number(v)),
                            Arg::Text => args.set(*name, *v),
                        }
                    }
                    let mut errors = Vec::new();
                    let said = b.format_pattern(pattern, Some(&args), &mut errors);
                    if !errors.is_empty() {
                        wrong.push(format!("{}: {id} ({n}): {errors:?}", lang.code()));
                    }
                    let english = fill(Lang::En, m, &values);
                    for (name, kind) in m.params() {
                        let shown = format!("<{name}>");
                        if *kind == Arg::Text && english.contains(&shown) && !said.contains(&shown)
                        {
                            wrong.push(format!("{}: {id} drops ${name}", lang.code()));
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert_eq!(
            fill(Lang::PtBr, M::LoginWait, &["30"]),
            "Muitas tentativas de acesso sem sucesso para esta conta: tente de novo em 30 segundos."
        );
    }

    /// A count chooses the plural form in each language; no isolation mark
    /// is put around a value.
    #[test]
    fn plurals_follow_the_count() {
        assert_eq!(
            fill(Lang::PtBr, M::BatchBlank, &["1"]),
            "linha em branco ignorada"
        );
        assert_eq!(
            fill(Lang::PtBr, M::BatchBlank, &["2"]),
            "linhas em branco ignoradas"
        );
        assert_eq!(
            fill(Lang::Es, M::BatchBlank, &["1"]),
            "línea en blanco omitida"
        );
        assert_eq!(fill(Lang::En, M::BatchBlank, &["0"]), "blank lines skipped");
        assert_eq!(
            fill(Lang::PtBr, M::BatchBlank, &["0"]),
            "linhas em branco ignoradas"
        );
        let one = fill(Lang::PtBr, M::ErrBadLines, &["1"]);
        assert!(one.starts_with("o arquivo tem 1 linha com erro:"), "{one}");
        let six = fill(Lang::PtBr, M::ErrBadLines, &["6"]);
        assert!(six.starts_with("o arquivo tem 6 linhas com erro:"), "{six}");
        let es = fill(Lang::Es, M::BooksUpdated, &["1"]);
        assert!(es.starts_with("1 fila actualizada"), "{es}");
        assert!(!fill(Lang::En, M::ColWhen, &["UTC"]).contains('\u{2068}'));
    }

    /// Every cause meaning in every language, found by its key: the English
    /// catalogue says what `causes` says (the command line's words), the
    /// others translate it.
    #[test]
    fn every_cause_is_explained_in_all_three_languages() {
        let mut codes = causes::known();
        codes.push(CauseCode::parse("http_418"));
        codes.extend(NetCause::iter().map(CauseCode::Net));
        codes.extend(Prediction::iter().map(CauseCode::Predicted));
        codes.extend(crate::domain::OrderCause::iter().map(CauseCode::Order));
        for why in Why::iter() {
            let what = why.meaning().what;
            assert_eq!(
                CATALOGUE.why[Lang::En.index()][why as usize],
                what,
                "{why:?}"
            );
        }
        for code in &codes {
            let Some(m) = causes::meaning(code) else {
                continue;
            };
            let (en, _) = cause(Lang::En, code).unwrap();
            assert_eq!(en, m.what, "{code}: English is the table's own words");
            for lang in [Lang::PtBr, Lang::Es] {
                let (what, _) = cause(lang, code).unwrap();
                assert_ne!(what, m.what, "{}: {code} not translated", lang.code());
            }
        }
        let (what, next) = cause(Lang::PtBr, &CauseCode::parse("2063")).unwrap();
        assert!(what.starts_with("a situação do pagamento"), "{what}");
        assert_eq!(next, text(Lang::PtBr, M::NextNeedsPerson));
        let (what, next) = cause(Lang::Es, &CauseCode::parse("http_503")).unwrap();
        assert_eq!(
            (what, next),
            (
                "el servidor de Mercado Pago falló",
                text(Lang::Es, M::NextRetry)
            )
        );
        assert_eq!(cause(Lang::En, &CauseCode::parse("9999")), None);
        let glossary = Words::utc(Lang::Es).glossary();
        assert_eq!(glossary.len(), causes::known().len());
        assert!(
            glossary
                .iter()
                .any(|(c, _, n)| c == "2063" && *n == text(Lang::Es, M::NextNeedsPerson))
        );
    }

    #[test]
    fn the_browsers_preference_picks_the_language() {
        let n = |h: &str| Lang::negotiate(Some(h));
        assert_eq!(n("pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::PtBr);
        assert_eq!(n("es-AR,es;q=0.9"), Lang::Es);
        assert_eq!(n("en-GB"), Lang::En);
        assert_eq!(n("fr-FR,es;q=0.5,pt;q=0.4"), Lang::Es);
        assert_eq!(n("en;q=0.3, pt;q=0.8"), Lang::PtBr);
        assert_eq!(n("pt;q=0, es"), Lang::Es);
        assert_eq!(n("de, fr"), Lang::En);
        assert_eq!(n("pt;q=abc, es;q=0.1"), Lang::Es);
        assert_eq!(Lang::negotiate(None), Lang::En);
        assert_eq!(Lang::from_tag("PT_br"), Some(Lang::PtBr));
        for l in Lang::ALL {
            assert_eq!(Lang::from_tag(l.code()), Some(l));
        }
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn money_in_the_locales_format_with_the_currencys_decimals() {
        let brl = Currency::from_str("BRL").ok();
        let usd = Currency::from_str("USD").ok();
        let clp = Currency::from_str("CLP").ok();
        assert_eq!(money(Lang::PtBr, brl, dec("1234.56")), "R$ 1.234,56");
        assert_eq!(money(Lang::En, brl, dec("1234.5")), "R$ 1,234.50");
        assert_eq!(money(Lang::En, usd, dec("1234.56")), "$ 1,234.56");
        assert_eq!(money(Lang::PtBr, usd, dec("1234.56")), "US$ 1.234,56");
        assert_eq!(money(Lang::Es, clp, dec("1500")), "$ 1.500");
        assert_eq!(
            money(Lang::Es, brl, dec("1234567890.1")),
            "R$ 1.234.567.890,10"
        );
        assert_eq!(money(Lang::PtBr, brl, dec("0.5")), "R$ 0,50");
        assert_eq!(money(Lang::PtBr, brl, dec("999")), "R$ 999,00");
        assert_eq!(money(Lang::PtBr, None, dec("1000.5")), "1.000,50");
        assert_eq!(money_by_code(Lang::En, "EUR", dec("1000")), "EUR 1,000");
        assert_eq!(money_by_code(Lang::En, "", dec("12.5")), "12.5");
        assert_eq!(money_by_code(Lang::PtBr, "BRL", dec("12.5")), "R$ 12,50");
        // Past any float's precision: digits, never rounded.
        assert_eq!(
            money(Lang::En, brl, dec("12345678901234567.89")),
            "R$ 12,345,678,901,234,567.89"
        );
    }

    /// The total to type is shown as people of the page's language type it,
    /// and the form reads it back as the same total.
    #[test]
    fn the_total_to_type_in_the_pages_language() {
        let w = Words::utc;
        let brl = Currency::from_str("BRL").ok();
        let clp = Currency::from_str("CLP").ok();
        let g = |currency, a: &str, full| Guard {
            currency,
            amount: dec(a),
            full,
        };
        assert_eq!(
            w(Lang::PtBr).typed_total(&g(brl, "5855.6", 0)),
            "R$ 5.855,60"
        );
        assert_eq!(
            w(Lang::PtBr).typed_total(&g(brl, "781.89", 2)),
            "R$ 781,89 + 2 totais"
        );
        assert_eq!(w(Lang::En).typed_total(&g(brl, "5855.6", 0)), "R$ 5,855.60");
        assert_eq!(w(Lang::Es).typed_total(&g(clp, "1500", 0)), "1500 CLP");
        assert_eq!(w(Lang::Es).typed_total(&g(None, "12.5", 0)), "12,50");
        for lang in Lang::ALL {
            for guard in [
                g(brl, "0.5", 0),
                g(clp, "1234567", 1),
                g(None, "1000.25", 0),
            ] {
                let shown = w(lang).typed_total(&guard);
                assert_eq!(totals::typed(&shown).unwrap(), [guard], "{shown}");
            }
        }
    }

    #[test]
    fn dates_at_the_accounts_offset() {
        // 2026-11-29T14:53:20Z
        let ms = 1_795_964_000_000;
        let sp = parse_offset("-03:00").unwrap();
        assert_eq!(date(Lang::PtBr, ms, sp), "29/11/2026 11:53:20");
        assert_eq!(date(Lang::En, ms, UtcOffset::UTC), "2026-11-29 14:53:20");
        assert_eq!(
            date(Lang::Es, ms, parse_offset("+10:30").unwrap()),
            "30/11/2026 01:23:20"
        );
        assert_eq!(offset_text(sp), "-03:00");
        assert_eq!(offset_text(parse_offset("UTC").unwrap()), "+00:00");
        assert_eq!(offset_text(parse_offset("-3").unwrap()), "-03:00");
        assert_eq!(offset_text(parse_offset("+05:30").unwrap()), "+05:30");
        for bad in ["03:00", "-25:00", "+01:61", "America/Sao_Paulo", ""] {
            assert!(parse_offset(bad).is_err(), "{bad}");
        }
    }
}
