//! `mprefund reconcile`: read a batch back from the API and compare it with the
//! state file; with `--report`/`--fetch-report`, match it against Mercado Pago's
//! settlement or release reports instead.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde::Deserialize;

use crate::cli::args::{
    BatchArgs, CurrencyArg, NotifyArg, OutArg, SendArgs, de_size, layered, parse_size, with_default,
};
use crate::cli::session::{self, Session};
use crate::cli::settings::{self, Flagged, JobCommon};
use crate::domain::ending::Ending;
use crate::error::Interrupted;
use crate::exit::Failure;
use crate::{Exit, Usage, ops};

/// `--date-window` unless the job file says otherwise.
const DEFAULT_DATE_WINDOW_DAYS: u32 = ops::statements::DEFAULT_WINDOW_DAYS;
/// `--fetch-timeout` unless the job file says otherwise.
const DEFAULT_FETCH_TIMEOUT_SECS: u64 = 600;

layered! {
    #[derive(Args, Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct ReconcileArgs {
        #[flatten]
        pub batch: BatchArgs,
        #[flatten]
        pub out: OutArg,
        /// Write Prometheus textfile-collector metrics of the findings here (not
        /// with --report or --fetch-report, which write none).
        #[arg(long, conflicts_with_all = ["report", "fetch_report"])]
        pub metrics_file: Option<PathBuf>,
        /// Match the batch against Mercado Pago's settlement or release report files
        /// (repeatable) instead of reading payments from the API; writes a matching CSV.
        #[arg(long, value_name = "FILE")]
        pub report: Vec<PathBuf>,
        #[arg(long, value_name = "DAYS", help = with_default("With --report or --fetch-report: days a report line's date may be from the refund's", DEFAULT_DATE_WINDOW_DAYS))]
        pub date_window: Option<u32>,
        /// Ask Mercado Pago for this report of --from..--to, download it beside the
        /// state file, and match it (with any --report given).
        #[arg(long, value_enum)]
        pub fetch_report: Option<FetchKind>,
        /// With --fetch-report: the first day (2026-11-01) or instant (RFC 3339).
        #[arg(long, value_name = "DATE")]
        pub from: Option<String>,
        /// With --fetch-report: the last day (whole) or instant.
        #[arg(long, value_name = "DATE")]
        pub to: Option<String>,
        #[arg(long, value_name = "SECS", help = with_default("With --fetch-report: seconds the fetch may wait in all (for the report to be made, and between retries, whatever a Retry-After asks)", DEFAULT_FETCH_TIMEOUT_SECS))]
        pub fetch_timeout: Option<u64>,
        #[arg(long, value_name = "SIZE", value_parser = parse_size, help = with_default("With --fetch-report: the largest report downloaded, in bytes or with a KiB/MiB/GiB suffix; a larger one is refused and nothing of it kept", ops::DEFAULT_MAX_REPORT_BYTES))]
        #[serde(deserialize_with = "de_size")]
        pub max_report_bytes: Option<u64>,
        #[flatten]
        pub currency: CurrencyArg,
        /// API base URL, requests per second... as for `run`; the API base defaults to
        /// the one the batch was sent to.
        #[flatten]
        pub send: SendArgs,
        #[flatten]
        pub notify: NotifyArg,
    }
}

/// `--fetch-report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FetchKind {
    Settlement,
    Release,
}

/// The flags only matching against reports reads.
const MATCHING: [&str; 6] = [
    "currency",
    "date_window",
    "from",
    "to",
    "fetch_timeout",
    "max_report_bytes",
];
/// The flags only fetching a report reads (with the sending ones).
const FETCHING: [&str; 4] = ["from", "to", "fetch_timeout", "max_report_bytes"];

pub(crate) async fn exec(flags: ReconcileArgs, session: &Session) -> anyhow::Result<Exit> {
    let given = settings::given(&flags);
    let token = settings::token_from(&flags.send.token);
    let (a, common, flagged) = settings::over_job(flags, |f| &f.batch, "reconcile", token)?;
    let notifier = settings::notifier(&a.notify, &a.send)?;
    let mut tell = crate::engine::notify::Tell::default();
    let exit = if a.report.is_empty() && a.fetch_report.is_none() {
        against_the_api(a, &given, &common, flagged, session, &mut tell).await
    } else {
        against_reports(a, &given, &common, session).await
    };
    session::tell_ended(tell, "the reconcile", exit, notifier.as_ref()).await
}

