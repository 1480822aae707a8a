//! The commands that touch a batch — `run`, `retry`, `status`, `report` — as
//! orchestration over the other modules: validate the input (refusing to start on
//! any bad line), create or resume the batch in the state file, hold the batch's
//! lock, send, then write the results CSV, the summary, and the optional metrics
//! and JSON files, and decide the exit code from the ledger alone.
//!
//! Invariants: nothing is sent unless the whole input validated (or the bad lines
//! were explicitly marked `invalid` with `--skip-invalid`); a batch is the set of
//! rows of one spreadsheet, identified by the fingerprint of its keys, so the same
//! spreadsheet resumes the same batch whatever its row order or export format.

use std::io::Write;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::bail;
use serde::Serialize;

use crate::client::{Client, ClientSettings, Token};
use crate::domain::Outcome;
use crate::input::{Input, InputOptions};
use crate::ledger::{Batch, Ledger};
use crate::lock::BatchLock;
use crate::progress::{Mode, Progress};
use crate::report::{self, Summary};
use crate::retry::Policy;
use crate::runner::{self, Settings, Stop, StopReason};
use crate::{Exit, Usage, metrics};

/// Everything a sending command needs, resolved from flags and the job file.
#[derive(Debug, Clone)]
pub(crate) struct SendOptions {
    pub api_base: reqwest::Url,
    pub token: Token,
    pub rate: NonZeroU32,
    pub concurrency: usize,
    pub policy: Policy,
    pub breaker_threshold: u32,
    pub client: ClientSettings,
    /// How long in-flight requests may run on after SIGINT/SIGTERM.
    pub grace: Duration,
}

/// Where the results and the monitoring files go.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutputOptions {
    pub out: Option<PathBuf>,
    pub metrics_file: Option<PathBuf>,
    pub summary_json: Option<PathBuf>,
    pub mode: Option<Mode>,
}

#[derive(Debug, Clone)]
pub(crate) struct RunRequest {
    pub input: PathBuf,
    pub state: Option<PathBuf>,
    pub input_options: InputOptions,
    pub skip_invalid: bool,
    /// Accept a namespace other than the one the state file's keys were made with.
    pub namespace_change: bool,
    pub send: SendOptions,
    pub output: OutputOptions,
}

pub(crate) fn default_state(input: &Path) -> PathBuf {
    input.with_file_name(format!("{}.mprefund.db", stem(input)))
}

pub(crate) fn default_out(input: &Path) -> PathBuf {
    input.with_file_name(format!("{}.results.csv", stem(input)))
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map_or_else(|| "input".into(), |s| s.to_string_lossy().into_owned())
}

/// Reads the whole input once, validating every row. Returns the problems (line,
/// reason) and the summary with the batch fingerprint.
fn validate(
    path: &Path,
    opts: &InputOptions,
) -> anyhow::Result<(Vec<(u64, String)>, crate::input::InputSummary)> {
    let mut input = Input::open(path, opts)?;
    let mut problems = Vec::new();
    for row in input.by_ref() {
        let row = row?;
        if let Err(reason) = row.content {
            problems.push((row.line, reason));
        }
    }
    let summary = input.finish()?;
    Ok((problems, summary))
}

/// `mprefund run`.
pub(crate) async fn run(req: RunRequest, stop: Stop) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let (problems, summary) = validate(&req.input, &req.input_options)?;
    if !problems.is_empty() && !req.skip_invalid {
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "{}: {} bad line(s); nothing was sent:",
            req.input.display(),
            problems.len()
        )?;
        for (line, reason) in &problems {
            writeln!(err, "  line {line}: {reason}")?;
        }
        writeln!(
            err,
            "fix them, or pass --skip-invalid to refund the rest and mark these invalid"
        )?;
        return Ok(Exit::Usage);
    }
    // With --skip-invalid, a file of bad rows still gets its results (all
    // `invalid`): the user asked for them, and exit 1 says what happened.
    if summary.valid == 0 && !(req.skip_invalid && summary.rows > 0) {
        return Err(Usage(format!("{}: no row to refund", req.input.display())).into());
    }
    let state = req
        .state
        .clone()
        .unwrap_or_else(|| default_state(&req.input));
    let out = req
        .output
        .out
        .clone()
        .unwrap_or_else(|| default_out(&req.input));
    check_outputs(Some(&req.input), &state, &out, &req.output)?;
    let mut ledger = Ledger::open(&state)?;
    check_namespace(&mut ledger, &state, &req)?;
    let batch_id = summary.fingerprint.clone();
    let _lock = BatchLock::acquire(&state, &batch_id, "run")?;
    let batch = match ledger.batch(&batch_id)? {
        Some(b) => {
            tracing::info!("resuming batch {} from {}", b.id, state.display());
            b
        }
        None => {
            let b = create_batch(&mut ledger, &req, &summary, &out)?;
            tracing::info!("created batch {batch_id} in {}", state.display());
            b
        }
    };
    send_and_report(ledger, &batch, &req.send, &req.output, &out, stop, started).await
}

