//! Shared by the commands over a batch. Invariants: no output path overwrites the
//! state, the input or another output (`paths`); the exit code is decided from
//! the ledger's final state and the stop reason only ([`decide`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::api::client::{Client, Token};
use crate::domain::ending::{Ending, Exit};
use crate::domain::settings::Sending;
use crate::domain::{Outcome, ResultsFormat};
use crate::engine::progress::{Figures, Mode, Progress};
use crate::engine::runner;
use crate::engine::send::{Stop, StopReason};
use crate::engine::throttle::RateFigures;
use crate::sheets::report::{self, Summary};
use crate::store::ledger::{Batch, Ledger};
use crate::{Usage, engine::metrics};

pub(crate) use super::pick::{Pick, select_batch};
use crate::domain::steps::{OnBatch, Reach};
use crate::engine::night::{self, EarlierBatch};

/// Everything a sending command needs, resolved from flags and the job file:
/// where, with which token (never stored), and how ([`Sending`]).
#[derive(Debug, Clone)]
pub(crate) struct SendOptions {
    pub api_base: url::Url,
    /// The API base came from a flag or the job file, not the built-in default: a
    /// command over an existing batch then uses it instead of the batch's own.
    pub api_base_given: bool,
    pub token: Token,
    /// How it sends: the client, the pacer and the send loop each borrow
    /// their part; a new batch stores it.
    pub sending: Sending,
}

/// Where the results and the monitoring files go.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutputOptions {
    pub out: Option<PathBuf>,
    pub metrics_file: Option<PathBuf>,
    pub summary_json: Option<PathBuf>,
    pub mode: Option<Mode>,
    /// `--results-format`: `None` keeps the batch's own (see [`format_for`]).
    pub results_format: Option<ResultsFormat>,
    /// A page of this process watching the run (the console's progress).
    pub live: Option<crate::engine::progress::Live>,
}

impl OutputOptions {
    /// The monitoring files asked for, with the flag that names each.
    fn monitoring(&self) -> impl Iterator<Item = (&'static str, &Path)> {
        let metrics = self.metrics_file.as_deref().map(|p| ("--metrics-file", p));
        let summary = self.summary_json.as_deref().map(|p| ("--summary-json", p));
        metrics.into_iter().chain(summary)
    }

    /// These options with `{batch}` and `{date}` filled in for `batch`: the files
    /// a command over it writes, which no other batch's run writes.
    pub(crate) fn for_batch(&self, batch: &Batch) -> OutputOptions {
        let expand = |p: &Option<PathBuf>| p.as_deref().map(|p| expand_for(p, batch));
        OutputOptions {
            out: expand(&self.out),
            metrics_file: expand(&self.metrics_file),
            summary_json: expand(&self.summary_json),
            mode: self.mode,
            results_format: self.results_format,
            live: self.live.clone(),
        }
    }
}

/// `path` with `{batch}` and `{date}` filled in for `batch`.
pub(crate) fn expand_for(path: &Path, batch: &Batch) -> PathBuf {
    crate::store::paths::expand(path, &batch.id, batch.created_at_ms)
}

/// What `run` knows of tonight's input, for the figures beyond the batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tonight<'a> {
    pub input: &'a Path,
    /// The input is the very bytes the batch was made from.
    pub same_bytes: bool,
}

/// When a command over a batch began, and what `run` knows of its input (`None`
/// for `retry`, which has none).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Launch<'a> {
    pub started: Instant,
    pub tonight: Option<Tonight<'a>>,
    /// The batches this run finished before this one (`run --job`: an
    /// outage night's): its summary and metrics name them.
    pub earlier: &'a [EarlierBatch],
}

/// How a command over a batch ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub batch_id: String,
    pub summary: Summary,
    pub stopped: Option<StopReason>,
    pub results: PathBuf,
    /// The batches this run finished before this one (`run --job` after an
    /// outage night; `run --approved`'s other console batches): named in its
    /// summary, and its exit is never better than theirs.
    pub earlier: Vec<EarlierBatch>,
    /// `report`: the results were only rewritten, nothing sent: its exit says
    /// the file was written, not how the rows went.
    pub rewritten_only: bool,
    /// How fast this run sent, when it sent anything.
    pub rate: Option<RateFigures>,
    pub peak_in_flight: Option<usize>,
    /// The spreadsheet the batch was made from, as its first run named it.
    pub input: String,
    pub span: Span,
    pub beyond: metrics::Beyond,
}

