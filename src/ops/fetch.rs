//! `reconcile --fetch-report settlement|release --from DATE --to DATE`: asks
//! Mercado Pago for a report of the period and downloads it beside the batch's input
//! file, for `statements` to match. The flow the API documents: `POST
//! /v1/account/{report}` (202: made asynchronously), `GET …/list` until the file
//! is there, `GET …/{file_name}`.
//!
//! Invariants: a period whose `--from` is after its `--to` is refused before any
//! request; every request goes through the send loop of the refunds (`send`:
//! `--rate`, the breaker, the retry rules — 429 with its `Retry-After`, 5xx,
//! unknown outcomes; 401/403 end it; a signal ends it, a request in flight after
//! its grace); one deadline (`--fetch-timeout`, from the first request) bounds
//! every wait — polls and retries alike, however long a `Retry-After` asks; the
//! file is streamed to disk, at most `--max-report-bytes` of it, and appears
//! whole or not at all (downloaded beside, then renamed); what the API answers
//! is echoed as an excerpt, never whole.

use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

use crate::Usage;
use crate::api::client::{Client, DownloadError, Reply};
use crate::domain::excerpt::{excerpt, excerpt_bytes};
use crate::engine::send::StoppedBy;
use crate::engine::send::{End, Sender, Settled, Stop, StopReason};
use crate::sheets::mpreport::ReportKind;

/// How often the list is asked while the report is being made.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// The largest report downloaded unless `--max-report-bytes` says otherwise: a
/// month of settlements of a large account is tens of MiB; far more is not a
/// report we can match, and the disk it would take is the user's.
pub(crate) const DEFAULT_MAX_REPORT_BYTES: u64 = 512 << 20;

#[derive(Debug, Clone)]
pub(crate) struct FetchRequest {
    pub kind: ReportKind,
    pub begin: OffsetDateTime,
    pub end: OffsetDateTime,
    /// Where the report goes.
    pub to: PathBuf,
    /// How long the whole fetch may wait (for the report to be made, and
    /// between retries).
    pub timeout: Duration,
    /// The largest file downloaded.
    pub max_bytes: u64,
}

/// When the fetch gives up, and the flag that set it (for messages).
struct Deadline {
    at: Instant,
    timeout: Duration,
}

impl Deadline {
    /// Why a try is not made: the next would be `delay` away, past the deadline
    /// — waiting to the deadline could not make it come sooner.
    fn passed(&self, delay: Duration, what: &str) -> anyhow::Error {
        anyhow::anyhow!(
            "{what}: the next try would be in {} s, past --fetch-timeout ({} s); run again later or raise it",
            delay.as_secs_f64().ceil(),
            self.timeout.as_secs()
        )
    }

    /// Waits `delay` between polls, unless that would pass the deadline.
    async fn wait(&self, delay: Duration, stop: &Stop, what: &str) -> anyhow::Result<()> {
        if Instant::now() + delay > self.at {
            return Err(self.passed(delay, what));
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => Ok(()),
            () = stop.wait() => Err(stopped(stop)),
        }
    }
}

/// The fetch ended on a stop: its exit is the stop's (a signal: resumable; the
/// token refused: a person must fix it).
fn stopped(stop: &Stop) -> anyhow::Error {
    anyhow::Error::new(StoppedBy(stop.reason().unwrap_or(StopReason::Signal)))
        .context("fetching the report")
}

fn path_of(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Settlement => "/v1/account/settlement_report",
        ReportKind::Release => "/v1/account/release_report",
    }
}

/// `--from` and `--to`: a period that runs forward, or a usage error before any
/// request.
pub(crate) fn parse_period(
    from: &str,
    to: &str,
) -> Result<(OffsetDateTime, OffsetDateTime), Usage> {
    let (begin, end) = (parse_day(from, false)?, parse_day(to, true)?);
    if begin > end {
        return Err(Usage(format!(
            "--from {} is after --to {}: give the period's first day first",
            excerpt(from),
            excerpt(to)
        )));
    }
    Ok((begin, end))
}