fn check_outputs(
    input: Option<&Path>,
    state: &Path,
    out: &Path,
    output: &OutputOptions,
) -> Result<(), Usage> {
    let mut outputs = vec![("--out", out)];
    outputs.extend(
        output
            .metrics_file
            .as_deref()
            .map(|p| ("--metrics-file", p)),
    );
    outputs.extend(
        output
            .summary_json
            .as_deref()
            .map(|p| ("--summary-json", p)),
    );
    crate::paths::check_outputs(input, state, &outputs)
}

/// Keys are derived with the namespace: the same spreadsheet under another one gets
/// other keys, which the API would take as new refunds. A state file therefore
/// keeps one namespace, and a change must be asked for by name.
fn check_namespace(ledger: &mut Ledger, state: &Path, req: &RunRequest) -> anyhow::Result<()> {
    let wanted = &req.input_options.namespace;
    match ledger.namespace()? {
        Some(recorded) if recorded == *wanted => Ok(()),
        Some(recorded) if !req.namespace_change => Err(Usage(format!(
            "the state file {} holds keys of namespace {recorded:?}, not {wanted:?}: \
             under another namespace every row gets a new key and would be refunded again; \
             pass --namespace-change if the account or environment really changed",
            state.display()
        ))
        .into()),
        Some(recorded) => {
            tracing::warn!(
                "namespace changed from {recorded:?} to {wanted:?} (--namespace-change)"
            );
            ledger.set_namespace(wanted)
        }
        None => ledger.set_namespace(wanted),
    }
}

fn create_batch(
    ledger: &mut Ledger,
    req: &RunRequest,
    summary: &crate::input::InputSummary,
    out: &Path,
) -> anyhow::Result<Batch> {
    let input = Input::open(&req.input, &req.input_options)?;
    let batch = Batch {
        id: summary.fingerprint.clone(),
        created_at_ms: crate::ledger::now_ms(),
        input_path: req.input.display().to_string(),
        input_digest: summary.digest.clone(),
        namespace: req.input_options.namespace.clone(),
        header: input.header().to_vec(),
        delimiter: input.delimiter(),
        settings: serde_json::json!({
            "out": out.display().to_string(),
            "api_base": req.send.api_base.as_str(),
            "rate": req.send.rate.get(),
            "concurrency": req.send.concurrency,
            "allow_duplicates": req.input_options.allow_duplicates,
            "skip_invalid": req.skip_invalid,
            "key_version": crate::key::KEY_VERSION,
        })
        .to_string(),
        row_count: summary.rows,
    };
    let mut input = input;
    // An invalid row's cause message names its line, as `plan` does.
    let rows = input.by_ref().map(|row| {
        let mut row = row?;
        if let Err(reason) = &mut row.content {
            *reason = format!("line {}: {reason}", row.line);
        }
        Ok(row)
    });
    let adopted = ledger.create_batch(&batch, rows)?;
    if adopted > 0 {
        tracing::info!(
            "{adopted} row(s) were already settled by another batch of this state file; they will not be sent"
        );
    }
    let again = input.finish()?;
    if again.digest != summary.digest {
        bail!(
            "{} changed while it was being read; run again",
            req.input.display()
        );
    }
    Ok(batch)
}