/// When a command ran: RFC 3339 (UTC) and seconds.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Span {
    pub started_at: String,
    pub finished_at: String,
    pub duration_seconds: f64,
}

impl Span {
    /// From `started` to now.
    pub(crate) fn since(started: Instant) -> Span {
        let elapsed = started.elapsed();
        let now = crate::domain::clock::now_ms();
        let back = i64::try_from(elapsed.as_millis()).unwrap_or(0);
        Span {
            started_at: crate::domain::clock::rfc3339(now - back),
            finished_at: crate::domain::clock::rfc3339(now),
            duration_seconds: elapsed.as_secs_f64(),
        }
    }
}

/// The run summary: what `--summary-json` writes and, with `--log-format json`,
/// the end-of-run log line. One shape for every end: a run that ended before it
/// had results says what it knows (no batch, no results, zero counts) and adds
/// `error`; the log line adds `event`. Never a field less.
#[derive(Debug, Serialize)]
pub(crate) struct RunSummary<'a> {
    batch: Option<&'a str>,
    exit_code: u8,
    stopped: Option<String>,
    input: Option<&'a str>,
    results: Option<String>,
    #[serde(flatten)]
    span: &'a Span,
    /// The rate this run sent at (null when it sent nothing).
    rate: Option<&'a RateFigures>,
    #[serde(flatten)]
    beyond: &'a metrics::Beyond,
    #[serde(flatten)]
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// Every batch the run finished before this one, each with its figures.
    earlier_batches: &'a [EarlierBatch],
}

/// The log line's: the run summary, named as an event.
#[derive(Serialize)]
struct Event<'a> {
    event: &'static str,
    #[serde(flatten)]
    run: RunSummary<'a>,
}

/// From the ledger's final state and the stop ([`decide`]), never better than
/// an earlier batch's the run finished first (a clean run says 1 when one had
/// failed rows); `report`, which sends nothing, says 0 once its file is written.
impl Ending for Finished {
    fn exit(&self) -> Exit {
        if self.rewritten_only {
            return Exit::Ok;
        }
        night::worst(decide(&self.summary, self.stopped.as_ref()), &self.earlier)
    }
}

