//! An audit entry's detail, typed: a kind and its values in no language
//! ([`Detail`]), kept as JSON in the entry's detail and said in the reader's
//! language when read. The handlers write them (`App::audit`); the trail's
//! pages say them (`console::audit`).
//!
//! Invariants: a detail holds no total that a step refused or would have
//! taken (a refused step names the step and the refusal only), nor any
//! token; its text values are cut so that, escaped, it fits the stored
//! bound whole ([`super::store::AUDIT_DETAIL_CHARS`]): a cut JSON would not read back. A
//! stored text that is not one reads as `None`: the trail shows it as written.

use serde::{Deserialize, Serialize};

use super::i18n::{M, Words};
use super::store::{Action, Refusal};

/// Why a file was refused, as a detail names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Unfit {
    Empty,
    Workbook,
    /// Not a refunds spreadsheet this reader can read.
    Unreadable,
    /// Not a Mercado Pago report (`console::books`).
    NotAReport,
}

impl Unfit {
    /// What a refused file's page said was wrong with it.
    pub(crate) fn of(problem: super::view::Problem) -> Unfit {
        use super::view::Problem;
        match problem {
            Problem::Empty => Unfit::Empty,
            Problem::Spreadsheet => Unfit::Workbook,
            Problem::NotAReport => Unfit::NotAReport,
            _ => Unfit::Unreadable,
        }
    }
}

/// What an audit entry says beyond its action: a kind and its values, in no
/// language, said in the reader's by [`Detail::said`]. Stored as JSON in the
/// entry's detail ([`Detail::stored`]); the names never change (entries
/// written are read by later versions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Detail {
    /// A file uploaded, and what its plan counted.
    Upload {
        file: String,
        rows: u64,
        valid: u64,
        invalid: u64,
        bytes: u64,
        skip_invalid: bool,
    },
    /// A file refused for what it is (an upload, or a report).
    Refused { file: String, unfit: Unfit },
    /// Submitted with `total` (the totals checked, as stored); `repeated`:
    /// rows earlier batches refunded, confirmed.
    Submit { total: String, repeated: u64 },
    /// Approved with `total` (checked), making `ledger_batch`.
    Approve { total: String, ledger_batch: String },
    /// Rejected, with the reason as typed.
    Reject { reason: String },
    /// Sent: `canary`, the first rows only; `night`, by `run --approved`.
    Send { canary: Option<u64>, night: bool },
    /// A send left by a process that ended, moved to `stopped`.
    Interrupted,
    /// The results file for other systems, in `format`'s columns.
    ResultsFile { format: String },
    /// The results for people: which rows (a filter's name), in which language.
    ResultsPeople { filter: String, lang: String },
    /// Failed rows sent again.
    Retry { rows: u64 },
    /// The books of `ledger_batch` read back.
    Reconcile { ledger_batch: String },
    /// A report matched: each finding's code and count.
    Report {
        file: String,
        found: Vec<(String, u64)>,
    },
    /// A step refused: the step (an [`Action`]'s name, or the path posted
    /// to), and why (a [`Refusal`]'s name).
    StepRefused { step: String, why: String },
    /// A decision refused: `step` (an [`Action`]'s name), for the account's
    /// `role` (a [`super::Role`]'s name), or its being the account's own batch.
    DecisionRefused {
        step: String,
        own: bool,
        #[serde(default)]
        role: String,
    },
    /// A login refused: `known`, the account exists (the password was wrong).
    LoginFailed { known: bool },
    /// A kept upload removed `days` after its batch ended (at `ended_ms`).
    UploadRemoved {
        file: String,
        days: u32,
        ended_ms: i64,
    },
}

/// The most characters, escaped, a text value of a detail keeps: together
/// they fit [`super::store::AUDIT_DETAIL_CHARS`] with the JSON around them.
const FILE_CHARS: usize = 300;
const STEP_CHARS: usize = 200;
const TOTAL_CHARS: usize = 1_000;
const REASON_CHARS: usize = 1_800;
const ID_CHARS: usize = 100;

/// `text` cut so that JSON-escaped it takes at most `max` characters (`…`
/// where cut): a cut stored detail would not read back.
fn fit(text: &str, max: usize) -> String {
    let escaped = |c: char| match c {
        '"' | '\\' => 2,
        c if c.is_control() => 6,
        _ => 1,
    };
    if text.chars().map(escaped).sum::<usize>() <= max {
        return text.to_owned();
    }
    let mut used = 1;
    let mut kept: String = text
        .chars()
        .take_while(|c| {
            used += escaped(*c);
            used <= max
        })
        .collect();
    kept.push('…');
    kept
}