/// Sends what is left of the batch, then writes every output and decides the exit.
async fn send_and_report(
    ledger: Ledger,
    batch: &Batch,
    send: &SendOptions,
    output: &OutputOptions,
    out: &Path,
    stop: Stop,
    started: Instant,
) -> anyhow::Result<Exit> {
    let counts = ledger.outcome_counts(&batch.id)?;
    let count = |o: Outcome| counts.get(&o).copied().unwrap_or(0);
    let to_send = count(Outcome::Pending);
    let sendable = counts.values().sum::<u64>() - count(Outcome::Invalid);
    let (ledger, reason) = if to_send > 0 {
        tracing::info!("batch {}: {to_send} of {sendable} rows to send", batch.id);
        let client = Client::new(&send.api_base, &send.token, &send.client)?;
        let settings = Settings {
            rate: send.rate,
            concurrency: send.concurrency,
            policy: send.policy.clone(),
            breaker_threshold: send.breaker_threshold,
            grace: send.grace,
        };
        let mode = output.mode.unwrap_or(Mode::Log);
        let progress = Progress::new(mode, sendable, sendable - to_send);
        runner::run(ledger, batch.id.clone(), client, &settings, progress, stop).await?
    } else {
        tracing::info!("batch {}: nothing left to send", batch.id);
        (ledger, None)
    };
    finish(&ledger, batch, output, out, reason, started)
}

/// The summary file's content.
#[derive(Serialize)]
struct SummaryJson<'a> {
    batch: &'a str,
    exit_code: u8,
    stopped: Option<String>,
    results: String,
    duration_seconds: f64,
    #[serde(flatten)]
    summary: &'a Summary,
}

fn finish(
    ledger: &Ledger,
    batch: &Batch,
    output: &OutputOptions,
    out: &Path,
    reason: Option<StopReason>,
    started: Instant,
) -> anyhow::Result<Exit> {
    let summary = report::write_results(ledger, batch, out)?;
    let exit = decide(&summary, reason);
    let quiet = output.mode == Some(Mode::Quiet);
    if !quiet {
        let mut err = std::io::stderr().lock();
        write!(err, "batch {}: ", batch.id)?;
        summary.render(&mut err)?;
        if let Some(r) = reason {
            writeln!(
                err,
                "stopped early: {r}; run the same command again to resume"
            )?;
        }
        writeln!(err, "results: {}", out.display())?;
    }
    let duration = started.elapsed().as_secs_f64();
    if let Some(path) = &output.metrics_file {
        metrics::write(
            path,
            &metrics::RunFigures {
                batch_id: &batch.id,
                summary: &summary,
                duration_secs: duration,
                exit,
                finished_at_secs: crate::ledger::now_ms() / 1000,
            },
        )?;
    }
    if let Some(path) = &output.summary_json {
        let json = SummaryJson {
            batch: &batch.id,
            exit_code: exit as u8,
            stopped: reason.map(|r| r.to_string()),
            results: out.display().to_string(),
            duration_seconds: duration,
            summary: &summary,
        };
        report::write_atomically(path, serde_json::to_string_pretty(&json)?.as_bytes())?;
    }
    Ok(exit)
}

/// Exit code from the ledger's final state (SPEC "Exit codes").
pub(crate) fn decide(summary: &Summary, stopped: Option<StopReason>) -> Exit {
    if stopped.is_some() || summary.count(Outcome::Pending) > 0 {
        Exit::Stopped
    } else if summary.count(Outcome::Failed) > 0
        || summary.count(Outcome::Invalid) > 0
        || summary.mismatched > 0
    {
        Exit::SomeFailed
    } else {
        Exit::Ok
    }
}

/// Picks the batch a command works on: the one named, or the only one.
pub(crate) fn select_batch(
    ledger: &Ledger,
    state: &Path,
    wanted: Option<&str>,
) -> anyhow::Result<Batch> {
    let batches = ledger.batches()?;
    if let Some(w) = wanted {
        let matching: Vec<_> = batches.iter().filter(|b| b.id.starts_with(w)).collect();
        return match matching.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Usage(format!(
                "no batch {w} in {}{}",
                state.display(),
                list(&batches)
            ))
            .into()),
            _ => Err(Usage(format!(
                "{w} names several batches in {}{}",
                state.display(),
                list(&batches)
            ))
            .into()),
        };
    }
    match batches.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Usage(format!("{} holds no batch", state.display())).into()),
        _ => Err(Usage(format!(
            "{} holds several batches; pick one with --batch ID{}",
            state.display(),
            list(&batches)
        ))
        .into()),
    }
}