impl Finished {
    /// The run summary (`--summary-json`).
    pub(crate) fn run_summary(&self) -> RunSummary<'_> {
        RunSummary {
            batch: Some(&self.batch_id),
            exit_code: self.exit().code(),
            stopped: self.stopped.as_ref().map(|r| r.to_string()),
            input: Some(&self.input),
            results: Some(self.results.display().to_string()),
            span: &self.span,
            rate: self.rate.as_ref(),
            beyond: &self.beyond,
            summary: &self.summary,
            error: None,
            earlier_batches: &self.earlier,
        }
    }

    /// The run summary as one JSON log line, for log collectors.
    pub(crate) fn log_line(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string(&Event {
            event: "summary",
            run: self.run_summary(),
        })?)
    }

    /// The steps about this batch, said as commands that reach it as `reach`.
    pub(crate) fn steps<'a>(&'a self, reach: &'a Reach) -> OnBatch<'a> {
        reach.on(
            &self.batch_id,
            self.summary.count(Outcome::Pending) > 0 || self.stopped.is_some(),
        )
    }

    /// The human summary, for stderr; its next steps reach the batch as `reach`.
    pub(crate) fn render(&self, w: &mut dyn Write, reach: &Reach) -> std::io::Result<()> {
        let next = self.steps(reach);
        write!(w, "batch {}: ", self.batch_id)?;
        self.summary.render(w, &next)?;
        if let Some(r) = &self.rate {
            let mode = if r.adaptive {
                format!("adaptive, ceiling {:.0}/s", r.ceiling)
            } else {
                "fixed".to_owned()
            };
            let found = r.limit_found.map_or_else(String::new, |l| {
                format!("; the API's limit looked like {l:.0}/s")
            });
            writeln!(
                w,
                "  rate ({mode}): mean {:.1}/s, final {:.1}/s, between {:.1} and {:.1}; {} answer(s) 429 ({} taken as noise, {} as the limit: {} cut(s), {} shared pause(s)){found}; at most {} request(s) in flight",
                r.mean,
                r.last,
                r.min,
                r.max,
                r.throttled,
                r.throttled_as_noise,
                r.throttled_as_limit,
                r.limit_cuts,
                r.shared_pauses,
                self.peak_in_flight.unwrap_or(0)
            )?;
        }
        if let Some(r) = &self.stopped {
            let needs_person = r.exit() == Exit::NeedsPerson;
            writeln!(w, "stopped early: {r}; {}", next.after_stop(needs_person))?;
        }
        writeln!(w, "results: {}", self.results.display())
    }

    /// The figures this batch ended with, as a later batch's summary names it.
    pub(crate) fn as_earlier(&self) -> EarlierBatch {
        EarlierBatch {
            batch: self.batch_id.clone(),
            exit_code: self.exit().code(),
            stopped: self.stopped.as_ref().map(ToString::to_string),
            results: Some(self.results.display().to_string()),
            rows: self.summary.rows,
            outcomes: self.summary.outcomes.clone(),
            error: None,
            exit: self.exit(),
            line: self.one_line(),
            mismatched: self.summary.mismatched > 0,
        }
    }

    /// What a notification says of it: each earlier batch, then its own, each
    /// with the first step it asks of a person (its commands reach it as `reach`).
    pub(crate) fn tell(&self, tell: &mut crate::engine::notify::Tell, reach: &Reach) {
        for e in &self.earlier {
            tell.rows(&e.batch, &e.outcomes, e.results.as_deref());
            tell.next(e.first_step(reach));
        }
        let results = self.results.display().to_string();
        tell.rows(&self.batch_id, &self.summary.outcomes, Some(&results));
        tell.next(self.first_step(reach));
    }

    /// The one line of each earlier batch, then this batch's, each ending with
    /// the first step it asks of a person, if any: what `--quiet` leaves in a
    /// cron log, one line per batch the run touched.
    pub(crate) fn lines(&self, reach: &Reach) -> Vec<String> {
        let with = |line: String, step: Option<crate::domain::steps::Command>| match step {
            Some(c) => format!("{line}; next: {c}"),
            None => line,
        };
        let mut lines: Vec<String> = self
            .earlier
            .iter()
            .map(|e| with(format!("earlier {}", e.line), e.first_step(reach)))
            .collect();
        lines.push(with(self.one_line(), self.first_step(reach)));
        lines
    }

    /// The first step this batch asks of a person, if any (see [`OnBatch::first`]).
    pub(crate) fn first_step(&self, reach: &Reach) -> Option<crate::domain::steps::Command> {
        if self.rewritten_only {
            return None;
        }
        self.steps(reach)
            .first(|o| self.summary.count(o), self.summary.mismatched > 0)
    }
}

/// Where a command over an existing batch sends: the API base given, else the one
/// the batch was sent to (a sandbox batch is never retried against production).
pub(super) fn api_base_for(send: &SendOptions, batch: &Batch) -> anyhow::Result<url::Url> {
    match (&batch.settings.api_base, send.api_base_given) {
        (Some(stored), false) => Ok(crate::api::client::check_api_base(stored)?),
        _ => Ok(send.api_base.clone()),
    }
}

/// Whether no row of the batch is left to send (pending or sending): its lock
/// file can go.
pub(crate) fn nothing_left_in(ledger: &Ledger, batch_id: &str) -> anyhow::Result<bool> {
    Ok(ledger.to_send(batch_id)? == 0)
}

impl Finished {
    /// Whether the batch has nothing left to send (its lock file can go).
    pub(crate) fn nothing_left(&self) -> bool {
        self.stopped.is_none() && self.summary.count(crate::domain::Outcome::Pending) == 0
    }

    /// What `--quiet` still says, for a cron log: one line.
    pub(crate) fn one_line(&self) -> String {
        let counts: Vec<String> = <crate::domain::Outcome as strum::IntoEnumIterator>::iter()
            .filter_map(|o| {
                let n = self.summary.count(o);
                (n > 0).then(|| format!("{o} {n}"))
            })
            .collect();
        let stopped = stopped_note(self.stopped.as_ref());
        format!(
            "batch {}: {} rows ({}){stopped}; exit {}; results {}",
            self.batch_id,
            self.summary.rows,
            counts.join(", "),
            self.exit().code(),
            self.results.display()
        )
    }
}