impl Detail {
    /// A refused step's detail: the step is the path posted to, which the
    /// client chose, so only its first characters are kept.
    pub(crate) fn refused_step(step: &str, why: Refusal) -> Detail {
        let limit = crate::domain::excerpt::EXCERPT_CHARS;
        Detail::StepRefused {
            step: step.chars().take(limit).collect(),
            why: why.as_str().to_owned(),
        }
    }

    /// As the trail keeps it: JSON, each text value cut to its bound.
    pub(crate) fn stored(&self) -> String {
        let mut d = self.clone();
        match &mut d {
            Detail::Upload { file, .. }
            | Detail::Refused { file, .. }
            | Detail::Report { file, .. }
            | Detail::UploadRemoved { file, .. } => *file = fit(file, FILE_CHARS),
            Detail::Submit { total, .. } => *total = fit(total, TOTAL_CHARS),
            Detail::Approve {
                total,
                ledger_batch,
            } => {
                *total = fit(total, TOTAL_CHARS);
                *ledger_batch = fit(ledger_batch, ID_CHARS);
            }
            Detail::Reject { reason } => *reason = fit(reason, REASON_CHARS),
            Detail::StepRefused { step, why } => {
                *step = fit(step, STEP_CHARS);
                *why = fit(why, ID_CHARS);
            }
            Detail::DecisionRefused { step, role, .. } => {
                *step = fit(step, ID_CHARS);
                *role = fit(role, ID_CHARS);
            }
            Detail::Reconcile { ledger_batch } => *ledger_batch = fit(ledger_batch, ID_CHARS),
            Detail::ResultsFile { format } => *format = fit(format, ID_CHARS),
            Detail::ResultsPeople { filter, lang } => {
                *filter = fit(filter, ID_CHARS);
                *lang = fit(lang, ID_CHARS);
            }
            Detail::Send { .. }
            | Detail::Interrupted
            | Detail::Retry { .. }
            | Detail::LoginFailed { .. } => {}
        }
        if let Detail::Report { found, .. } = &mut d {
            found.truncate(16);
            for (code, _) in found.iter_mut() {
                *code = fit(code, 40);
            }
        }
        serde_json::to_string(&d).expect("a detail is plain data")
    }

    /// The detail a stored text holds; `None` for one written before details
    /// were typed (free text), or by a version whose kinds this one does not know.
    pub(crate) fn of_stored(text: &str) -> Option<Detail> {
        text.starts_with('{')
            .then(|| serde_json::from_str(text).ok())
            .flatten()
    }

    /// In `w`'s words.
    pub(crate) fn said(&self, w: Words) -> String {
        let fill = |m: M, args: &[&str]| super::i18n::fill(w.lang, m, args);
        let joined = |a: &str, b: &str| fill(M::AuditRefusedDetail, &[a, b]);
        match self {
            Detail::Upload {
                file,
                rows,
                valid,
                invalid,
                bytes,
                skip_invalid,
            } => {
                let args = [rows, valid, invalid, bytes].map(u64::to_string);
                let [rows, valid, invalid, bytes] = args.each_ref().map(String::as_str);
                let mut said = fill(M::AuditDetailUpload, &[file, rows, valid, invalid, bytes]);
                if *skip_invalid {
                    said = format!("{said}; {}", w.t(M::AuditDetailSkipping));
                }
                said
            }
            Detail::Refused { file, unfit } => {
                let what = match unfit {
                    Unfit::Empty => M::EmptyTitle,
                    Unfit::Workbook => M::WorkbookTitle,
                    Unfit::Unreadable => M::UnreadableTitle,
                    Unfit::NotAReport => M::NotAReportTitle,
                };
                joined(file, w.t(what))
            }
            Detail::Submit { total, repeated } => {
                let said = fill(M::AuditDetailTotal, &[&w.stored_total(total)]);
                if *repeated == 0 {
                    return said;
                }
                let n = repeated.to_string();
                format!("{said}; {}", fill(M::AuditDetailRepeated, &[&n]))
            }
            Detail::Approve {
                total,
                ledger_batch,
            } => format!(
                "{}; {}",
                fill(M::AuditDetailTotal, &[&w.stored_total(total)]),
                fill(M::AuditDetailLedger, &[ledger_batch])
            ),
            Detail::Reject { reason } => reason.clone(),
            Detail::Send { canary, night } => {
                let mut said = Vec::new();
                if let Some(n) = canary {
                    said.push(fill(M::AuditDetailCanary, &[&n.to_string()]));
                }
                if *night {
                    said.push(w.t(M::AuditDetailNight).to_owned());
                }
                said.join("; ")
            }
            Detail::Interrupted => w.t(M::AuditDetailInterrupted).to_owned(),
            Detail::ResultsFile { format } => fill(M::AuditDetailResultsFile, &[format]),
            Detail::ResultsPeople { filter, lang } => {
                let which = filter_label(filter).map_or(filter.as_str(), |m| w.t(m));
                let lang = super::i18n::Lang::from_tag(lang).map_or(lang.as_str(), |l| l.name());
                fill(M::AuditDetailResultsPeople, &[which, lang])
            }
            Detail::Retry { rows } => fill(M::AuditDetailRetry, &[&rows.to_string()]),
            Detail::Reconcile { ledger_batch } => fill(M::AuditDetailLedger, &[ledger_batch]),
            Detail::Report { file, found } => {
                let found: Vec<String> = found
                    .iter()
                    .map(|(code, n)| {
                        let name = super::findings::report_finding_name(code)
                            .map_or(code.as_str(), |m| w.t(m));
                        format!("{name}: {n}")
                    })
                    .collect();
                joined(file, &found.join(", "))
            }
            Detail::StepRefused { step, why } => {
                let step = Action::of_stored(step).map_or(step.as_str(), |a| w.t(named(a)));
                let why = Refusal::of_stored(why).map_or(why.as_str(), |r| w.t(self::why(r)));
                joined(step, why)
            }
            Detail::DecisionRefused { step, own, role } => {
                let step = Action::of_stored(step).map_or(step.as_str(), |a| w.t(named(a)));
                if *own {
                    return joined(step, w.t(M::AuditDetailOwnBatch));
                }
                let role = role
                    .parse::<super::Role>()
                    .map_or(role.as_str(), |r| w.t(r.label()));
                joined(step, &format!("{} ({role})", w.t(M::AuditWhyRole)))
            }
            Detail::LoginFailed { known } => w
                .t(if *known {
                    M::AuditDetailWrongPassword
                } else {
                    M::AuditDetailNoAccount
                })
                .to_owned(),
            Detail::UploadRemoved {
                file,
                days,
                ended_ms,
            } => fill(
                M::AuditDetailRemoved,
                &[file, &days.to_string(), &w.date(*ended_ms)],
            ),
        }
    }
}

