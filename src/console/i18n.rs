//! The console's languages (issue 21, item 9): Portuguese (Brazil), Spanish and
//! English — the message catalogue, the choice of a language from what the
//! browser accepts, amounts in the locale's format and dates at the account's
//! UTC offset, and every cause code's meaning and next step in each language.
//!
//! A pure lookup: no I/O, no clock, no state; the server decides which
//! language a request gets (`server`), the pages ask here for the words.
//!
//! Invariants: every message ([`M`]) and every cause meaning (`causes`) is in
//! all three catalogues — a test fails when one is missing; at run time a
//! missing entry falls back to English, never to nothing. Money is formatted
//! from `Decimal` digits, never through a float, with the currency's decimals.
//! The catalogue's texts hold no HTML: a page escapes them like any value.

use rust_decimal::Decimal;
use time::UtcOffset;

use crate::causes::{self, Next};
use crate::domain::{CauseCode, Currency};
use crate::totals;

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

    fn causes(self) -> &'static [(&'static str, &'static str)] {
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
    let number = number(lang, totals::fixed(currency, a));
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
        .find(|(en, _)| *en == m.what)
        .map_or(m.what, |(_, t)| *t);
    Some((what, text(lang, next(m.next))))
}

/// The cause codes the console's glossary explains (`GET /causes`): the tool's
/// own and Mercado Pago's, as `causes` knows them.
pub(crate) const EXPLAINED: &[&str] = &[
    "unknown_outcome",
    "connect_refused",
    "timeout",
    "dns",
    "refund_status",
    "refund_rejected",
    "amount_differs",
    "payment_differs",
    "invalid_input",
    "payment_has_refunds",
    "not_found",
    "not_refundable",
    "exceeds_balance",
    "has_prior_refunds",
    "currency_mismatch",
    "too_many_partials",
    "old",
    "unreadable",
    "2000",
    "404002",
    "2024",
    "15016",
    "2032",
    "2063",
    "2085",
    "2090",
    "2091",
    "3012",
    "3024",
    "4040",
    "4041",
    "4042",
    "4043",
    "4292",
    "4296",
    "4211",
    "400048",
    "http_401",
    "http_403",
    "http_404",
    "http_409",
    "http_429",
    "http_500",
];

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
    pub offset: UtcOffset,
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
        date(self.lang, ms, self.offset)
    }

    /// `UTC-03:00`: the offset dates are shown at.
    pub(crate) fn zone(&self) -> String {
        format!("UTC{}", offset_text(self.offset))
    }

    pub(crate) fn money(&self, code: &str, a: Decimal) -> String {
        money_by_code(self.lang, code, a)
    }

    /// `(code, what it means, what to do next)` for every explained cause.
    pub(crate) fn glossary(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        EXPLAINED
            .iter()
            .filter_map(|c| cause(self.lang, &CauseCode::parse(c)).map(|(w, n)| (*c, w, n)))
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
    BackToBatches,
    CausesTitle,
    ColCause,
    ColMeaning,
    ColNext,
    NextRetry,
    NextReconcile,
    NextFixRow,
    NextNeedsPerson,
    NextNothing,
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
}