/// A one-line summary's note of a command that stopped early: empty when it
/// did not.
pub(crate) fn stopped_note(stopped: Option<&StopReason>) -> String {
    stopped
        .map(|r| format!("; stopped early: {r}"))
        .unwrap_or_default()
}

pub(super) fn check_outputs(
    input: Option<&Path>,
    state: &Path,
    out: &Path,
    output: &OutputOptions,
) -> Result<(), Usage> {
    let mut outputs = vec![("--out", out)];
    outputs.extend(output.monitoring());
    crate::store::paths::check_outputs(input, state, &outputs)
}

/// Sends what is left of the batch, then writes every output and decides the
/// exit. Every output path is the batch's own: `{batch}` and `{date}` are filled
/// in for it here; a `run` also says what it knows of its input (`begun.tonight`).
pub(super) async fn send_and_report(
    ledger: Ledger,
    batch: &Batch,
    send: &SendOptions,
    output: &OutputOptions,
    out: &Path,
    stop: Stop,
    begun: Launch<'_>,
) -> anyhow::Result<Finished> {
    let output = &output.for_batch(batch);
    let out = &expand_for(out, batch);
    // Filled in, two templates may name one file: checked again (the state file
    // was checked with the templates).
    check_outputs(
        Some(Path::new(&batch.input_path)),
        Path::new(""),
        out,
        output,
    )?;
    let mut ledger = ledger;
    let to_send = ledger.to_send(&batch.id)?;
    if to_send > 0 && !batch.settings.allow_more_refunds {
        settle_in_doubt(&mut ledger, batch, send, &stop).await?;
    }
    let (mut ledger, sent) = if to_send > 0 {
        // When every row is still to send (a batch's first run, the usual
        // case), none is invalid or settled: counting them would read the
        // whole batch, half a second of a million rows.
        let sendable = if to_send == batch.row_count {
            to_send
        } else {
            let counts = ledger.outcome_counts(&batch.id)?;
            counts.values().sum::<u64>() - counts.get(&Outcome::Invalid).copied().unwrap_or(0)
        };
        tracing::info!("batch {}: {to_send} of {sendable} rows to send", batch.id);
        let client = Client::new(
            &api_base_for(send, batch)?,
            &send.token,
            &send.sending.client,
        )?;
        let mode = output.mode.unwrap_or(Mode::Log);
        let mut progress = Progress::new(mode, sendable, sendable - to_send);
        if let Some(live) = &output.live {
            progress = progress.watched_by(live.clone(), Figures::read(&ledger, &batch.id)?);
        }
        let (ledger, sent) = runner::run(
            ledger,
            batch.id.clone(),
            client,
            &send.sending,
            progress,
            stop,
        )
        .await?;
        (ledger, Some(sent))
    } else {
        tracing::info!("batch {}: nothing left to send", batch.id);
        (ledger, None)
    };
    finish(&mut ledger, batch, output, out, sent, to_send, begun)
}

/// Rows of other batches that may have refunded payments this batch is still
/// to send on hold those rows back (the per-payment guard): their payments are
/// read back first, and each such row whose refund is found, or whose last
/// attempt is old enough for "none found" to mean none made, is settled. The
/// rest stay in doubt, and the claims hold the rows they stand in front of.
async fn settle_in_doubt(
    ledger: &mut Ledger,
    batch: &Batch,
    send: &SendOptions,
    stop: &Stop,
) -> anyhow::Result<()> {
    let doubtful = ledger.rows_in_doubt(&batch.id, crate::store::ledger::DoubtScope::Holding)?;
    if doubtful.is_empty() {
        return Ok(());
    }
    tracing::info!(
        "batch {}: {} row(s) of this state file may have refunded payments this batch is still to send (their answers never came): reading those payments back",
        batch.id,
        doubtful.len()
    );
    let client = Client::new(
        &api_base_for(send, batch)?,
        &send.token,
        &send.sending.client,
    )?;
    let (settled, _) =
        crate::engine::doubt::read_back(ledger, client, &send.sending, doubtful, stop.clone())
            .await?;
    tracing::info!(
        "read back: {} found refunded, {} found not refunded, {} still in doubt (their rows of this batch are held)",
        settled.refunded,
        settled.not_refunded,
        settled.still_in_doubt
    );
    Ok(())
}