/// The message naming an action.
pub(super) fn named(a: Action) -> M {
    match a {
        Action::LoginOk => M::AuditLoginOk,
        Action::LoginFailed => M::AuditLoginFailed,
        Action::LoginThrottled => M::AuditLoginThrottled,
        Action::Logout => M::AuditLogout,
        Action::Upload => M::AuditUpload,
        Action::UploadRefused => M::AuditUploadRefused,
        Action::AuditDownload => M::AuditAuditDownload,
        Action::Submit => M::AuditSubmit,
        Action::Approve => M::AuditApprove,
        Action::Reject => M::AuditReject,
        Action::Send => M::AuditSend,
        Action::Stop => M::AuditStop,
        Action::Interrupted => M::AuditInterrupted,
        Action::Download => M::AuditResultsDownload,
        Action::Retry => M::AuditRetry,
        Action::Reconcile => M::AuditReconcile,
        Action::ReconcileDownload => M::AuditReconcileDownload,
        Action::Report => M::AuditReport,
        Action::ReportRefused => M::AuditReportRefused,
        Action::ReportDownload => M::AuditReportDownload,
        Action::DecisionRefused => M::AuditDecisionRefused,
        Action::UploadRemoved => M::AuditUploadRemoved,
        Action::StepRefused => M::AuditStepRefused,
    }
}

/// The message saying a refusal.
pub(super) fn why(r: Refusal) -> M {
    match r {
        Refusal::Forged => M::AuditWhyForged,
        Refusal::Role => M::AuditWhyRole,
        Refusal::WrongTotal => M::AuditWhyWrongTotal,
        Refusal::NotConfirmed => M::AuditWhyNotConfirmed,
        Refusal::BadLines => M::AuditWhyBadLines,
    }
}