const EN: &[(M, &str)] = &[
    (M::Console, "mprefund console"),
    (M::NavBatches, "Batches"),
    (M::NavAudit, "Audit trail"),
    (M::LogOut, "Log out"),
    (M::Language, "Language"),
    (M::LoginTitle, "Log in"),
    (
        M::LoginIntro,
        "Refunds from a spreadsheet: upload it, check the plan, have it approved.",
    ),
    (M::LoginWrong, "Wrong account name or password."),
    (
        M::LoginWait,
        "Too many failed logins for this account: try again in {0} seconds.",
    ),
    (M::LoginAccount, "Account"),
    (M::LoginPassword, "Password"),
    (M::HomeUploadTitle, "Upload a spreadsheet"),
    (
        M::HomeUploadIntro,
        "A CSV file (comma, semicolon or tab), up to {0} MiB, with a payment id and an amount column. Nothing is sent from here: you see the plan first.",
    ),
    (
        M::HomeSkipInvalid,
        "Skip the bad lines (send only the good ones)",
    ),
    (M::HomeUploadButton, "Upload and check"),
    (M::HomeBatches, "Batches"),
    (M::HomeNoBatch, "No batch yet."),
    (M::ColFile, "File"),
    (M::ColUploadedBy, "Uploaded by"),
    (M::ColWhen, "When ({0})"),
    (M::ColState, "State"),
    (M::BatchUploaded, "Uploaded by {0} at {1} ({2}), {3} bytes."),
    (M::BatchSkipping, "Bad lines will be skipped."),
    (M::BatchRows, "rows"),
    (M::BatchGood, "good"),
    (M::BatchBad, "bad"),
    (M::BatchAlreadyRefunded, "already refunded"),
    (M::BatchBlank, "blank lines skipped"),
    (M::MoneyTitle, "Money per currency"),
    (M::MoneyNone, "Nothing to refund: no good rows."),
    (M::ColCurrency, "Currency"),
    (M::ColRowsWithAmount, "Rows with an amount"),
    (M::ColSum, "Sum of those amounts"),
    (M::ColFullRefunds, "Full refunds"),
    (
        M::MoneyFullNote,
        "A full refund returns what is left of the payment: its amount is known only when it is sent, so it is not in the sum.",
    ),
    (M::BadLinesTitle, "Bad lines ({0})"),
    (
        M::BadLinesIntro,
        "These lines are not refunded as they are. Fix them in the spreadsheet and upload it again",
    ),
    (M::BadLinesOrSkip, ", or go on without them."),
    (
        M::BadLinesOrTick,
        ", or upload it again with “skip the bad lines” ticked.",
    ),
    (M::ColLine, "Line"),
    (M::ColWhatToFix, "What to fix"),
    (M::PriorTitle, "Already refunded by an earlier batch ({0})"),
    (
        M::PriorIntro,
        "The payment of each of these lines has a refund from an earlier batch: these lines are held back, so that no payment is refunded twice by mistake.",
    ),
    (M::ColPayment, "Payment"),
    (M::ColEarlierRefund, "The earlier refund"),
    (M::ReadTitle, "How the file was read"),
    (M::ReadEncoding, "Encoding"),
    (M::ReadDelimiter, "Delimiter"),
    (M::ReadColumns, "Columns"),
    (M::ColTakenAs, "Taken as"),
    (M::ColHeaderCell, "Header cell"),
    (M::ColColumn, "Column"),
    (M::ReadNone, "(none)"),
    (M::Bytes, "bytes"),
    (M::AuditTitle, "Audit trail"),
    (
        M::AuditIntro,
        "Every login, upload and step, newest first (the latest {0}). Nothing here can be edited or deleted.",
    ),
    (M::AuditDownload, "Download all as CSV"),
    (M::AuditNothing, "Nothing yet."),
    (M::ColAccount, "Account"),
    (M::ColWhat, "What"),
    (M::ColFrom, "From"),
    (M::ColBatch, "Batch"),
    (M::ColDetail, "Detail"),
    (M::ProblemTitle, "Problem"),
    (M::NotFoundTitle, "Not found"),
    (
        M::NotFoundText,
        "There is no such batch or page. It may have been typed wrong; the list of batches is on the first page.",
    ),
    (M::FirstPage, "First page"),
    (M::EmptyTitle, "The file is empty"),
    (
        M::EmptyText,
        "It has no bytes at all. Export the spreadsheet again as CSV, with its header row, and upload that.",
    ),
    (M::WorkbookTitle, "This is a workbook, not a CSV file"),
    (
        M::WorkbookText,
        "Open it in Excel (or LibreOffice) and save it as CSV: File → Save As → CSV UTF-8 (comma delimited). Then upload the .csv file.",
    ),
    (M::NoFileTitle, "No file was chosen"),
    (M::NoFileText, "Choose the CSV file, then upload."),
    (
        M::UnreadableTitle,
        "The file cannot be read as a refunds spreadsheet",
    ),
    (
        M::UnreadableText,
        "Nothing was kept. What the reader found:",
    ),
    (M::BackToBatches, "Back to the batches"),
    (M::CausesTitle, "Why rows were not refunded"),
    (M::ColCause, "Cause"),
    (M::ColMeaning, "What it means"),
    (M::ColNext, "What to do next"),
    (
        M::NextRetry,
        "retry: sending again with the same key is safe",
    ),
    (
        M::NextReconcile,
        "reconcile: read the refund back from Mercado Pago later",
    ),
    (
        M::NextFixRow,
        "fix the row in the spreadsheet, then upload it again",
    ),
    (
        M::NextNeedsPerson,
        "needs a person: look at the payment in Mercado Pago",
    ),
    (M::NextNothing, "nothing to do"),
    (M::StateUploaded, "uploaded"),
    (M::StateSubmitted, "submitted"),
    (M::StateApproved, "approved"),
    (M::StateRejected, "rejected"),
    (M::StateSending, "sending"),
    (M::StateStopped, "stopped"),
    (M::StateFinished, "finished"),
    (M::StateExpired, "expired"),
    (M::OutcomeRefunded, "refunded"),
    (M::OutcomeInProcess, "in process"),
    (M::OutcomeFailed, "failed"),
    (M::OutcomeInvalid, "invalid"),
    (M::OutcomePending, "pending"),
    (M::FlowTitle, "Approval"),
    (M::FlowSubmittedBy, "Submitted by"),
    (M::FlowAt, "at {0}"),
    (M::FlowExpecting, ", expecting {0}"),
    (M::FlowRejectedBy, "Rejected by"),
    (M::FlowApprovedBy, "Approved by"),
    (M::FlowWhy, "Why"),
    (M::FlowLedgerBatch, "Batch in the state file"),
    (
        M::FlowExpired,
        "Not approved within {0} day(s) of its upload: this batch expired. Upload the file again to start over.",
    ),
    (M::SubmitTotal, "Total you expect, per currency (e.g."),
    (M::SubmitTotalSeveral, "; one per line for several)"),
    (M::SubmitButton, "Submit for approval"),
    (
        M::ApproveTotal,
        "Type the total again, per currency, as you read it in the plan below",
    ),
    (M::ApproveButton, "Approve"),
    (M::RejectReason, "Why it is rejected"),
    (M::RejectButton, "Reject"),
    (M::SendNow, "Send now"),
    (M::SendRest, "Send now (the rest)"),
    (M::SendCanary, "Send the next {0} rows first, then look"),
    (M::SendTonight, "Or leave it for tonight:"),
    (M::SendTonightWhat, "sends every approved batch."),
    (M::ProgressOf, "of"),
    (M::ProgressRowsDone, "rows done"),
    (M::ProgressRate, "rows/s"),
    (M::ProgressLeft, "left"),
    (M::ProgressFull, "full"),
    (
        M::StopButton,
        "Stop (rows in flight finish; the rest waits)",
    ),
    (M::AnsweredTitle, "Rows sent so far"),
    (M::AnsweredFirst, " (the first {0})"),
    (M::ColOutcome, "Outcome"),
    (M::ColWhatHappened, "What happened"),
];