/// The figures beyond the batch (see [`metrics::Beyond`]); `before` is how many
/// rows of the batch were left to send when the run began. Says so in the log
/// when tonight's input is a finished batch's bytes again.
fn beyond(
    ledger: &Ledger,
    batch: &Batch,
    before: u64,
    tonight: Option<Tonight<'_>>,
) -> anyhow::Result<metrics::Beyond> {
    let left = ledger.to_send(&batch.id)?;
    let input_unchanged = tonight.is_some_and(|t| t.same_bytes) && before == 0;
    if input_unchanged {
        let finished = ledger
            .last_activity_ms(&batch.id)?
            .unwrap_or(batch.created_at_ms);
        let date: String = crate::domain::clock::rfc3339(finished)
            .chars()
            .take(10)
            .collect();
        tracing::warn!(
            "the input is the same file as batch {}, finished on {date}: nothing new tonight — has the export run?",
            batch.id
        );
    }
    Ok(metrics::Beyond {
        pending_all_batches: Some(ledger.to_send_all_batches()?),
        sent_this_run: before.saturating_sub(left),
        input_age_seconds: tonight.and_then(|t| input_age_secs(t.input)),
        input_unchanged,
    })
}

/// Seconds since `input` was last modified (0 for a time in the future).
fn input_age_secs(input: &Path) -> Option<i64> {
    let modified = std::fs::metadata(input).ok()?.modified().ok()?;
    let age = std::time::SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default();
    Some(i64::try_from(age.as_secs()).unwrap_or(i64::MAX))
}

fn finish(
    ledger: &mut Ledger,
    batch: &Batch,
    output: &OutputOptions,
    out: &Path,
    sent: Option<runner::Sent>,
    before: u64,
    begun: Launch<'_>,
) -> anyhow::Result<Finished> {
    let started = begun.started;
    let reason = sent.as_ref().and_then(|s| s.stopped.clone());
    let rate = sent.as_ref().map(|s| s.rate);
    let summary = report::results(ledger, batch, out, format_for(batch, output))?;
    let beyond = beyond(ledger, batch, before, begun.tonight)?;
    let finished = Finished {
        batch_id: batch.id.clone(),
        summary,
        stopped: reason,
        results: out.to_path_buf(),
        earlier: begun.earlier.to_vec(),
        rewritten_only: false,
        rate,
        peak_in_flight: sent.map(|s| s.peak_in_flight),
        input: batch.input_path.clone(),
        span: Span::since(started),
        beyond,
    };
    write_monitoring(&finished, output, None)?;
    Ok(finished)
}

/// Writes the metrics and summary files `output` names (already filled in for
/// the batch) for `f`; `label`: one more label on every metric, for a second
/// kind of run (`run --approved`) whose file sits beside the nightly run's in
/// node_exporter's folder.
pub(crate) fn write_monitoring(
    f: &Finished,
    output: &OutputOptions,
    label: Option<(&str, &str)>,
) -> anyhow::Result<()> {
    if let Some(path) = &output.metrics_file {
        metrics::write(
            path,
            &metrics::RunFigures {
                batch_id: &f.batch_id,
                summary: &f.summary,
                duration_secs: f.span.duration_seconds,
                exit: f.exit(),
                finished_at_secs: crate::domain::clock::now_ms() / 1000,
                rate: f.rate.as_ref(),
                beyond: &f.beyond,
                earlier: &f.earlier,
                label,
            },
        )?;
    }
    if let Some(path) = &output.summary_json {
        crate::store::atomic_file::write_atomically(
            path,
            serde_json::to_string_pretty(&f.run_summary())?.as_bytes(),
        )?;
    }
    Ok(())
}