/// `DATE` (`2026-11-01`, the whole day) or an RFC 3339 instant; `end` takes a
/// bare date's last second.
pub(crate) fn parse_day(text: &str, end: bool) -> Result<OffsetDateTime, Usage> {
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    if let Ok(t) = OffsetDateTime::parse(text, rfc3339) {
        return Ok(t);
    }
    let date = time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| {
        Usage(format!(
            "{} is not a date (2026-11-01) or an RFC 3339 instant",
            excerpt(text)
        ))
    })?;
    let t = date.midnight().assume_utc();
    Ok(if end {
        t + time::Duration::days(1) - time::Duration::SECOND
    } else {
        t
    })
}

/// One request, sent by the refunds' loop; the answer's body.
async fn call(
    client: &Client,
    sender: &Sender,
    path: &str,
    body: Option<&serde_json::Value>,
    deadline: &Deadline,
) -> anyhow::Result<Vec<u8>> {
    let Settled { last, end, .. } = sender
        .settle(None, || client.account(path, body), Some(deadline.at))
        .await;
    let status = |answer: &Result<crate::api::client::Answer, Reply>| match answer {
        Ok(a) => Some(a.status),
        Err(Reply::Unknown { status, .. }) => *status,
        Err(_) => None,
    };
    match (end, last) {
        // The list and the creation answer 200/201/202: all success here.
        (End::Success, Some((Ok(answer), _))) => Ok(answer.body),
        (End::Overdue(delay), Some((answer, _))) => {
            let what = format!("{path} answered HTTP {}", status(&answer).unwrap_or(0));
            Err(deadline.passed(delay, &what))
        }
        (End::Stopped | End::Overdue(_), _) => Err(stopped(sender.stop())),
        (_, last) => {
            let why = match last {
                Some((Ok(a), _)) => format!("HTTP {}: {}", a.status, excerpt_bytes(&a.body)),
                Some((Err(Reply::Unknown { reason, .. }), _)) => reason,
                _ => "no answer".into(),
            };
            anyhow::bail!("{path}: {why}");
        }
    }
}

/// Asks for the report, waits for it, downloads it to `req.to`. Every request
/// goes through `sender` (`--rate` and the rest of the run's sending settings).
pub(crate) async fn fetch(
    client: &Client,
    sender: &Sender,
    req: &FetchRequest,
) -> anyhow::Result<PathBuf> {
    let base = path_of(req.kind);
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let period = serde_json::json!({
        "begin_date": req.begin.format(rfc3339)?,
        "end_date": req.end.format(rfc3339)?,
    });
    let deadline = Deadline {
        at: Instant::now() + req.timeout,
        timeout: req.timeout,
    };
    call(client, sender, base, Some(&period), &deadline).await?;
    tracing::info!(
        "asked Mercado Pago for the {} report; waiting for it",
        req.kind.as_str()
    );
    let list = format!("{base}/list");
    let file_name = loop {
        let listed = call(client, sender, &list, None, &deadline).await?;
        if let Some(name) = ready_file(&listed, req.begin, req.end) {
            break name;
        }
        let left = deadline.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            anyhow::bail!(
                "the {} report was not ready after {} s; run again later (--fetch-timeout)",
                req.kind.as_str(),
                req.timeout.as_secs()
            );
        }
        deadline
            .wait(
                POLL_EVERY.min(left),
                sender.stop(),
                "waiting for the report",
            )
            .await?;
    };
    if file_name.contains(['/', '\\']) || file_name.starts_with('.') {
        anyhow::bail!(
            "the API named the report {}, which is not a file name",
            excerpt(&file_name)
        );
    }
    let shown = excerpt(&file_name);
    let path = format!("{base}/{}", segment(&file_name));
    let Settled { last, end, .. } = sender
        .settle(
            None,
            || client.download(&path, &req.to, req.max_bytes),
            Some(deadline.at),
        )
        .await;
    match (end, last.map(|(a, _)| a)) {
        (End::Success, Some(Ok(_))) => {}
        (_, Some(Err(DownloadError::TooLarge))) => anyhow::bail!(
            "the report {shown} is larger than --max-report-bytes ({} bytes); nothing of it was kept",
            req.max_bytes
        ),
        (_, Some(Err(DownloadError::Local(why)))) => {
            anyhow::bail!("could not save the report {shown}: {why}")
        }
        (End::Overdue(delay), _) => {
            return Err(deadline.passed(delay, &format!("downloading the report {shown}")));
        }
        (End::Stopped, _) => return Err(stopped(sender.stop())),
        (_, Some(Ok(answer))) => anyhow::bail!(
            "could not download the report {shown} (HTTP {})",
            answer.status
        ),
        (_, Some(Err(DownloadError::Transport(reason)))) => {
            anyhow::bail!("could not download the report {shown} ({reason})")
        }
        (_, None) => anyhow::bail!("could not download the report {shown}"),
    }
    tracing::info!("downloaded {}", req.to.display());
    Ok(req.to.clone())
}