/// `--report`/`--fetch-report`: the batch matched against Mercado Pago's
/// report files.
async fn against_reports(
    a: ReconcileArgs,
    given: &[&'static str],
    common: &JobCommon,
    session: &Session,
) -> anyhow::Result<Exit> {
    settings::refuse_flags(
        given,
        |k| k != "metrics_file",
        "matching reports writes no metrics",
    )?;
    if a.fetch_report.is_none() {
        let sending = settings::keys_of::<SendArgs>();
        settings::refuse_flags(
            given,
            |k| !FETCHING.contains(&k) && !sending.iter().any(|s| s == k),
            "--report alone reads local files, it calls no API (--fetch-report does)",
        )?;
    }
    let req = ops::statements::MatchRequest {
        state: settings::state_of(a.batch.state.as_deref(), common)?,
        pick: settings::pick_of(a.batch.batch.as_deref(), common),
        reports: a.report.clone(),
        out: a.out.out.clone(),
        window_days: a.date_window.unwrap_or(DEFAULT_DATE_WINDOW_DAYS),
        period: None,
        currency: a.currency.currency,
    };
    let m = match a.fetch_report {
        None => ops::statements::match_reports(req)?,
        Some(kind) => {
            let (Some(from), Some(to)) = (a.from.as_deref(), a.to.as_deref()) else {
                return Err(Usage("--fetch-report needs --from and --to".into()).into());
            };
            let (begin, end) = ops::parse_period(from, to)?;
            let fetch = ops::statements::Fetch {
                kind: match kind {
                    FetchKind::Settlement => crate::sheets::mpreport::ReportKind::Settlement,
                    FetchKind::Release => crate::sheets::mpreport::ReportKind::Release,
                },
                begin,
                end,
                timeout: Duration::from_secs(a.fetch_timeout.unwrap_or(DEFAULT_FETCH_TIMEOUT_SECS)),
                max_bytes: a.max_report_bytes.unwrap_or(ops::DEFAULT_MAX_REPORT_BYTES),
            };
            let send = settings::send_options(&a.send)?;
            ops::statements::fetch_and_match(req, fetch, &send, session.stop())
                .await
                .map_err(fetch_failed)?
        }
    };
    session.summary(|| m.one_line(), |w| m.render(w))?;
    Ok(m.exit())
}

/// A fetch that failed with no typed cause failed against the API (the report
/// not ready in time, too large, an answer it cannot use): it passes, so it is
/// an interruption (exit 3), as a run's outage is — never an internal error.
fn fetch_failed(e: anyhow::Error) -> anyhow::Error {
    match Failure::of(&e) {
        Failure::Internal => Interrupted(e).into(),
        _ => e,
    }
}

/// The batch's payments read back from the API; what disagrees is told.
async fn against_the_api(
    a: ReconcileArgs,
    given: &[&'static str],
    common: &JobCommon,
    flagged: Flagged,
    session: &Session,
    tell: &mut crate::engine::notify::Tell,
) -> anyhow::Result<Exit> {
    settings::refuse_flags(
        given,
        |k| !MATCHING.contains(&k),
        "they are for matching reports (--report, --fetch-report)",
    )?;
    let state = settings::state_of(a.batch.state.as_deref(), common)?;
    let reach = flagged.reach(Some(&state));
    let req = ops::reconcile::ReconcileRequest {
        state,
        pick: settings::pick_of(a.batch.batch.as_deref(), common),
        send: settings::send_options(&a.send)?,
        out: a.out.out.clone(),
        metrics_file: a.metrics_file.clone(),
    };
    // Without --batch: every batch sent since the last reconcile, each said.
    let m = ops::morning::reconcile_due(req, session.stop()).await?;
    for r in &m.read {
        session.summary(|| r.line(&reach), |w| r.render(w, &reach))?;
        let disagreeing: Vec<(&str, u64)> = r
            .disagreeing()
            .into_iter()
            .map(|(f, n)| (f.as_str(), n))
            .collect();
        tell.read_back(&r.batch_id, &disagreeing, &r.out.display().to_string());
        if !disagreeing.is_empty() {
            tell.next(r.first_step(&reach));
        }
    }
    Ok(m.exit())
}