/// A sending command that ended before it had results (bad input, a held batch,
/// a stop before sending): its metrics and summary files still say so, with the
/// real exit code — where writing them cannot hurt: never over the state file or
/// the input (a refused output path is one of the ways to get here). Best effort:
/// the error being reported matters more than these files.
pub(crate) fn report_failure(
    input: Option<&Path>,
    state: Option<&Path>,
    output: &OutputOptions,
    exit: Exit,
    error: &str,
    started: Instant,
) {
    report_nothing(input, state, output, exit, Some(error), started, None);
}

/// A sending command that ended with no batch of its own to report: failed
/// before it had one (`error`), or found nothing to send (`run --approved` on
/// a night with no approved batch). See [`report_failure`].
pub(crate) fn report_nothing(
    input: Option<&Path>,
    state: Option<&Path>,
    output: &OutputOptions,
    exit: Exit,
    error: Option<&str>,
    started: Instant,
    label: Option<(&str, &str)>,
) {
    // No batch to name: `{batch}` says so, `{date}` is today's.
    let output = &OutputOptions {
        metrics_file: output
            .metrics_file
            .as_deref()
            .map(|p| crate::store::paths::expand(p, "none", crate::domain::clock::now_ms())),
        summary_json: output
            .summary_json
            .as_deref()
            .map(|p| crate::store::paths::expand(p, "none", crate::domain::clock::now_ms())),
        ..output.clone()
    };
    let outputs: Vec<_> = output.monitoring().collect();
    let state = state.unwrap_or(Path::new(""));
    if outputs.is_empty() || crate::store::paths::check_outputs(input, state, &outputs).is_err() {
        return;
    }
    let span = Span::since(started);
    let beyond = metrics::Beyond {
        input_age_seconds: input.and_then(input_age_secs),
        ..metrics::Beyond::default()
    };
    let summary = Summary::default();
    if let Some(path) = &output.metrics_file {
        let written = metrics::write(
            path,
            &metrics::RunFigures {
                batch_id: "",
                summary: &summary,
                duration_secs: span.duration_seconds,
                exit,
                finished_at_secs: crate::domain::clock::now_ms() / 1000,
                rate: None,
                beyond: &beyond,
                earlier: &[],
                label,
            },
        );
        if let Err(e) = written {
            tracing::warn!("cannot write {}: {e:#}", path.display());
        }
    }
    if let Some(path) = &output.summary_json {
        let input = input.map(|p| p.display().to_string());
        let json = RunSummary {
            batch: None,
            exit_code: exit.code(),
            stopped: None,
            input: input.as_deref(),
            results: None,
            span: &span,
            rate: None,
            beyond: &beyond,
            summary: &summary,
            error,
            earlier_batches: &[],
        };
        let written = serde_json::to_vec_pretty(&json)
            .map_err(anyhow::Error::from)
            .and_then(|b| crate::store::atomic_file::write_atomically(path, &b));
        if let Err(e) = written {
            tracing::warn!("cannot write {}: {e:#}", path.display());
        }
    }
}

/// Exit code from the ledger's final state and why the run stopped, if it did
/// (the stop's own code is [`Exit::of_stop`]'s).
pub(crate) fn decide(summary: &Summary, stopped: Option<&StopReason>) -> Exit {
    if let Some(reason) = stopped {
        reason.exit()
    } else if summary.count(Outcome::Pending) > 0 {
        Exit::Stopped
    } else if summary.count(Outcome::Failed) > 0
        || summary.count(Outcome::Unknown) > 0
        || summary.count(Outcome::Invalid) > 0
        || summary.mismatched > 0
    {
        Exit::SomeFailed
    } else {
        Exit::Ok
    }
}

/// The results path: the flag (`{batch}` and `{date}` filled in for the batch),
/// else where the batch's run wrote them — never another batch's — else the
/// default beside its input.
pub(super) fn out_for(batch: &Batch, output: &OutputOptions) -> PathBuf {
    output
        .out
        .as_deref()
        .map(|p| expand_for(p, batch))
        .or_else(|| batch.settings.out.clone())
        .unwrap_or_else(|| {
            crate::store::paths::beside(
                Path::new(&batch.input_path),
                crate::store::paths::Sheet::Results,
            )
        })
}

/// The columns of `batch`'s results: as asked, else as its run chose, else the
/// tool's own.
pub(crate) fn format_for(batch: &Batch, output: &OutputOptions) -> ResultsFormat {
    output
        .results_format
        .or(batch.settings.results_format)
        .unwrap_or_default()
}

