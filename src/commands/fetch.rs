//! `reconcile --fetch-report settlement|release --from DATE --to DATE`: asks
//! Mercado Pago for a report of the period and downloads it beside the batch's input
//! file, for `statements` to match. The flow the API documents: `POST
//! /v1/account/{report}` (202: made asynchronously), `GET …/list` until the file
//! is there, `GET …/{file_name}`.
//!
//! Invariants: every request goes through the retry rules of the refunds
//! (`retry::decide`: 429 with its `Retry-After`, 5xx, unknown outcomes; 401/403
//! end it); the list is polled until a deadline, never forever; the file appears
//! whole or not at all (downloaded beside, then renamed).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::Usage;
use crate::client::{Client, Reply};
use crate::mpreport::ReportKind;
use crate::retry::{self, Attempt, Policy, Verdict};
use crate::runner::{self, Stop};

/// How often the list is asked while the report is being made.
const POLL_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub(crate) struct FetchRequest {
    pub kind: ReportKind,
    pub begin: OffsetDateTime,
    pub end: OffsetDateTime,
    /// Where the report goes.
    pub to: PathBuf,
    /// How long the report may take to appear.
    pub timeout: Duration,
}

fn path_of(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Settlement => "/v1/account/settlement_report",
        ReportKind::Release => "/v1/account/release_report",
    }
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
            "{text:?} is not a date (2026-11-01) or an RFC 3339 instant"
        ))
    })?;
    let t = date.midnight().assume_utc();
    Ok(if end {
        t + time::Duration::days(1) - time::Duration::SECOND
    } else {
        t
    })
}

/// One request, retried by the refunds' rules; the answer's status and body.
async fn call(
    client: &Client,
    policy: &Policy,
    path: &str,
    body: Option<&serde_json::Value>,
    stop: &Stop,
) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (attempt, answer) = match client.account(path, body).await {
            Ok((status, retry_after, bytes)) => (
                Attempt::Status {
                    status,
                    retry_after,
                },
                Ok((status, bytes)),
            ),
            Err(reply) => (runner::attempt_of(&reply), Err(reply)),
        };
        let status = match &answer {
            Ok((s, _)) => Some(*s),
            Err(Reply::Unknown { status, .. }) => *status,
            Err(_) => None,
        };
        // The list and the creation answer 200/201/202: all success here.
        if let Ok((s @ 200..=299, bytes)) = answer {
            return Ok((s, bytes));
        }
        match retry::decide(policy, attempts, attempt, fastrand::f64) {
            Verdict::Retry(delay) => {
                tracing::debug!(path, ?status, ?delay, "retrying");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = stop.wait() => anyhow::bail!("interrupted while fetching the report"),
                }
            }
            Verdict::StopRun => anyhow::bail!(
                "the API refused the access token (HTTP {})",
                status.unwrap_or(0)
            ),
            _ => {
                let why = match answer {
                    Ok((s, bytes)) => format!("HTTP {s}: {}", String::from_utf8_lossy(&bytes)),
                    Err(Reply::Unknown { reason, .. }) => reason,
                    Err(_) => "no answer".into(),
                };
                anyhow::bail!("{path}: {why}");
            }
        }
    }
}

/// Asks for the report, waits for it, downloads it to `req.to`.
pub(crate) async fn fetch(
    client: &Client,
    policy: &Policy,
    req: &FetchRequest,
    stop: &Stop,
) -> anyhow::Result<PathBuf> {
    let base = path_of(req.kind);
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let period = serde_json::json!({
        "begin_date": req.begin.format(rfc3339)?,
        "end_date": req.end.format(rfc3339)?,
    });
    call(client, policy, base, Some(&period), stop).await?;
    tracing::info!(
        "asked Mercado Pago for the {} report; waiting for it",
        req.kind.as_str()
    );
    let deadline = Instant::now() + req.timeout;
    let file_name = loop {
        let (_, bytes) = call(client, policy, &format!("{base}/list"), None, stop).await?;
        if let Some(name) = ready_file(&bytes, req.begin, req.end) {
            break name;
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "the {} report was not ready after {} s; run again later (--fetch-timeout)",
                req.kind.as_str(),
                req.timeout.as_secs()
            );
        }
        tokio::select! {
            () = tokio::time::sleep(POLL_EVERY) => {}
            () = stop.wait() => anyhow::bail!("interrupted while waiting for the report"),
        }
    };
    if file_name.contains(['/', '\\']) || file_name.starts_with('.') {
        anyhow::bail!("the API named the report {file_name:?}, which is not a file name");
    }
    let mut attempts = 0;
    loop {
        attempts += 1;
        let path = format!("{base}/{file_name}");
        let attempt = match client.download(&path, &req.to).await {
            Ok(None) => break,
            Ok(Some((status, retry_after))) => Attempt::Status {
                status,
                retry_after,
            },
            Err(reason) => {
                tracing::debug!("download: {reason}");
                Attempt::Unknown {
                    status: None,
                    retry_after: None,
                }
            }
        };
        match retry::decide(policy, attempts, attempt, fastrand::f64) {
            Verdict::Retry(delay) => tokio::time::sleep(delay).await,
            _ => anyhow::bail!("could not download the report {file_name} ({attempt:?})"),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_instants() {
        let b = parse_day("2026-11-01", false).unwrap();
        let e = parse_day("2026-11-01", true).unwrap();
        assert_eq!(e - b, time::Duration::seconds(86_399));
        assert!(parse_day("01/11/2026", false).is_err());
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
}
