//! The console's languages: Portuguese (Brazil), Spanish and English — the
//! message catalogue, the choice of a language from what the browser accepts,
//! amounts in the locale's format and dates at the account's UTC offset, and
//! every cause code's meaning and next step in each language.
//!
//! A pure lookup: no I/O, no clock, no state; the request's language is
//! chosen by its extractor (`extract`), and pages ask here for the words.
//!
//! Invariants: every message ([`M`]) and every cause meaning (`causes::Why`)
//! is in all three catalogues — a test fails when one is missing; a meaning
//! is found by its key, never by its English words; at run time a missing
//! entry falls back to English, never to nothing. Money is formatted from
//! `Decimal` digits, never through a float, with the currency's decimals. The
//! catalogue's texts hold no HTML: a page escapes them like any value.

use rust_decimal::Decimal;
use time::UtcOffset;

use crate::domain::causes::{self, Next, Why};
use crate::domain::money;
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

    fn catalogue(self) -> &'static [(M, &'static str)] {
        match self {
            Lang::PtBr => PT_BR,
            Lang::Es => ES,
            Lang::En => EN,
        }
    }

    /// The cause meanings in this language (English: `causes`' own words).
    fn causes(self) -> &'static [(Why, &'static str)] {
        match self {
            Lang::PtBr => CAUSES_PT_BR,
            Lang::Es => CAUSES_ES,
            Lang::En => &[],
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

/// The words of `m` in `lang` (English when the catalogue lacks it).
pub(crate) fn text(lang: Lang, m: M) -> &'static str {
    let find =
        |table: &'static [(M, &'static str)]| table.iter().find(|(k, _)| *k == m).map(|(_, t)| *t);
    find(lang.catalogue())
        .or_else(|| find(EN))
        .unwrap_or_else(|| m.into())
}

/// [`text`] with `{0}`, `{1}`... replaced by `args`.
pub(crate) fn fill(lang: Lang, m: M, args: &[&str]) -> String {
    let mut out = text(lang, m).to_owned();
    for (i, a) in args.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), a);
    }
    out
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
    let what = lang
        .causes()
        .iter()
        .find(|(why, _)| *why == m.why)
        .map_or(m.what, |(_, t)| *t);
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