const PT_BR: &[(M, &str)] = &[
    (M::Console, "console mprefund"),
    (M::NavBatches, "Lotes"),
    (M::NavAudit, "Trilha de auditoria"),
    (M::LogOut, "Sair"),
    (M::Language, "Idioma"),
    (M::LoginTitle, "Entrar"),
    (
        M::LoginIntro,
        "Estornos a partir de uma planilha: envie o arquivo, confira o plano e peça a aprovação.",
    ),
    (M::LoginWrong, "Conta ou senha incorretas."),
    (
        M::LoginWait,
        "Muitas tentativas de acesso sem sucesso para esta conta: tente de novo em {0} segundos.",
    ),
    (M::LoginAccount, "Conta"),
    (M::LoginPassword, "Senha"),
    (M::HomeUploadTitle, "Enviar uma planilha"),
    (
        M::HomeUploadIntro,
        "Um arquivo CSV (vírgula, ponto e vírgula ou tabulação), de até {0} MiB, com uma coluna de ID do pagamento e uma de valor. Nada é enviado daqui: primeiro você vê o plano.",
    ),
    (
        M::HomeSkipInvalid,
        "Ignorar as linhas com erro (enviar só as corretas)",
    ),
    (M::HomeUploadButton, "Enviar e conferir"),
    (M::HomeBatches, "Lotes"),
    (M::HomeNoBatch, "Nenhum lote ainda."),
    (M::ColFile, "Arquivo"),
    (M::ColUploadedBy, "Enviado por"),
    (M::ColWhen, "Quando ({0})"),
    (M::ColState, "Situação"),
    (M::BatchUploaded, "Enviado por {0} em {1} ({2}), {3} bytes."),
    (M::BatchSkipping, "As linhas com erro serão ignoradas."),
    (M::BatchRows, "linhas"),
    (M::BatchGood, "corretas"),
    (M::BatchBad, "com erro"),
    (M::BatchAlreadyRefunded, "já estornadas"),
    (M::BatchBlank, "linhas em branco ignoradas"),
    (M::MoneyTitle, "Valores por moeda"),
    (M::MoneyNone, "Nada a estornar: nenhuma linha correta."),
    (M::ColCurrency, "Moeda"),
    (M::ColRowsWithAmount, "Linhas com valor"),
    (M::ColSum, "Soma desses valores"),
    (M::ColFullRefunds, "Estornos totais"),
    (
        M::MoneyFullNote,
        "Um estorno total devolve o que resta do pagamento: o valor só é conhecido no envio, por isso não entra na soma.",
    ),
    (M::BadLinesTitle, "Linhas com erro ({0})"),
    (
        M::BadLinesIntro,
        "Estas linhas não são estornadas como estão. Corrija-as na planilha e envie de novo",
    ),
    (M::BadLinesOrSkip, ", ou continue sem elas."),
    (
        M::BadLinesOrTick,
        ", ou envie de novo marcando “ignorar as linhas com erro”.",
    ),
    (M::ColLine, "Linha"),
    (M::ColWhatToFix, "O que corrigir"),
    (M::PriorTitle, "Já estornadas por um lote anterior ({0})"),
    (
        M::PriorIntro,
        "O pagamento de cada uma destas linhas já tem um estorno de um lote anterior: elas ficam retidas, para que nenhum pagamento seja estornado duas vezes por engano.",
    ),
    (M::ColPayment, "Pagamento"),
    (M::ColEarlierRefund, "O estorno anterior"),
    (M::ReadTitle, "Como o arquivo foi lido"),
    (M::ReadEncoding, "Codificação"),
    (M::ReadDelimiter, "Separador"),
    (M::ReadColumns, "Colunas"),
    (M::ColTakenAs, "Usada como"),
    (M::ColHeaderCell, "Cabeçalho"),
    (M::ColColumn, "Coluna"),
    (M::ReadNone, "(nenhuma)"),
    (M::Bytes, "bytes"),
    (M::AuditTitle, "Trilha de auditoria"),
    (
        M::AuditIntro,
        "Cada acesso, envio e etapa, dos mais recentes aos mais antigos (os últimos {0}). Nada aqui pode ser editado ou apagado.",
    ),
    (M::AuditDownload, "Baixar tudo em CSV"),
    (M::AuditNothing, "Nada ainda."),
    (M::ColAccount, "Conta"),
    (M::ColWhat, "O quê"),
    (M::ColFrom, "De onde"),
    (M::ColBatch, "Lote"),
    (M::ColDetail, "Detalhe"),
    (M::ProblemTitle, "Problema"),
    (M::NotFoundTitle, "Não encontrado"),
    (
        M::NotFoundText,
        "Este lote ou página não existe. Talvez o endereço tenha sido digitado errado; a lista de lotes está na primeira página.",
    ),
    (M::FirstPage, "Primeira página"),
    (M::EmptyTitle, "O arquivo está vazio"),
    (
        M::EmptyText,
        "Ele não tem nenhum byte. Exporte a planilha de novo como CSV, com a linha de cabeçalho, e envie esse arquivo.",
    ),
    (
        M::WorkbookTitle,
        "Isto é uma pasta de trabalho, não um arquivo CSV",
    ),
    (
        M::WorkbookText,
        "Abra no Excel (ou LibreOffice) e salve como CSV: Arquivo → Salvar como → CSV UTF-8 (separado por vírgulas). Depois envie o arquivo .csv.",
    ),
    (M::NoFileTitle, "Nenhum arquivo escolhido"),
    (M::NoFileText, "Escolha o arquivo CSV e depois envie."),
    (
        M::UnreadableTitle,
        "O arquivo não pode ser lido como uma planilha de estornos",
    ),
    (
        M::UnreadableText,
        "Nada foi guardado. O que a leitura encontrou:",
    ),
    (M::BackToBatches, "Voltar aos lotes"),
    (M::CausesTitle, "Por que linhas não foram estornadas"),
    (M::ColCause, "Causa"),
    (M::ColMeaning, "O que significa"),
    (M::ColNext, "O que fazer"),
    (
        M::NextRetry,
        "tentar de novo: reenviar com a mesma chave é seguro",
    ),
    (
        M::NextReconcile,
        "conciliar: consultar o estorno no Mercado Pago mais tarde",
    ),
    (
        M::NextFixRow,
        "corrigir a linha na planilha e enviar de novo",
    ),
    (
        M::NextNeedsPerson,
        "precisa de uma pessoa: verifique o pagamento no Mercado Pago",
    ),
    (M::NextNothing, "nada a fazer"),
    (M::StateUploaded, "enviado"),
    (M::StateSubmitted, "submetido"),
    (M::StateApproved, "aprovado"),
    (M::StateRejected, "recusado"),
    (M::StateSending, "em envio"),
    (M::StateStopped, "interrompido"),
    (M::StateFinished, "concluído"),
    (M::StateExpired, "expirado"),
    (M::OutcomeRefunded, "estornado"),
    (M::OutcomeInProcess, "em processamento"),
    (M::OutcomeFailed, "falhou"),
    (M::OutcomeInvalid, "inválido"),
    (M::OutcomePending, "pendente"),
    (M::FlowTitle, "Aprovação"),
    (M::FlowSubmittedBy, "Enviado para aprovação por"),
    (M::FlowAt, "em {0}"),
    (M::FlowExpecting, ", esperando {0}"),
    (M::FlowRejectedBy, "Rejeitado por"),
    (M::FlowApprovedBy, "Aprovado por"),
    (M::FlowWhy, "Motivo"),
    (M::FlowLedgerBatch, "Lote no arquivo de estado"),
    (
        M::FlowExpired,
        "Não foi aprovado em até {0} dia(s) após o envio: este lote expirou. Envie o arquivo de novo para recomeçar.",
    ),
    (M::SubmitTotal, "Total que você espera, por moeda (ex.:"),
    (M::SubmitTotalSeveral, "; um por linha se houver várias)"),
    (M::SubmitButton, "Enviar para aprovação"),
    (
        M::ApproveTotal,
        "Digite o total de novo, por moeda, como você o lê no plano abaixo",
    ),
    (M::ApproveButton, "Aprovar"),
    (M::RejectReason, "Motivo da rejeição"),
    (M::RejectButton, "Rejeitar"),
    (M::SendNow, "Enviar agora"),
    (M::SendRest, "Enviar agora (o restante)"),
    (
        M::SendCanary,
        "Enviar antes as próximas {0} linhas e conferir",
    ),
    (M::SendTonight, "Ou deixe para esta noite:"),
    (M::SendTonightWhat, "envia todos os lotes aprovados."),
    (M::ProgressOf, "de"),
    (M::ProgressRowsDone, "linhas concluídas"),
    (M::ProgressRate, "linhas/s"),
    (M::ProgressLeft, "restantes"),
    (M::ProgressFull, "totais"),
    (
        M::StopButton,
        "Parar (as linhas em andamento terminam; o restante espera)",
    ),
    (M::AnsweredTitle, "Linhas enviadas até agora"),
    (M::AnsweredFirst, " (as primeiras {0})"),
    (M::ColOutcome, "Resultado"),
    (M::ColWhatHappened, "O que aconteceu"),
];