/// The file name of the listed report of exactly this period, once it is there.
fn ready_file(list: &[u8], begin: OffsetDateTime, end: OffsetDateTime) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Listed {
        begin_date: Option<String>,
        end_date: Option<String>,
        file_name: Option<String>,
    }
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let at = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| OffsetDateTime::parse(s, rfc3339).ok())
    };
    let listed: Vec<Listed> = serde_json::from_slice(list).ok()?;
    listed
        .into_iter()
        .rev()
        .find(|l| at(&l.begin_date) == Some(begin) && at(&l.end_date) == Some(end))
        .and_then(|l| l.file_name)
}

/// Where a fetched report goes: beside the batch's input, named by kind and period.
pub(crate) fn destination(
    beside: &Path,
    kind: ReportKind,
    begin: OffsetDateTime,
    end: OffsetDateTime,
) -> PathBuf {
    // `chargebacks.csv` → `chargebacks.settlement-report.….csv`.
    let stem = beside
        .file_stem()
        .map_or_else(|| "batch".into(), |s| s.to_string_lossy().into_owned());
    let day = |t: OffsetDateTime| {
        let d = t.date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    };
    beside.with_file_name(format!(
        "{stem}.{}-report.{}_{}.csv",
        kind.as_str(),
        day(begin),
        day(end)
    ))
}

/// `name` as one segment of a URL's path: what is not a path's own character
/// (a space, `?`, `#`, `%`, any letter beyond ASCII) percent-encoded.
fn segment(name: &str) -> String {
    let mut url = url::Url::parse("http://h/").expect("a URL");
    url.path_segments_mut().expect("a base").push(name);
    url.path()[1..].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_instants() {
        let b = parse_day("2026-11-01", false).unwrap();
        let e = parse_day("2026-11-01", true).unwrap();
        assert_eq!(e - b, time::Duration::seconds(86_399));
        assert!(parse_day("01/11/2026", false).is_err());
        assert!(parse_period("2026-11-02", "2026-11-01").is_err());
        let (b, e) = parse_period("2026-11-01", "2026-11-01").unwrap();
        assert!(b < e);
        let t = parse_day("2026-11-01T10:00:00-03:00", false).unwrap();
        assert_eq!(t.unix_timestamp(), b.unix_timestamp() + 13 * 3600);
    }

    #[test]
    fn the_listed_report_of_the_period() {
        let b = parse_day("2026-11-01", false).unwrap();
        let e = parse_day("2026-11-30", true).unwrap();
        let list = br#"[{"begin_date":"2026-10-31T21:00:00.000-03:00","end_date":"2026-11-30T20:59:59.000-03:00","file_name":"r-1.csv"},
                        {"begin_date":"2026-10-01T00:00:00Z","end_date":"2026-10-31T23:59:59Z","file_name":"r-0.csv"}]"#;
        assert_eq!(ready_file(list, b, e).as_deref(), Some("r-1.csv"));
        assert_eq!(ready_file(b"[]", b, e), None);
        assert_eq!(ready_file(b"not json", b, e), None);
    }

    #[test]
    fn a_report_s_name_is_one_segment_of_the_path() {
        assert_eq!(segment("r-1.csv"), "r-1.csv");
        assert_eq!(
            segment("relatório 1?x#y%.csv"),
            "relat%C3%B3rio%201%3Fx%23y%25.csv"
        );
    }
}
