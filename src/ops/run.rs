//! `mprefund run`: validate the whole input (refusing to start on any bad line),
//! create or resume the batch in the state file, hold the batch's lock, send, and
//! report. The making of a batch (nothing sent) is `make`'s, which the console's
//! approval also takes (`prepare`).
//!
//! Invariants: nothing is sent unless the whole input validated (or the bad lines
//! were explicitly marked `invalid` with `--skip-invalid`); a batch is the set of
//! rows of one spreadsheet, identified by the fingerprint of its keys, so the same
//! spreadsheet resumes the same batch whatever its row order or export format; a
//! new batch enters the state file whole, and only after the input was read to its
//! end unchanged.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::batch::{self, Finished, OutputOptions, SendOptions};
use crate::domain::CauseCode;
use crate::domain::ending::{Ending, Exit};
use crate::domain::totals::{self, Guard, Tally};
use crate::engine::night::EarlierBatch;
use crate::engine::send::Stop;
use crate::sheets::input::{InputOptions, Spooled};
use crate::store::ledger::{self, Batch, Ledger};
use crate::store::lock::BatchLock;
use crate::{Usage, domain::clock};

mod make;
pub(crate) use make::prepare;
use make::{Made, Ready};

/// What a finance hand-off promised of the file: `run` refuses to start (exit 2,
/// nothing sent) when the file differs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Guards {
    /// `--expect-rows`: data rows in the file (blank lines not counted).
    pub expect_rows: Option<u64>,
    /// `--expect-total`: the sum of the amounts, per currency.
    pub expect_total: Vec<Guard>,
    /// `--max-total`: a cap on the sum of the amounts, per currency.
    pub max_total: Vec<Guard>,
    /// `currency`: the account's, which rows of no currency are in; a total
    /// in another is refused.
    pub currency: Option<crate::domain::Currency>,
    /// The batch a person approved (the console): the file must be that one,
    /// by its fingerprint. Its money was checked at approval, with the `full`
    /// rows' balances read from Mercado Pago, which the file alone cannot show.
    pub batch: Option<String>,
}

impl Guards {
    fn is_set(&self) -> bool {
        self.expect_rows.is_some()
            || !self.expect_total.is_empty()
            || !self.max_total.is_empty()
            || self.batch.is_some()
    }

    /// `rows`: the file's data rows; `tally`: the money its valid rows ask;
    /// `fingerprint`: the batch the file makes.
    fn check(&self, rows: u64, tally: &Tally, fingerprint: &str) -> Result<(), Usage> {
        let mut wrong = Vec::new();
        if let Some(n) = self.expect_rows
            && n != rows
        {
            wrong.push(format!(
                "--expect-rows {n}: the file has {rows} data row(s) (blank lines not counted)"
            ));
        }
        if !self.expect_total.is_empty()
            && let Err(e) = totals::check_expected(tally, &self.expect_total, self.currency)
        {
            wrong.push(e.to_string());
        }
        if !self.max_total.is_empty()
            && let Err(e) = totals::check_max(tally, &self.max_total, self.currency)
        {
            wrong.push(e.to_string());
        }
        if let Some(approved) = &self.batch
            && approved != fingerprint
        {
            wrong.push(format!(
                "the approved batch is {approved}, this file makes batch {fingerprint}"
            ));
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(Usage(format!(
                "the file is not the one expected: {}; nothing was sent",
                wrong.join("; ")
            )))
        }
    }
}

/// Asks a person whether to send: shown the question, answers yes or no. Only
/// given when someone can answer (a terminal, no `--yes`).
#[derive(Clone)]
pub(crate) struct Confirm(pub Arc<Ask>);

/// Shown the question, answers yes or no.
pub(crate) type Ask = dyn Fn(&str) -> std::io::Result<bool> + Send + Sync;