const ES: &[(M, &str)] = &[
    (M::Console, "consola mprefund"),
    (M::NavBatches, "Lotes"),
    (M::NavAudit, "Registro de auditoría"),
    (M::LogOut, "Cerrar sesión"),
    (M::Language, "Idioma"),
    (M::LoginTitle, "Iniciar sesión"),
    (
        M::LoginIntro,
        "Reembolsos desde una planilla: súbala, revise el plan y pida la aprobación.",
    ),
    (M::LoginWrong, "Cuenta o contraseña incorrectas."),
    (
        M::LoginWait,
        "Demasiados intentos fallidos para esta cuenta: vuelva a intentarlo en {0} segundos.",
    ),
    (M::LoginAccount, "Cuenta"),
    (M::LoginPassword, "Contraseña"),
    (M::HomeUploadTitle, "Subir una planilla"),
    (
        M::HomeUploadIntro,
        "Un archivo CSV (coma, punto y coma o tabulación), de hasta {0} MiB, con una columna de ID de pago y una de monto. Nada se envía desde aquí: primero verá el plan.",
    ),
    (
        M::HomeSkipInvalid,
        "Omitir las líneas con errores (enviar solo las correctas)",
    ),
    (M::HomeUploadButton, "Subir y revisar"),
    (M::HomeBatches, "Lotes"),
    (M::HomeNoBatch, "Todavía no hay lotes."),
    (M::ColFile, "Archivo"),
    (M::ColUploadedBy, "Subido por"),
    (M::ColWhen, "Cuándo ({0})"),
    (M::ColState, "Estado"),
    (M::BatchUploaded, "Subido por {0} el {1} ({2}), {3} bytes."),
    (M::BatchSkipping, "Las líneas con errores se omitirán."),
    (M::BatchRows, "filas"),
    (M::BatchGood, "correctas"),
    (M::BatchBad, "con errores"),
    (M::BatchAlreadyRefunded, "ya reembolsadas"),
    (M::BatchBlank, "líneas en blanco omitidas"),
    (M::MoneyTitle, "Montos por moneda"),
    (M::MoneyNone, "Nada que reembolsar: ninguna fila correcta."),
    (M::ColCurrency, "Moneda"),
    (M::ColRowsWithAmount, "Filas con monto"),
    (M::ColSum, "Suma de esos montos"),
    (M::ColFullRefunds, "Reembolsos totales"),
    (
        M::MoneyFullNote,
        "Un reembolso total devuelve lo que queda del pago: su monto solo se conoce al enviarlo, por eso no está en la suma.",
    ),
    (M::BadLinesTitle, "Líneas con errores ({0})"),
    (
        M::BadLinesIntro,
        "Estas líneas no se reembolsan tal como están. Corríjalas en la planilla y vuelva a subirla",
    ),
    (M::BadLinesOrSkip, ", o siga sin ellas."),
    (
        M::BadLinesOrTick,
        ", o vuelva a subirla marcando “omitir las líneas con errores”.",
    ),
    (M::ColLine, "Línea"),
    (M::ColWhatToFix, "Qué corregir"),
    (M::PriorTitle, "Ya reembolsadas por un lote anterior ({0})"),
    (
        M::PriorIntro,
        "El pago de cada una de estas líneas ya tiene un reembolso de un lote anterior: se retienen, para que ningún pago se reembolse dos veces por error.",
    ),
    (M::ColPayment, "Pago"),
    (M::ColEarlierRefund, "El reembolso anterior"),
    (M::ReadTitle, "Cómo se leyó el archivo"),
    (M::ReadEncoding, "Codificación"),
    (M::ReadDelimiter, "Separador"),
    (M::ReadColumns, "Columnas"),
    (M::ColTakenAs, "Tomada como"),
    (M::ColHeaderCell, "Encabezado"),
    (M::ColColumn, "Columna"),
    (M::ReadNone, "(ninguna)"),
    (M::Bytes, "bytes"),
    (M::AuditTitle, "Registro de auditoría"),
    (
        M::AuditIntro,
        "Cada inicio de sesión, carga y paso, de los más recientes a los más antiguos (los últimos {0}). Nada aquí se puede editar ni borrar.",
    ),
    (M::AuditDownload, "Descargar todo en CSV"),
    (M::AuditNothing, "Nada todavía."),
    (M::ColAccount, "Cuenta"),
    (M::ColWhat, "Qué"),
    (M::ColFrom, "Desde"),
    (M::ColBatch, "Lote"),
    (M::ColDetail, "Detalle"),
    (M::ProblemTitle, "Problema"),
    (M::NotFoundTitle, "No encontrado"),
    (
        M::NotFoundText,
        "Ese lote o página no existe. Quizás la dirección se escribió mal; la lista de lotes está en la primera página.",
    ),
    (M::FirstPage, "Primera página"),
    (M::EmptyTitle, "El archivo está vacío"),
    (
        M::EmptyText,
        "No tiene ningún byte. Exporte la planilla de nuevo como CSV, con su fila de encabezado, y suba ese archivo.",
    ),
    (
        M::WorkbookTitle,
        "Esto es un libro de Excel, no un archivo CSV",
    ),
    (
        M::WorkbookText,
        "Ábralo en Excel (o LibreOffice) y guárdelo como CSV: Archivo → Guardar como → CSV UTF-8 (delimitado por comas). Luego suba el archivo .csv.",
    ),
    (M::NoFileTitle, "No se eligió ningún archivo"),
    (M::NoFileText, "Elija el archivo CSV y luego súbalo."),
    (
        M::UnreadableTitle,
        "El archivo no se puede leer como una planilla de reembolsos",
    ),
    (
        M::UnreadableText,
        "No se guardó nada. Lo que encontró la lectura:",
    ),
    (M::BackToBatches, "Volver a los lotes"),
    (M::CausesTitle, "Por qué algunas filas no se reembolsaron"),
    (M::ColCause, "Causa"),
    (M::ColMeaning, "Qué significa"),
    (M::ColNext, "Qué hacer"),
    (
        M::NextRetry,
        "reintentar: volver a enviar con la misma clave es seguro",
    ),
    (
        M::NextReconcile,
        "conciliar: consultar el reembolso en Mercado Pago más tarde",
    ),
    (
        M::NextFixRow,
        "corregir la fila en la planilla y volver a subirla",
    ),
    (
        M::NextNeedsPerson,
        "requiere una persona: revise el pago en Mercado Pago",
    ),
    (M::NextNothing, "nada que hacer"),
    (M::StateUploaded, "subido"),
    (M::StateSubmitted, "enviado a aprobación"),
    (M::StateApproved, "aprobado"),
    (M::StateRejected, "rechazado"),
    (M::StateSending, "enviando"),
    (M::StateStopped, "detenido"),
    (M::StateFinished, "terminado"),
    (M::StateExpired, "vencido"),
    (M::OutcomeRefunded, "reembolsado"),
    (M::OutcomeInProcess, "en proceso"),
    (M::OutcomeFailed, "falló"),
    (M::OutcomeInvalid, "inválido"),
    (M::OutcomePending, "pendiente"),
    (M::FlowTitle, "Aprobación"),
    (M::FlowSubmittedBy, "Enviado a aprobación por"),
    (M::FlowAt, "el {0}"),
    (M::FlowExpecting, ", esperando {0}"),
    (M::FlowRejectedBy, "Rechazado por"),
    (M::FlowApprovedBy, "Aprobado por"),
    (M::FlowWhy, "Motivo"),
    (M::FlowLedgerBatch, "Lote en el archivo de estado"),
    (
        M::FlowExpired,
        "No se aprobó dentro de {0} día(s) desde su carga: este lote venció. Cargue el archivo de nuevo para empezar otra vez.",
    ),
    (M::SubmitTotal, "Total que espera, por moneda (p. ej.:"),
    (M::SubmitTotalSeveral, "; uno por línea si hay varias)"),
    (M::SubmitButton, "Enviar a aprobación"),
    (
        M::ApproveTotal,
        "Escriba el total otra vez, por moneda, tal como lo lee en el plan de abajo",
    ),
    (M::ApproveButton, "Aprobar"),
    (M::RejectReason, "Motivo del rechazo"),
    (M::RejectButton, "Rechazar"),
    (M::SendNow, "Enviar ahora"),
    (M::SendRest, "Enviar ahora (el resto)"),
    (
        M::SendCanary,
        "Enviar primero las próximas {0} filas y revisar",
    ),
    (M::SendTonight, "O déjelo para esta noche:"),
    (M::SendTonightWhat, "envía todos los lotes aprobados."),
    (M::ProgressOf, "de"),
    (M::ProgressRowsDone, "filas procesadas"),
    (M::ProgressRate, "filas/s"),
    (M::ProgressLeft, "restantes"),
    (M::ProgressFull, "totales"),
    (
        M::StopButton,
        "Detener (las filas en curso terminan; el resto espera)",
    ),
    (M::AnsweredTitle, "Filas enviadas hasta ahora"),
    (M::AnsweredFirst, " (las primeras {0})"),
    (M::ColOutcome, "Resultado"),
    (M::ColWhatHappened, "Qué pasó"),
];