/// Every message a page shows. Add one here, then to all three catalogues (a
/// test says which is missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr)]
pub(crate) enum M {
    Console,
    NavBatches,
    NavAudit,
    LogOut,
    Language,
    LoginTitle,
    LoginIntro,
    LoginWrong,
    LoginWait,
    LoginRate,
    LoginBusy,
    LoginTooLong,
    LoginAccount,
    LoginPassword,
    HomeUploadTitle,
    HomeUploadIntro,
    HomeSkipInvalid,
    HomeUploadButton,
    HomeBatches,
    HomeNoBatch,
    ColFile,
    ColUploadedBy,
    ColWhen,
    ColState,
    BatchUploaded,
    BatchSkipping,
    BatchRows,
    BatchGood,
    BatchBad,
    BatchAlreadyRefunded,
    BatchBlank,
    MoneyTitle,
    MoneyNone,
    ColCurrency,
    ColRowsWithAmount,
    ColSum,
    ColFullRefunds,
    MoneyFullNote,
    BadLinesTitle,
    BadLinesIntro,
    BadLinesOrSkip,
    BadLinesOrTick,
    ColLine,
    ColWhatToFix,
    PriorTitle,
    PriorIntro,
    ColPayment,
    ColEarlierRefund,
    ReadTitle,
    ReadEncoding,
    ReadDelimiter,
    ReadColumns,
    ColTakenAs,
    ColHeaderCell,
    ColColumn,
    ReadNone,
    PriorRefunded,
    PriorInProcess,
    PriorInDoubt,
    PriorWaiting,
    PriorOther,
    PriorWhole,
    FileNoColumn,
    FileLooksLikeData,
    FileEmpty,
    FileUnclosedQuote,
    ReadEncUtf8,
    ReadEncUtf8Bom,
    ReadEnc1252,
    ReadDelimComma,
    ReadDelimSemicolon,
    ReadDelimTab,
    RoleNamePaymentId,
    RoleNameOrderId,
    RoleNameTransactionId,
    RoleNameAmount,
    RoleNameReference,
    RoleNameKind,
    RoleNameCurrency,
    FindFieldCount,
    FindFieldCountComma,
    FindSwallowed,
    FindUndefinedByte,
    FindAmountBlank,
    FindAmountNotANumber,
    FindAmountNotPositive,
    FindAmountSigned,
    FindAmountScientific,
    FindAmountNotPlain,
    FindAmountSeparator,
    FindAmountSeparatorUnclear,
    FindAmountDecimals,
    FindAmountNoDecimals,
    FindAmountThousandsHint,
    FindAmountTooLarge,
    FindAmountZero,
    FindPaymentIdBlank,
    FindPaymentIdScientific,
    FindPaymentIdNotNumber,
    FindPaymentIdTooLong,
    FindPaymentIdRange,
    FindIdsBlank,
    FindDuplicate,
    FindCurrency,
    FindKind,
    FindOrder,
    Bytes,
    AuditTitle,
    AuditIntro,
    AuditDownload,
    AuditNothing,
    ColAccount,
    ColWhat,
    ColFrom,
    ColBatch,
    ColDetail,
    ProblemTitle,
    NotFoundTitle,
    NotFoundText,
    FirstPage,
    EmptyTitle,
    EmptyText,
    WorkbookTitle,
    WorkbookText,
    NoFileTitle,
    NoFileText,
    UnreadableTitle,
    UnreadableText,
    RemovedTitle,
    RemovedText,
    BackToBatches,
    // The plain-text bodies of refusals (403, 404, 409, 413, 422…).
    ErrNoBatch,
    ErrNotFound,
    ErrNotLoggedIn,
    ErrCsrf,
    ErrOrigin,
    ErrRole,
    ErrCannotSubmit,
    ErrCannotDecide,
    ErrNotSendable,
    ErrBeingSent,
    ErrNotBeingSent,
    ErrCanary,
    ErrNoTokenSend,
    ErrNoTokenApprove,
    ErrSubmittedAlready,
    ErrDecidedAlready,
    ErrOwnBatch,
    ErrSayWhy,
    ErrBadLines,
    ErrTotalDiffers,
    ErrNotApproved,
    ErrSentAlready,
    ErrTypeTotal,
    ErrBadTotal,
    ErrTooLarge,
    ErrUnknownLanguage,
    ErrInternal,
    ErrNoResults,
    ErrFilter,
    ErrPage,
    ErrFormat,
    ErrNotRetryable,
    ErrRetryPending,
    ErrNothingToRetry,
    ErrBooksWhileSending,
    ErrBooksNotSent,
    ErrNoTokenBooks,
    ErrBooksReading,
    ErrBooksNotRead,
    ErrNoReportMatch,
    ErrBeingReconciled,
    CausesTitle,
    ColCause,
    ColMeaning,
    ColNext,
    NextRetry,
    NextReconcile,
    NextFixRow,
    NextNeedsPerson,
    NextNothing,
    BooksLink,
    BooksTitle,
    BooksIntro,
    BooksButton,
    BooksAgain,
    BooksNone,
    BooksWorking,
    BooksStartedBy,
    BooksDoneBy,
    BooksAgree,
    BooksDisagree,
    BooksStopped,
    BooksUpdated,
    BooksFailed,
    BooksDownload,
    BooksFirstLines,
    ColFinding,
    ColLines,
    ColMoney,
    ColRow,
    ColRefund,
    ColOurs,
    ColAtMp,
    ColMpStatus,
    ReportTitle,
    ReportIntro,
    ReportButton,
    ReportNone,
    ReportDownload,
    ReportDone,
    ReportOutside,
    ReportPeriod,
    ColReport,
    ColReportType,
    ColPerBatch,
    ColPerReport,
    NotAReportTitle,
    NotAReportText,
    FindMatched,
    FindMatchedNext,
    FindSettled,
    FindSettledNext,
    FindRejectedLater,
    FindRejectedLaterNext,
    FindMissingAtMp,
    FindMissingAtMpNext,
    FindAmountDiffers,
    FindAmountDiffersNext,
    FindOutsideRefund,
    FindOutsideRefundNext,
    FindUnknownOutcomeFound,
    FindUnknownOutcomeFoundNext,
    FindNoRefund,
    FindNoRefundNext,
    FindInDoubt,
    FindInDoubtNext,
    FindUnreadable,
    FindUnreadableNext,
    RepMatched,
    RepMatchedNext,
    RepMatchedAmbiguous,
    RepMatchedAmbiguousNext,
    RepAmountDiffers,
    RepAmountDiffersNext,
    RepMissingInReport,
    RepMissingInReportNext,
    RepNotInBatch,
    RepNotInBatchNext,
    RepChargeback,
    RepChargebackNext,
    RepOutOfPeriod,
    RepOutOfPeriodNext,
    RepReserve,
    RepReserveNext,
    StateUploaded,
    StateSubmitted,
    StateApproved,
    StateRejected,
    StateSending,
    StateStopped,
    StateFinished,
    StateExpired,
    OutcomeRefunded,
    OutcomeInProcess,
    OutcomeFailed,
    OutcomeInvalid,
    OutcomePending,
    OutcomeUnknown,
    ResultsTitle,
    ResultsLink,
    FilterAll,
    FilterFailed,
    FilterNeedsPerson,
    FilterRefunded,
    ResultsFilters,
    ResultsDownload,
    ResultsDownloadMp,
    ResultsNone,
    ResultsNotYet,
    ResultsPage,
    ResultsPrev,
    ResultsNext,
    ColAmount,
    ColRefundId,
    ColRefundStatus,
    AmountFull,
    AmountFullWas,
    RetryButton,
    RetryWhat,
    FlowTitle,
    FlowSubmittedBy,
    FlowAt,
    FlowExpecting,
    FlowRejectedBy,
    FlowApprovedBy,
    FlowWhy,
    FlowLedgerBatch,
    FlowExpired,
    SubmitTotal,
    SubmitTotalSeveral,
    SubmitButton,
    ApproveTotal,
    ApproveButton,
    RejectReason,
    RejectButton,
    SendNow,
    SendRest,
    SendCanary,
    SendTonight,
    SendTonightWhat,
    ProgressOf,
    ProgressRowsDone,
    ProgressRate,
    ProgressLeft,
    ProgressFull,
    StopButton,
    AnsweredTitle,
    AnsweredFirst,
    ColOutcome,
    ColWhatHappened,
    ErrTotalCurrency,
    ErrTotalFullApart,
    ErrCoverReading,
    ErrTotalNoAccount,
    CoverReading,
    CoverToType,
    CoverRead,
    CoverUnread,
    CoverAccount,
    // Said on every page of a console started with --without-token.
    LookOnly,
    // The role beside the account's name.
    RoleSubmitter,
    RoleApprover,
    RoleAdmin,
    // Refusals as pages, and typed totals.
    RefusedTitle,
    BackToBatch,
    ErrTotalNoMatch,
    ErrTotalDiffersSum,
    ErrTotalFullCount,
    ErrTotalNeedsCurrency,
    ErrTotalTwice,
    ErrTotalMissing,
    NoCurrencyName,
    TotalExample,
    // The finished page, the same file twice, downloads.
    RepeatTitle,
    RepeatIntro,
    RepeatBatch,
    RepeatBatchNoDate,
    RepeatWhy,
    RepeatConfirm,
    RepeatRowsNote,
    ErrRepeatNotConfirmed,
    SumTitle,
    SumColPart,
    SumColRows,
    SumColMoney,
    SumRefunded,
    SumRefundedWhat,
    SumFailed,
    SumFailedWhat,
    SumInDoubt,
    SumInDoubtWhat,
    SumNotSent,
    SumNotSentWhat,
    SumTotal,
    SumCausesTitle,
    SumCauseUnknown,
    SumTooLarge,
    SaidUploaded,
    SaidSubmitted,
    SaidApproved,
    SaidRejected,
    SaidSent,
    SaidCanary,
    SaidRetried,
    SaidStopped,
    ColLastAttemptAt,
    ResultsDownloadPeople,
}

