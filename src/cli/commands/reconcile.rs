//! `mprefund reconcile`: read a batch back from the API and compare it with the
//! state file; with `--report`/`--fetch-report`, match it against Mercado Pago's
//! settlement or release reports instead.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::cli::args::{BatchArgs, OutArg, SendArgs};
use crate::cli::session::Session;
use crate::cli::settings::{self, JobFile};
use crate::{Exit, commands};

#[derive(Args, Debug)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub out: OutArg,
    /// Write Prometheus textfile-collector metrics of the findings here.
    #[arg(long)]
    pub metrics_file: Option<PathBuf>,
    /// Match the batch against Mercado Pago's settlement or release report files
    /// (repeatable) instead of reading payments from the API; writes a matching CSV.
    #[arg(long, value_name = "FILE")]
    pub report: Vec<PathBuf>,
    /// With --report: days a report line's date may be from the refund's.
    #[arg(long, value_name = "DAYS", default_value_t = 3)]
    pub date_window: u32,
    /// Ask Mercado Pago for this report of --from..--to, download it beside the
    /// state file, and match it (with any --report given).
    #[arg(long, value_enum, requires_all = ["from", "to"])]
    pub fetch_report: Option<FetchKind>,
    /// With --fetch-report: the first day (2026-11-01) or instant (RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// With --fetch-report: the last day (whole) or instant.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// With --fetch-report: seconds the fetch may wait in all (for the report to
    /// be made, and between retries, whatever a Retry-After asks).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub fetch_timeout: u64,
    /// With --fetch-report: the largest report downloaded, in bytes or with a
    /// KiB/MiB/GiB suffix; a larger one is refused and nothing of it kept.
    #[arg(long, value_name = "SIZE", value_parser = parse_size,
          default_value_t = commands::DEFAULT_MAX_REPORT_BYTES)]
    pub max_report_bytes: u64,
    /// API base URL, requests per second... as for `run`; the API base defaults to
    /// the one the batch was sent to.
    #[command(flatten)]
    pub send: SendArgs,
}

/// `--fetch-report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FetchKind {
    Settlement,
    Release,
}

/// A size in bytes: `1048576`, `512KiB`, `300MiB`, `1GiB`.
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        _ => {
            return Err(format!(
                "{t:?}: a size is bytes, or a number with KiB, MiB or GiB"
            ));
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{t:?}: a size is a positive number of bytes, KiB, MiB or GiB"))
}

pub(crate) async fn exec(a: ReconcileArgs, session: &Session) -> anyhow::Result<Exit> {
    let job = JobFile::load_opt(a.batch.job.as_deref())?;
    if a.report.is_empty() && a.fetch_report.is_none() {
        return against_the_api(a, &job, session).await;
    }
    let req = commands::statements::MatchRequest {
        state: settings::state_of(&a.batch, &job)?,
        pick: settings::pick_of(&a.batch, &job),
        reports: a.report.clone(),
        out: a.out.out.clone(),
        window_days: a.date_window,
        period: None,
    };
    let m = match a.fetch_report {
        None => commands::statements::match_reports(req)?,
        Some(kind) => {
            let (begin, end) = commands::parse_period(
                a.from.as_deref().unwrap_or(""),
                a.to.as_deref().unwrap_or(""),
            )?;
            let fetch = commands::statements::Fetch {
                kind: match kind {
                    FetchKind::Settlement => crate::mpreport::ReportKind::Settlement,
                    FetchKind::Release => crate::mpreport::ReportKind::Release,
                },
                begin,
                end,
                timeout: Duration::from_secs(a.fetch_timeout),
                max_bytes: a.max_report_bytes,
            };
            let send = settings::send_options(&a.send, &job)?;
            commands::statements::fetch_and_match(req, fetch, &send, session.stop()).await?
        }
    };
    session.summary(|| m.one_line(), |w| m.render(w))?;
    Ok(m.exit)
}

async fn against_the_api(
    a: ReconcileArgs,
    job: &JobFile,
    session: &Session,
) -> anyhow::Result<Exit> {
    let req = commands::reconcile::ReconcileRequest {
        state: settings::state_of(&a.batch, job)?,
        pick: settings::pick_of(&a.batch, job),
        send: settings::send_options(&a.send, job)?,
        out: a.out.out.clone(),
        metrics_file: a.metrics_file.clone(),
    };
    let r = commands::reconcile::reconcile(req, session.stop()).await?;
    session.summary(|| r.one_line(), |w| r.render(w))?;
    Ok(r.exit)
}