/// The meanings of `causes`, by their English text (as `gettext` keys them).
const CAUSES_PT_BR: &[(&str, &str)] = &[
    (
        "no answer could be trusted (the refund may or may not exist)",
        "nenhuma resposta confiável (o estorno pode ou não existir)",
    ),
    (
        "the refund has a status the tool does not know",
        "o estorno tem uma situação que a ferramenta não conhece",
    ),
    (
        "the refund was rejected or cancelled: no money moved",
        "o estorno foi recusado ou cancelado: nenhum dinheiro foi movido",
    ),
    (
        "refunded, but for another amount than asked",
        "estornado, mas com outro valor que o pedido",
    ),
    (
        "refunded, but on another payment than asked",
        "estornado, mas em outro pagamento que o pedido",
    ),
    (
        "a bad line in the spreadsheet",
        "uma linha com erro na planilha",
    ),
    (
        "an earlier batch already refunded this payment",
        "um lote anterior já estornou este pagamento",
    ),
    (
        "the API's host name or certificate is wrong (configuration)",
        "o endereço ou o certificado da API está errado (configuração)",
    ),
    (
        "the API could not be reached (an outage)",
        "não foi possível acessar a API (indisponibilidade)",
    ),
    ("payment not found", "pagamento não encontrado"),
    (
        "the payment cannot be refunded",
        "o pagamento não pode ser estornado",
    ),
    (
        "more than the payment has left",
        "mais do que resta no pagamento",
    ),
    (
        "the payment already has refunds",
        "o pagamento já tem estornos",
    ),
    (
        "the row's currency is not the payment's",
        "a moeda da linha não é a do pagamento",
    ),
    (
        "the payment has too many partial refunds",
        "o pagamento tem estornos parciais demais",
    ),
    (
        "payment too old to refund",
        "pagamento antigo demais para estornar",
    ),
    (
        "the payment could not be read",
        "não foi possível consultar o pagamento",
    ),
    (
        "payment not found (wrong payment id?)",
        "pagamento não encontrado (ID do pagamento errado?)",
    ),
    (
        "payment too old to refund (past the refund window, 180 days)",
        "pagamento antigo demais para estornar (fora do prazo de 180 dias)",
    ),
    (
        "refund not found (idempotency key already used)",
        "estorno não encontrado (chave de idempotência já usada)",
    ),
    (
        "the payment's state allows no refund (pending, cancelled or already fully refunded)",
        "a situação do pagamento não permite estorno (pendente, cancelado ou já estornado por inteiro)",
    ),
    ("invalid gateway operation", "operação de gateway inválida"),
    (
        "Pix in contingency: the refund cannot be made now",
        "Pix em contingência: o estorno não pode ser feito agora",
    ),
    (
        "not enough balance in the account to refund",
        "saldo insuficiente na conta para estornar",
    ),
    (
        "invalid security code length",
        "tamanho do código de segurança inválido",
    ),
    (
        "partial refunds are not supported for this payment (refund it in full)",
        "este pagamento não aceita estorno parcial (estorne o valor total)",
    ),
    ("amount must be positive", "o valor deve ser positivo"),
    ("amount must be a number", "o valor deve ser um número"),
    (
        "amount has too many decimals for the currency",
        "o valor tem casas decimais demais para a moeda",
    ),
    (
        "amount exceeds what is left to refund on the payment",
        "o valor excede o que resta a estornar no pagamento",
    ),
    (
        "the X-Idempotency-Key header was missing",
        "faltou o cabeçalho X-Idempotency-Key",
    ),
    (
        "the payment is already refunded",
        "o pagamento já está estornado",
    ),
    (
        "refused by the card processor",
        "recusado pela processadora do cartão",
    ),
    ("invalid splitter id", "ID de divisão (splitter) inválido"),
    (
        "the access token was refused",
        "o token de acesso foi recusado",
    ),
    (
        "the token may not refund this payment",
        "o token não tem permissão para estornar este pagamento",
    ),
    ("not found", "não encontrado"),
    (
        "the same key was busy at Mercado Pago",
        "a mesma chave estava ocupada no Mercado Pago",
    ),
    (
        "too many requests (rate limited)",
        "requisições demais (limite de taxa)",
    ),
    (
        "Mercado Pago's server failed",
        "o servidor do Mercado Pago falhou",
    ),
    (
        "refused by the API without a cause",
        "recusado pela API sem causa informada",
    ),
];