pub(super) fn open_existing(state: &Path) -> anyhow::Result<Ledger> {
    if !state.exists() {
        return Err(Usage(format!("no state file at {}", state.display())).into());
    }
    Ledger::open(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::network::NetFault;
    use crate::domain::NetCause;
    use crate::sheets::report::Totals;

    fn summary(counts: &[(Outcome, u64)], mismatched: u64) -> Summary {
        let mut s = Summary {
            mismatched,
            ..Summary::default()
        };
        for &(o, n) in counts {
            s.outcomes.insert(
                o.as_str().to_owned(),
                Totals {
                    rows: n,
                    ..Totals::default()
                },
            );
        }
        s
    }

    #[test]
    fn the_exit_code_follows_what_is_left_and_why_the_run_stopped() {
        let clean = summary(&[(Outcome::Refunded, 5), (Outcome::InProcess, 1)], 0);
        assert_eq!(decide(&clean, None), Exit::Ok);
        assert_eq!(
            decide(
                &summary(&[(Outcome::Refunded, 5), (Outcome::Failed, 1)], 0),
                None
            ),
            Exit::SomeFailed
        );
        assert_eq!(
            decide(&summary(&[(Outcome::Invalid, 1)], 0), None),
            Exit::SomeFailed
        );
        // Money moved, but not as asked.
        assert_eq!(
            decide(&summary(&[(Outcome::Refunded, 5)], 1), None),
            Exit::SomeFailed
        );
        // Rows left to send outrank failures: the batch is resumable.
        assert_eq!(
            decide(
                &summary(&[(Outcome::Failed, 1), (Outcome::Pending, 1)], 0),
                None
            ),
            Exit::Stopped
        );
        // A stop says its own code, whatever the rows.
        assert_eq!(decide(&clean, Some(&StopReason::Signal)), Exit::Stopped);
        assert_eq!(
            decide(&clean, Some(&StopReason::Credentials(401))),
            Exit::NeedsPerson
        );
        let unreachable = |cause, from_the_start| StopReason::Unreachable {
            fault: NetFault {
                cause,
                host: "api:443".into(),
                connecting: true,
            },
            from_the_start,
        };
        assert_eq!(
            decide(&clean, Some(&unreachable(NetCause::Dns, true))),
            Exit::NeedsPerson
        );
        assert_eq!(
            decide(&clean, Some(&unreachable(NetCause::Timeout, true))),
            Exit::Stopped
        );
        assert_eq!(
            decide(&clean, Some(&unreachable(NetCause::Dns, false))),
            Exit::Stopped
        );
    }

    /// A finished command's exit is [`decide`]'s, except that a clean night
    /// says 1 when an earlier batch it finished first had failed rows.
    #[test]
    fn a_clean_night_does_not_hide_an_earlier_batchs_failures() {
        let finished = |summary: Summary, stopped, earlier_failed: bool| Finished {
            batch_id: "b".into(),
            summary,
            stopped,
            results: PathBuf::from("r.csv"),
            earlier: if earlier_failed {
                vec![EarlierBatch::failed("a", Exit::SomeFailed, "failed rows")]
            } else {
                Vec::new()
            },
            rewritten_only: false,
            rate: None,
            peak_in_flight: None,
            input: "in.csv".into(),
            span: Span::since(Instant::now()),
            beyond: metrics::Beyond::default(),
        };
        let clean = || summary(&[(Outcome::Refunded, 5)], 0);
        assert_eq!(finished(clean(), None, false).exit(), Exit::Ok);
        assert_eq!(finished(clean(), None, true).exit(), Exit::SomeFailed);
        // What is worse than 1 stays as it was.
        assert_eq!(
            finished(clean(), Some(StopReason::Signal), true).exit(),
            Exit::Stopped
        );
        let pending = || summary(&[(Outcome::Pending, 1)], 0);
        assert_eq!(finished(pending(), None, true).exit(), Exit::Stopped);
        // `report` only rewrites the file: 0 whatever the rows.
        let rewritten = Finished {
            rewritten_only: true,
            ..finished(pending(), None, false)
        };
        assert_eq!(rewritten.exit(), Exit::Ok);
    }
}