fn list(batches: &[Batch]) -> String {
    let mut s = String::new();
    for b in batches {
        s.push_str(&format!(
            "\n  {}  {} rows  created {}  from {}",
            b.id,
            b.row_count,
            report::rfc3339(b.created_at_ms),
            b.input_path
        ));
    }
    s
}

fn stored_out(batch: &Batch) -> Option<PathBuf> {
    serde_json::from_str::<serde_json::Value>(&batch.settings)
        .ok()?
        .get("out")?
        .as_str()
        .map(PathBuf::from)
}

fn out_for(batch: &Batch, output: &OutputOptions) -> PathBuf {
    output
        .out
        .clone()
        .or_else(|| stored_out(batch))
        .unwrap_or_else(|| default_out(Path::new(&batch.input_path)))
}

/// `mprefund retry`: failed rows (retryable ones, or all) back to pending, then
/// sent again with their original keys.
pub(crate) async fn retry(
    state: &Path,
    batch: Option<&str>,
    all_failed: bool,
    send: &SendOptions,
    output: &OutputOptions,
    stop: Stop,
) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let mut ledger = open_existing(state)?;
    let batch = select_batch(&ledger, state, batch)?;
    let out = out_for(&batch, output);
    check_outputs(Some(Path::new(&batch.input_path)), state, &out, output)?;
    let _lock = BatchLock::acquire(state, &batch.id, "retry")?;
    let n = ledger.requeue_failed(&batch.id, all_failed)?;
    tracing::info!(
        "batch {}: {n} failed row(s) queued again{}",
        batch.id,
        if all_failed {
            ""
        } else {
            " (retryable ones; --all-failed for every failed row)"
        }
    );
    send_and_report(ledger, &batch, send, output, &out, stop, started).await
}

/// How many rows `retry --all-failed` would re-send, for the confirmation prompt.
pub(crate) fn failed_counts(
    state: &Path,
    batch: Option<&str>,
) -> anyhow::Result<(String, u64, u64)> {
    let ledger = open_existing(state)?;
    let batch = select_batch(&ledger, state, batch)?;
    let (retryable, permanent) = ledger.failed_counts(&batch.id)?;
    Ok((batch.id, retryable, permanent))
}

fn open_existing(state: &Path) -> anyhow::Result<Ledger> {
    if !state.exists() {
        return Err(Usage(format!("no state file at {}", state.display())).into());
    }
    Ledger::open(state)
}

/// `mprefund report`.
pub(crate) fn report(
    state: &Path,
    batch: Option<&str>,
    output: &OutputOptions,
) -> anyhow::Result<Exit> {
    let ledger = open_existing(state)?;
    let batch = select_batch(&ledger, state, batch)?;
    let out = out_for(&batch, output);
    check_outputs(Some(Path::new(&batch.input_path)), state, &out, output)?;
    let summary = report::write_results(&ledger, &batch, &out)?;
    if output.mode != Some(Mode::Quiet) {
        let mut err = std::io::stderr().lock();
        summary.render(&mut err)?;
        writeln!(err, "results: {}", out.display())?;
    }
    Ok(Exit::Ok)
}

/// `mprefund status`: printed on stdout, for people and scripts alike.
pub(crate) fn status(state: &Path, batch: Option<&str>, w: &mut dyn Write) -> anyhow::Result<Exit> {
    let ledger = open_existing(state)?;
    let batch = select_batch(&ledger, state, batch)?;
    let summary = Summary::of(&ledger, &batch.id)?;
    writeln!(w, "batch      {}", batch.id)?;
    writeln!(
        w,
        "input      {} (sha256 {})",
        batch.input_path, batch.input_digest
    )?;
    writeln!(w, "created    {}", report::rfc3339(batch.created_at_ms))?;
    if let Some(t) = ledger.last_activity_ms(&batch.id)? {
        writeln!(w, "last write {}", report::rfc3339(t))?;
    }
    writeln!(w, "namespace  {}", batch.namespace)?;
    writeln!(w, "settings   {}", batch.settings)?;
    let lock = crate::lock::lock_path(state, &batch.id);
    if crate::lock::is_held(&lock)
        && let Ok(holder) = std::fs::read_to_string(&lock)
    {
        writeln!(w, "running    {}", holder.trim())?;
    }
    summary.render(w)?;
    Ok(Exit::Ok)
}