const CAUSES_ES: &[(&str, &str)] = &[
    (
        "no answer could be trusted (the refund may or may not exist)",
        "ninguna respuesta confiable (el reembolso puede existir o no)",
    ),
    (
        "the refund has a status the tool does not know",
        "el reembolso tiene un estado que la herramienta no conoce",
    ),
    (
        "the refund was rejected or cancelled: no money moved",
        "el reembolso fue rechazado o cancelado: no se movió dinero",
    ),
    (
        "refunded, but for another amount than asked",
        "reembolsado, pero por otro monto que el pedido",
    ),
    (
        "refunded, but on another payment than asked",
        "reembolsado, pero en otro pago que el pedido",
    ),
    (
        "a bad line in the spreadsheet",
        "una línea con errores en la planilla",
    ),
    (
        "an earlier batch already refunded this payment",
        "un lote anterior ya reembolsó este pago",
    ),
    (
        "the API's host name or certificate is wrong (configuration)",
        "la dirección o el certificado de la API es incorrecto (configuración)",
    ),
    (
        "the API could not be reached (an outage)",
        "no se pudo acceder a la API (una interrupción)",
    ),
    ("payment not found", "pago no encontrado"),
    (
        "the payment cannot be refunded",
        "el pago no se puede reembolsar",
    ),
    (
        "more than the payment has left",
        "más de lo que le queda al pago",
    ),
    (
        "the payment already has refunds",
        "el pago ya tiene reembolsos",
    ),
    (
        "the row's currency is not the payment's",
        "la moneda de la fila no es la del pago",
    ),
    (
        "the payment has too many partial refunds",
        "el pago tiene demasiados reembolsos parciales",
    ),
    (
        "payment too old to refund",
        "pago demasiado antiguo para reembolsar",
    ),
    (
        "the payment could not be read",
        "no se pudo consultar el pago",
    ),
    (
        "payment not found (wrong payment id?)",
        "pago no encontrado (¿ID de pago incorrecto?)",
    ),
    (
        "payment too old to refund (past the refund window, 180 days)",
        "pago demasiado antiguo para reembolsar (fuera del plazo de 180 días)",
    ),
    (
        "refund not found (idempotency key already used)",
        "reembolso no encontrado (clave de idempotencia ya usada)",
    ),
    (
        "the payment's state allows no refund (pending, cancelled or already fully refunded)",
        "el estado del pago no permite reembolsos (pendiente, cancelado o ya reembolsado por completo)",
    ),
    ("invalid gateway operation", "operación de gateway inválida"),
    (
        "Pix in contingency: the refund cannot be made now",
        "Pix en contingencia: el reembolso no se puede hacer ahora",
    ),
    (
        "not enough balance in the account to refund",
        "saldo insuficiente en la cuenta para reembolsar",
    ),
    (
        "invalid security code length",
        "longitud del código de seguridad inválida",
    ),
    (
        "partial refunds are not supported for this payment (refund it in full)",
        "este pago no admite reembolsos parciales (reembólselo por completo)",
    ),
    ("amount must be positive", "el monto debe ser positivo"),
    ("amount must be a number", "el monto debe ser un número"),
    (
        "amount has too many decimals for the currency",
        "el monto tiene demasiados decimales para la moneda",
    ),
    (
        "amount exceeds what is left to refund on the payment",
        "el monto supera lo que queda por reembolsar del pago",
    ),
    (
        "the X-Idempotency-Key header was missing",
        "faltó el encabezado X-Idempotency-Key",
    ),
    (
        "the payment is already refunded",
        "el pago ya está reembolsado",
    ),
    (
        "refused by the card processor",
        "rechazado por el procesador de la tarjeta",
    ),
    ("invalid splitter id", "ID de splitter inválido"),
    (
        "the access token was refused",
        "el token de acceso fue rechazado",
    ),
    (
        "the token may not refund this payment",
        "el token no puede reembolsar este pago",
    ),
    ("not found", "no encontrado"),
    (
        "the same key was busy at Mercado Pago",
        "la misma clave estaba ocupada en Mercado Pago",
    ),
    (
        "too many requests (rate limited)",
        "demasiadas solicitudes (límite de tasa)",
    ),
    (
        "Mercado Pago's server failed",
        "el servidor de Mercado Pago falló",
    ),
    (
        "refused by the API without a cause",
        "rechazado por la API sin causa",
    ),
];

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

    /// Every cause code the tool explains, in every language: the codes of
    /// `causes`, its own and Mercado Pago's.
    #[test]
    fn every_cause_is_explained_in_all_three_languages() {
        let mut codes: Vec<CauseCode> = EXPLAINED
            .iter()
            .chain(&["http_418"])
            .map(|c| CauseCode::parse(c))
            .collect();
        // Every one the glossary lists has a meaning.
        for c in EXPLAINED {
            assert!(causes::meaning(&CauseCode::parse(c)).is_some(), "{c}");
        }
        codes.extend(NetCause::iter().map(CauseCode::Net));
        codes.extend(Prediction::iter().map(CauseCode::Predicted));
        let mut missing = Vec::new();
        for code in &codes {
            let Some(m) = causes::meaning(code) else {
                continue;
            };
            for lang in [Lang::PtBr, Lang::Es] {
                if !lang
                    .causes()
                    .iter()
                    .any(|(en, t)| *en == m.what && !t.is_empty())
                {
                    missing.push(format!("{}: {code} ({:?})", lang.code(), m.what));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "not translated:\n{}",
            missing.join("\n")
        );
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