mod en;
mod es;
mod numbers;
mod pt_br;
pub(crate) mod rows;

use en::EN;
use es::{CAUSES_ES, ES};
use pt_br::{CAUSES_PT_BR, PT_BR};

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use strum::IntoEnumIterator;

    use super::*;
    use crate::domain::{NetCause, Prediction};

    /// Every message is in every catalogue, once, and says something.
    #[test]
    fn every_message_is_in_all_three_languages() {
        let mut missing = Vec::new();
        for lang in Lang::ALL {
            let table = lang.catalogue();
            for m in M::iter() {
                let n = table
                    .iter()
                    .filter(|(k, t)| *k == m && !t.is_empty())
                    .count();
                if n != 1 {
                    missing.push(format!("{}: {m:?} ({n} entries)", lang.code()));
                }
            }
            assert_eq!(
                table.len(),
                M::iter().count(),
                "{}: extra entries",
                lang.code()
            );
        }
        assert!(
            missing.is_empty(),
            "not translated:\n{}",
            missing.join("\n")
        );
    }

    /// A message with a placeholder has it in every language.
    #[test]
    fn placeholders_are_kept_by_every_translation() {
        for m in M::iter() {
            let want: Vec<_> = (0..4)
                .filter(|i| text(Lang::En, m).contains(&format!("{{{i}}}")))
                .collect();
            for lang in Lang::ALL {
                let got: Vec<_> = (0..4)
                    .filter(|i| text(lang, m).contains(&format!("{{{i}}}")))
                    .collect();
                assert_eq!(got, want, "{}: {m:?}", lang.code());
            }
        }
        assert_eq!(
            fill(Lang::PtBr, M::LoginWait, &["30"]),
            "Muitas tentativas de acesso sem sucesso para esta conta: tente de novo em 30 segundos."
        );
    }

    /// Every cause meaning in every language, once, found by its key: the
    /// meanings of `causes`, the tool's own codes and Mercado Pago's.
    #[test]
    fn every_cause_is_explained_in_all_three_languages() {
        for lang in [Lang::PtBr, Lang::Es] {
            for why in Why::iter() {
                let n = lang
                    .causes()
                    .iter()
                    .filter(|(w, t)| *w == why && !t.is_empty())
                    .count();
                assert_eq!(n, 1, "{}: {why:?}", lang.code());
            }
            assert_eq!(lang.causes().len(), Why::iter().count(), "{}", lang.code());
        }
        let mut codes = causes::known();
        codes.push(CauseCode::parse("http_418"));
        codes.extend(NetCause::iter().map(CauseCode::Net));
        codes.extend(Prediction::iter().map(CauseCode::Predicted));
        codes.extend(crate::domain::OrderCause::iter().map(CauseCode::Order));
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
        let glossary = Words {
            lang: Lang::Es,
            zone: super::super::zone::Zone::UTC,
            look_only: false,
        }
        .glossary();
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