/// The label of a results filter kept by its name (`console::results`'
/// `Filter`, whose module is above this one); `None` for a name this version
/// does not know.
fn filter_label(name: &str) -> Option<M> {
    Some(match name {
        "all" => M::FilterAll,
        "failed" => M::FilterFailed,
        "needs-person" => M::FilterNeedsPerson,
        "refunded" => M::FilterRefunded,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    /// One of each kind, with the text values as large as a client can make
    /// them: quotes and backslashes, which escaping doubles.
    fn every_kind(text: &str) -> Vec<Detail> {
        let t = || text.to_owned();
        vec![
            Detail::Upload {
                file: t(),
                rows: 41,
                valid: 38,
                invalid: 3,
                bytes: 1282,
                skip_invalid: true,
            },
            Detail::Refused {
                file: t(),
                unfit: Unfit::Workbook,
            },
            Detail::Submit {
                total: t(),
                repeated: 2,
            },
            Detail::Approve {
                total: t(),
                ledger_batch: t(),
            },
            Detail::Reject { reason: t() },
            Detail::Send {
                canary: Some(3),
                night: true,
            },
            Detail::Interrupted,
            Detail::ResultsFile { format: t() },
            Detail::ResultsPeople {
                filter: t(),
                lang: t(),
            },
            Detail::Retry { rows: 1 },
            Detail::Reconcile { ledger_batch: t() },
            Detail::Report {
                file: t(),
                found: vec![(t(), 1); 100],
            },
            Detail::refused_step(text, Refusal::Forged),
            Detail::DecisionRefused {
                step: t(),
                own: false,
                role: t(),
            },
            Detail::LoginFailed { known: false },
            Detail::UploadRemoved {
                file: t(),
                days: 30,
                ended_ms: 0,
            },
        ]
    }

    /// A stored detail fits the trail's bound whole, so it always reads back.
    #[test]
    fn every_detail_fits_its_bound_and_reads_back() {
        for text in [
            "\"\\".repeat(5_000),
            "é".repeat(10_000),
            "\u{1}".repeat(3_000),
        ] {
            for d in every_kind(&text) {
                let stored = d.stored();
                let chars = stored.chars().count();
                assert!(
                    chars <= crate::web::store::AUDIT_DETAIL_CHARS,
                    "{chars}: {stored:.200}"
                );
                let back = Detail::of_stored(&stored).unwrap_or_else(|| panic!("{stored:.200}"));
                assert_eq!(
                    std::mem::discriminant(&back),
                    std::mem::discriminant(&d),
                    "{stored:.200}"
                );
            }
        }
        // A short value is kept as it is.
        let d = Detail::Reject {
            reason: "valores em dobro".into(),
        };
        assert_eq!(Detail::of_stored(&d.stored()), Some(d));
        // A refused step keeps the first characters of the path posted to.
        let long = format!("/batches/{}/submit", "é".repeat(10_000));
        let Detail::StepRefused { step, why } = Detail::refused_step(&long, Refusal::Forged) else {
            unreachable!()
        };
        assert_eq!(step.chars().count(), crate::domain::excerpt::EXCERPT_CHARS);
        assert_eq!(why, "forged");
    }

    /// Every kind is said in the reader's language: no two languages say one
    /// alike (but for a reason as typed), and none is its stored form.
    #[test]
    fn every_detail_is_said_in_the_readers_language() {
        for mut d in every_kind("março.csv") {
            if let Detail::Report { found, .. } = &mut d {
                *found = vec![("matched".into(), 3)];
            }
            let [pt, es, en] = [Lang::PtBr, Lang::Es, Lang::En].map(|l| d.said(Words::utc(l)));
            assert!(!pt.contains('{') && !pt.contains("kind"), "{pt}");
            if !matches!(d, Detail::Reject { .. }) {
                assert!(
                    pt != en && es != en && pt != es,
                    "{d:?}: {pt} / {es} / {en}"
                );
            }
        }
        let pt = |d: Detail| d.said(Words::utc(Lang::PtBr));
        let upload = Detail::Upload {
            file: "março.csv".into(),
            rows: 3,
            valid: 3,
            invalid: 0,
            bytes: 96,
            skip_invalid: false,
        };
        assert_eq!(
            pt(upload),
            "março.csv: 3 linhas (corretas: 3, com erro: 0), 96 bytes"
        );
        let approve = Detail::Approve {
            total: "5433.52".into(),
            ledger_batch: "be7b".into(),
        };
        assert_eq!(
            pt(approve),
            "total 5.433,52; lote be7b no arquivo de estado"
        );
        let submit = Detail::Submit {
            total: "781.89:BRL".into(),
            repeated: 1,
        };
        assert_eq!(
            pt(submit),
            "total R$ 781,89; confirmado: uma linha já devolvida por lotes anteriores"
        );
        let report = Detail::Report {
            file: "extrato.csv".into(),
            found: vec![("matched".into(), 3), ("from_a_later_version".into(), 1)],
        };
        assert_eq!(
            pt(report),
            "extrato.csv: No relatório: 3, from_a_later_version: 1"
        );
        let people = Detail::ResultsPeople {
            filter: "failed".into(),
            lang: "es".into(),
        };
        assert_eq!(pt(people), "as linhas para o Excel — Com falha, Español");
        let send = Detail::Send {
            canary: Some(1),
            night: false,
        };
        assert_eq!(pt(send), "só a primeira linha");
    }
}