impl std::fmt::Debug for Confirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Confirm")
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RunRequest {
    pub input: PathBuf,
    pub state: Option<PathBuf>,
    pub input_options: InputOptions,
    pub skip_invalid: bool,
    /// Accept a namespace other than the one the state file's keys were made with.
    pub namespace_change: bool,
    /// Send rows whose payment already has a refund from an earlier batch.
    pub allow_more_refunds: bool,
    /// `--preflight`: predict every row online first (refund window in days).
    pub preflight: Option<i64>,
    pub guards: Guards,
    /// Ask before sending (a terminal and no `--yes`).
    pub confirm: Option<Confirm>,
    pub send: SendOptions,
    pub output: OutputOptions,
    /// `run --job`: what to do with the job's earlier batches left unfinished.
    pub earlier: Option<Earlier>,
}

impl RunRequest {
    /// The state file (the one named, else the account's) and the results file
    /// (the one named, else beside the input).
    fn state_and_out(&self) -> anyhow::Result<(PathBuf, PathBuf)> {
        let state = match self.state.clone() {
            Some(s) => s,
            None => crate::store::state_home::default_state(
                Some(&self.input),
                &self.input_options.namespace,
                self.namespace_change,
            )?,
        };
        let out = self.output.out.clone().unwrap_or_else(|| {
            crate::store::paths::beside(&self.input, crate::store::paths::Sheet::Results)
        });
        Ok((state, out))
    }
}

/// A nightly job's earlier batches (same input path) that an outage or a
/// signal left with rows to send: finished first, oldest first, with their own
/// keys — or, `resume: false`, the run refuses (exit 7) naming them. Batches
/// older than `max_age_days` are left alone, said loudly.
#[derive(Debug, Clone)]
pub(crate) struct Earlier {
    pub resume: bool,
    pub max_age_days: u64,
    /// How the commands the run prints about them reach them.
    pub reach: crate::domain::steps::Reach,
}

/// What finishing the earlier batches came to.
enum EarlierOutcome {
    /// Every one finished (or there was none): each one's figures.
    Done(Vec<EarlierBatch>),
    /// One stopped early (an outage goes on, a signal): tonight waits.
    Stopped(Box<Finished>),
    /// One was refused by the per-payment guard: nothing more is sent.
    Refused(RunResult),
}

/// Why a run sent nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    BadLines,
    PriorRefunds,
    Preflight,
}

impl Refusal {
    /// (what the lines are, what the user can do about them); the commands it
    /// names reach `input` as `reach`.
    fn words(self, input: &Path, reach: &crate::domain::steps::Reach) -> (&'static str, String) {
        match self {
            Refusal::BadLines => (
                "bad line(s)",
                "fix them, or pass --skip-invalid to refund the rest and mark these invalid".into(),
            ),
            Refusal::PriorRefunds => (
                "row(s) on payments an earlier batch of this state file refunded",
                "a corrected amount? another spreadsheet? check them, then pass \
                 --allow-more-refunds to send them anyway, or --skip-invalid to send the rest \
                 and mark these invalid"
                    .into(),
            ),
            Refusal::Preflight => (
                "row(s) `plan --online` does not predict `ok`",
                format!(
                    "the payments' figures: {}; pass --skip-invalid to send only the rows \
                     predicted ok and mark these invalid",
                    reach.plan_online(input)
                ),
            ),
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub(crate) enum RunResult {
    /// Bad lines, or rows on payments earlier batches refunded, and no
    /// `--skip-invalid`: nothing was sent. (line, reason) each.
    Refused {
        input: PathBuf,
        problems: Vec<(u64, String)>,
        why: Refusal,
    },
    /// Boxed: a finished run carries its whole summary.
    Finished(Box<Finished>),
}

impl RunResult {
    /// What to show a person on stderr; the commands it names reach the batch
    /// (or the input) as `reach`.
    pub(crate) fn render(
        &self,
        w: &mut dyn std::io::Write,
        reach: &crate::domain::steps::Reach,
    ) -> std::io::Result<()> {
        match self {
            RunResult::Finished(f) => f.render(w, reach),
            RunResult::Refused {
                input,
                problems,
                why,
            } => {
                let (what, hint) = why.words(input, reach);
                writeln!(
                    w,
                    "{}: {} {what}; nothing was sent:",
                    input.display(),
                    problems.len()
                )?;
                for (line, reason) in problems {
                    writeln!(w, "  line {line}: {reason}")?;
                }
                writeln!(w, "{hint}")
            }
        }
    }
}

pub(crate) async fn run(req: RunRequest, stop: Stop) -> anyhow::Result<RunResult> {
    let started = Instant::now();
    let (state, out) = req.state_and_out()?;
    // The one read of the input: every pass below reads this copy.
    let input = Spooled::read(&req.input)?;
    let mut earlier_done = Vec::new();
    if let Some(earlier) = &req.earlier
        && state.is_file()
    {
        match finish_earlier(&req, &input, earlier, &state, &stop).await? {
            EarlierOutcome::Done(done) => earlier_done = done,
            EarlierOutcome::Stopped(f) => {
                // Tonight waits; the monitoring files say how the night ended.
                let output = earlier_monitoring(&req.output, &state, &f)?;
                batch::write_monitoring(&f, &output, None)?;
                return Ok(RunResult::Finished(f));
            }
            EarlierOutcome::Refused(r) => return Ok(r),
        }
    }
    // Tonight's summary names the earlier batches, and its exit is never
    // better than theirs (a clean night does not hide their failed rows).
    tonight(req, &input, state, out, stop, started, &earlier_done).await
}

/// The monitoring files of a night that stopped in an earlier batch: the
/// night's, filled in for that batch.
fn earlier_monitoring(
    output: &OutputOptions,
    state: &Path,
    f: &Finished,
) -> anyhow::Result<OutputOptions> {
    let Some(b) = Ledger::open(state)?.batch(&f.batch_id)? else {
        return Ok(OutputOptions::default());
    };
    let output = OutputOptions {
        out: None,
        ..output.for_batch(&b)
    };
    batch::check_outputs(Some(Path::new(&b.input_path)), state, &f.results, &output)?;
    Ok(output)
}

/// Finishes the job's earlier unfinished batches, oldest first (see [`Earlier`]).
async fn finish_earlier(
    req: &RunRequest,
    spooled: &Spooled,
    earlier: &Earlier,
    state: &Path,
    stop: &Stop,
) -> anyhow::Result<EarlierOutcome> {
    let resume = |b: &Batch| {
        earlier
            .reach
            .on(&b.id, true)
            .command(crate::domain::steps::Step::Resume)
    };
    let digest = spooled.digest();
    let input = crate::store::paths::resolved(&req.input)
        .display()
        .to_string();
    let now = clock::now_ms();
    let max_age_ms = i64::try_from(earlier.max_age_days)
        .unwrap_or(i64::MAX / 86_400_000)
        .saturating_mul(86_400_000);
    let mut due = Vec::new();
    // Tonight's own bytes resume the usual way, below.
    for (b, left) in Ledger::open(state)?
        .unfinished_of(&input)?
        .into_iter()
        .filter(|(b, _)| b.input_digest != digest)
    {
        if now.saturating_sub(b.created_at_ms) > max_age_ms {
            tracing::warn!(
                "batch {} of {input} (made {}) still has {left} row(s) to send, but is older than --max-age {} day(s): left alone; {} finishes it",
                b.id,
                clock::rfc3339(b.created_at_ms),
                earlier.max_age_days,
                resume(&b)
            );
        } else {
            due.push((b, left));
        }
    }
    if due.is_empty() {
        return Ok(EarlierOutcome::Done(Vec::new()));
    }
    if !earlier.resume {
        let named: Vec<String> = due
            .iter()
            .map(|(b, left)| {
                format!(
                    "{} (made {}, {left} row(s) to send: {} finishes it)",
                    b.id,
                    clock::rfc3339(b.created_at_ms),
                    resume(b)
                )
            })
            .collect();
        return Err(crate::error::EarlierUnfinished(format!(
            "{} earlier batch(es) of {input} are unfinished: {}; nothing was sent (resume_earlier = false: \
             finish them, or let `run --job` do it first with resume_earlier = true)",
            due.len(),
            named.join("; ")
        ))
        .into());
    }
    let mut done = Vec::new();
    for (mut b, left) in due {
        tracing::warn!(
            "finishing earlier batch {} of {input} (made {}): {left} row(s) left to send, same keys",
            b.id,
            clock::rfc3339(b.created_at_ms)
        );
        let mut ledger = Ledger::open(state)?;
        let lock = BatchLock::acquire(state, &b.id, "run")?;
        if let Err(problems) = guard_resumed(&mut ledger, &mut b, req)? {
            return Ok(EarlierOutcome::Refused(RunResult::Refused {
                input: PathBuf::from(&b.input_path),
                problems,
                why: Refusal::PriorRefunds,
            }));
        }
        if let Some(confirm) = &req.confirm {
            confirm_sending(&ledger, &b, &req.send, confirm, stop).await?;
        }
        // Its own results file; tonight's monitoring files are tonight's.
        let output = OutputOptions {
            mode: req.output.mode,
            ..OutputOptions::default()
        };
        let out = batch::out_for(&b, &output);
        batch::check_outputs(Some(Path::new(&b.input_path)), state, &out, &output)?;
        let f = batch::send_and_report(
            ledger,
            &b,
            &req.send,
            &output,
            &out,
            stop.clone(),
            batch::Launch {
                started: Instant::now(),
                tonight: None,
                earlier: &done,
            },
        )
        .await?;
        // Its lock file goes once nothing is left to send, as tonight's does.
        lock.release(f.nothing_left());
        tracing::info!("earlier batch: {}", f.one_line());
        if f.stopped.is_some() {
            return Ok(EarlierOutcome::Stopped(Box::new(f)));
        }
        done.push(f.as_earlier());
    }
    Ok(EarlierOutcome::Done(done))
}

/// Tonight's file: resumed if the state holds its batch, else validated and made
/// into a new batch, then sent.
async fn tonight(
    req: RunRequest,
    spooled: &Spooled,
    state: PathBuf,
    out: PathBuf,
    stop: Stop,
    started: Instant,
    earlier: &[EarlierBatch],
) -> anyhow::Result<RunResult> {
    if let Some((mut ledger, batch)) = unchanged_batch(&req, spooled, &state, &out)? {
        // The same bytes as a batch of the state file: resumed (or found done)
        // without reading the file again.
        tracing::info!("resuming batch {} from {}", batch.id, state.display());
        check_namespace(&ledger, &state, &req)?;
        let mut batch = batch;
        let lock = BatchLock::acquire(&state, &batch.id, "run")?;
        if req.guards.is_set() {
            req.guards.check(
                batch.row_count,
                &tally(&ledger, &batch.id, ledger::Which::All)?,
                &batch.id,
            )?;
        }
        if let Err(problems) = guard_resumed(&mut ledger, &mut batch, &req)? {
            return Ok(RunResult::Refused {
                input: req.input,
                problems,
                why: Refusal::PriorRefunds,
            });
        }
        let held = (ledger, batch, lock);
        return send_tonight(&req, held, true, &out, stop, started, earlier).await;
    }
    let Ready {
        ledger,
        batch,
        lock,
        digest,
    } = match make::made(&req, spooled, &state, &out, &stop).await? {
        Made::Ready(r) => *r,
        Made::Refused(r) => return Ok(r),
    };
    let same_bytes = batch.input_digest == digest;
    let held = (ledger, batch, lock);
    send_tonight(&req, held, same_bytes, &out, stop, started, earlier).await
}

/// Tonight's batch, held with its lock: asked to be confirmed where the run asks, keyed in
/// the namespace it was made in, sent, its results written; its lock goes
/// once nothing is left to send. `same_bytes`: the file read now is the
/// bytes the batch was made from.
async fn send_tonight(
    req: &RunRequest,
    (mut ledger, batch, lock): (Ledger, Batch, BatchLock),
    same_bytes: bool,
    out: &Path,
    stop: Stop,
    started: Instant,
    earlier: &[EarlierBatch],
) -> anyhow::Result<RunResult> {
    if let Some(confirm) = &req.confirm {
        confirm_sending(&ledger, &batch, &req.send, confirm, &stop).await?;
    }
    ledger.set_namespace(&req.input_options.namespace)?;
    let begun = batch::Launch {
        started,
        tonight: Some(batch::Tonight {
            input: &req.input,
            same_bytes,
        }),
        earlier,
    };
    let finished =
        batch::send_and_report(ledger, &batch, &req.send, &req.output, out, stop, begun).await?;
    lock.release(finished.nothing_left());
    Ok(RunResult::Finished(Box::new(finished)))
}

/// A batch resumed meets the per-payment guard as a new one does: rows never
/// sent on payments another batch of the state file refunded, may have
/// refunded or has waiting — since this batch was made, say — refuse the run
/// (nothing sent), or with `--skip-invalid` become `invalid`; with
/// `--allow-more-refunds` the batch is allowed from now on. The claims check
/// again, row by row, whatever happens in between.
fn guard_resumed(
    ledger: &mut Ledger,
    batch: &mut Batch,
    req: &RunRequest,
) -> anyhow::Result<Result<(), Vec<(u64, String)>>> {
    if batch.settings.allow_more_refunds {
        return Ok(Ok(()));
    }
    let held: Vec<ledger::Held> = ledger::by_row(ledger.held_back(&batch.id)?)
        .into_iter()
        .filter(|h| !h.only_doubt)
        .collect();
    if held.is_empty() {
        return Ok(Ok(()));
    }
    if req.allow_more_refunds {
        tracing::warn!(
            "batch {}: {} row(s) on payments other batches refunded are sent (--allow-more-refunds)",
            batch.id,
            held.len()
        );
        ledger.allow_more_refunds(batch)?;
        return Ok(Ok(()));
    }
    if req.skip_invalid {
        let rows: Vec<(u64, CauseCode, String)> = held
            .into_iter()
            .map(|h| (h.row_no, h.code(), format!("line {}: {}", h.line, h.why)))
            .collect();
        ledger.refuse_rows(&batch.id, &rows)?;
        return Ok(Ok(()));
    }
    Ok(Err(held.into_iter().map(|h| (h.line, h.why)).collect()))
}

/// The API base people must not miss.
const PRODUCTION_HOST: &str = "api.mercadopago.com";

/// Shows what is about to be sent — rows and money per currency, where, how
/// fast — and asks. A "no", or a signal while asking, sends nothing (exit 2); the
/// batch stays recorded, so the next `run` asks again.
async fn confirm_sending(
    ledger: &Ledger,
    batch: &Batch,
    send: &SendOptions,
    confirm: &Confirm,
    stop: &Stop,
) -> anyhow::Result<()> {
    let to_send = tally(ledger, &batch.id, ledger::Which::ToSend)?;
    if to_send.rows() == 0 {
        return Ok(());
    }
    let done = tally(ledger, &batch.id, ledger::Which::Done)?;
    let api = batch::api_base_for(send, batch)?;
    let mut q = format!(
        "about to send {} refund(s) of batch {} ({} row(s) in the file):\n",
        to_send.rows(),
        batch.id,
        batch.row_count
    );
    for line in to_send.lines() {
        q.push_str(&format!("  {line}\n"));
    }
    if done.rows() > 0 {
        // A corrected or re-exported file: say what is not sent again, so the
        // total above is read as what is new.
        q.push_str(&format!(
            "  already done, not sent again: {} row(s)\n",
            done.rows()
        ));
        for line in done.lines() {
            q.push_str(&format!("    {line}\n"));
        }
    }
    let production = api.host_str() == Some(PRODUCTION_HOST);
    q.push_str(&format!(
        "  API:  {}{}\n",
        api.as_str().trim_end_matches('/'),
        if production {
            "   <<< PRODUCTION: these refunds move real money >>>"
        } else {
            ""
        }
    ));
    let rate = send.sending.rate.start.unwrap_or(send.sending.rate.rate);
    let how = if send.sending.rate.adaptive {
        format!(
            " (adaptive: at most {}, slower if the API says 429)",
            send.sending.rate.rate
        )
    } else {
        String::new()
    };
    q.push_str(&format!(
        "  rate: {rate} request(s)/s{how}, about {} (retries add to it)\n",
        crate::engine::progress::eta(to_send.rows(), send.sending.rate.rate)
    ));
    q.push_str("send them? [y/N] ");
    let ask = confirm.0.clone();
    let answer = tokio::task::spawn_blocking(move || ask(&q));
    let yes = tokio::select! {
        a = answer => a.map_err(anyhow::Error::from)??,
        () = stop.wait() => false,
    };
    if yes {
        Ok(())
    } else {
        Err(Usage(
            "not confirmed; nothing was sent (the batch stays in the state file: `run` again to be asked again)"
                .into(),
        )
        .into())
    }
}

/// The batch of the state file made from these very bytes, read the way this run
/// would read them (namespace, key version, duplicates, delimiter, and no bad
/// lines unless `--skip-invalid`): its rows are all in the state file, so the
/// file need not be validated again — a million-row resume starts sending at
/// once. `None` sends the run the long way (which finds a re-export's batch by
/// its keys).
fn unchanged_batch(
    req: &RunRequest,
    spooled: &Spooled,
    state: &Path,
    out: &Path,
) -> anyhow::Result<Option<(Ledger, Batch)>> {
    if !state.is_file() {
        return Ok(None);
    }
    batch::check_outputs(Some(&req.input), state, out, &req.output)?;
    let digest = spooled.digest();
    let ledger = Ledger::open(state)?;
    let opts = &req.input_options;
    let found = ledger.batches()?.into_iter().find(|b| {
        b.input_digest == digest
            && b.namespace == opts.namespace
            && b.settings.key_version.as_deref() == Some(crate::domain::key::KEY_VERSION)
            && b.settings.allow_duplicates == opts.allow_duplicates
            && (req.skip_invalid || !b.settings.skip_invalid)
            && opts.delimiter.is_none_or(|d| d == b.delimiter)
    });
    Ok(found.map(|b| (ledger, b)))
}

/// Keys are derived with the namespace: the same spreadsheet under another one gets
/// other keys, which the API would take as new refunds. A state file therefore
/// keeps one namespace, and a change must be asked for by name.
fn check_namespace(ledger: &Ledger, state: &Path, req: &RunRequest) -> anyhow::Result<()> {
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
            Ok(())
        }
        // Recorded once the run goes ahead (see `run`): a refused run changes nothing.
        None => Ok(()),
    }
}

/// The money the batch's rows `which` says ask, per currency.
fn tally(ledger: &Ledger, batch_id: &str, which: ledger::Which) -> anyhow::Result<Tally> {
    let mut t = Tally::default();
    ledger.for_each_ask(batch_id, which, |currency, requested| {
        t.add(currency, requested)
    })?;
    Ok(t)
}

/// A run refused before sending is a usage error (exit 2), whatever refused it.
impl Ending for RunResult {
    fn exit(&self) -> Exit {
        match self {
            RunResult::Finished(f) => f.exit(),
            RunResult::Refused { .. } => Exit::Usage,
        }
    }
}
