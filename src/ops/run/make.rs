//! Making `run`'s batch: a file the state file does not hold unchanged is
//! validated whole (the one read `Spooled` made), checked against the guards,
//! and made into a batch of the state file — or the batch of the same keys is
//! found — under the per-payment guard, the batch's lock held. Nothing here
//! sends.
//!
//! Without `--preflight` the rows are stored as they are validated, in one pass
//! and one open transaction that only a batch passing every check commits: a
//! batch's id is its rows' fingerprint, known at the last row, so the batch's
//! row is named then. With `--preflight` the file is validated first (the
//! online reads need every row's payment before anything is stored), then
//! stored in a second pass that predicts each row.
//!
//! Invariants: a new batch enters the state file whole, and only if the rows
//! stored in it are the rows validated and every check passed; a row
//! `--preflight` does not predict `ok`, or on a payment an earlier batch
//! refunded, refuses the batch whole (nothing stored) unless `--skip-invalid`
//! makes it `invalid`.

use std::path::Path;

use super::{Refusal, RunRequest, RunResult, check_namespace, guard_resumed};
use crate::domain::CauseCode;
use crate::domain::finding::Findings;
use crate::domain::totals::Tally;
use crate::engine::send::Stop;
use crate::ops::{batch, online};
use crate::sheets::input::{Input, InputSummary, Spooled, Validated};
use crate::store::ledger::{self, Batch, BatchSettings, BatchWriter, Ledger};
use crate::store::lock::BatchLock;
use crate::{Usage, domain::clock};

/// A batch ready to send, or why there is none.
pub(super) enum Made {
    Ready(Box<Ready>),
    Refused(RunResult),
}

/// A batch made or found, its lock held.
pub(super) struct Ready {
    pub ledger: Ledger,
    pub batch: Batch,
    pub lock: BatchLock,
    /// The digest of the input as read now.
    pub digest: String,
}

/// What `run` does with a file the state file does not hold unchanged:
/// validate it whole, check the guards, make it into a batch (or find the
/// batch of the same keys) under the per-payment guard — nothing sent.
pub(super) async fn made(
    req: &RunRequest,
    spooled: &Spooled,
    state: &Path,
    out: &Path,
    stop: &Stop,
) -> anyhow::Result<Made> {
    match req.preflight {
        Some(days) => made_after_preflight(req, spooled, state, out, days, stop).await,
        None => made_in_one_pass(req, spooled, state, out),
    }
}

/// The rows stored as they are validated; the checks on the whole file come
/// after its last row, and a batch that fails one is rolled back.
fn made_in_one_pass(
    req: &RunRequest,
    spooled: &Spooled,
    state: &Path,
    out: &Path,
) -> anyhow::Result<Made> {
    batch::check_outputs(Some(&req.input), state, out, &req.output)?;
    let mut ledger = Ledger::open(state)?;
    check_namespace(&ledger, state, req)?;
    let input = spooled.open(&req.input_options)?;
    // Dropping `staged` uncommitted rolls the batch back: every return
    // before `finish` stores nothing.
    let mut staged = stage(&mut ledger, req, input, None)?;
    crate::engine::testpoint::reached(crate::engine::testpoint::Point::Staged);
    if let Some(refused) = refusal(req, std::mem::take(&mut staged.problems)) {
        return Ok(refused);
    }
    let summary = &staged.summary;
    req.guards
        .check(summary.rows, &staged.tally, &summary.fingerprint)?;
    has_a_row(req, summary)?;
    let (batch_id, digest) = (summary.fingerprint.clone(), summary.digest.clone());
    let lock = BatchLock::acquire(state, &batch_id, "run")?;
    if staged.writer.holds(&batch_id)? {
        drop(staged);
        return resumed(ledger, state, &batch_id, lock, req, digest);
    }
    let created = finish(staged, req, out)?;
    ready(created, ledger, state, lock, req, digest)
}

/// `--preflight`: the file validated whole first (each row's payment asked
/// for on the way), the batch of the same keys resumed if there is one, else
/// the payments read online and the rows stored, each with its prediction.
async fn made_after_preflight(
    req: &RunRequest,
    spooled: &Spooled,
    state: &Path,
    out: &Path,
    days: i64,
    stop: &Stop,
) -> anyhow::Result<Made> {
    // What `--preflight` predicts from comes from the validating pass, which
    // reads the state file as it stands (upgraded first, as the run would).
    if state.is_file() {
        drop(Ledger::open(state)?);
    }
    let mut asked = online::FileAsks::new(state.is_file().then_some(state))?;
    let Validated {
        problems,
        summary,
        tally,
        ..
    } = spooled.validate(&req.input_options, |row| asked.add(row))?;
    if let Some(refused) = refusal(req, problems) {
        return Ok(refused);
    }
    req.guards
        .check(summary.rows, &tally, &summary.fingerprint)?;
    has_a_row(req, &summary)?;
    batch::check_outputs(Some(&req.input), state, out, &req.output)?;
    let mut ledger = Ledger::open(state)?;
    check_namespace(&ledger, state, req)?;
    let batch_id = summary.fingerprint.clone();
    let lock = BatchLock::acquire(state, &batch_id, "run")?;
    if ledger.batch(&batch_id)?.is_some() {
        return resumed(ledger, state, &batch_id, lock, req, summary.digest);
    }
    let (preflight, stopped) =
        online::Preflight::read(asked, &req.send, days, stop.clone()).await?;
    if let Some(reason) = stopped {
        return Err(anyhow::Error::new(crate::engine::send::StoppedBy(reason))
            .context("the preflight stopped; nothing was sent"));
    }
    let input = spooled.reopen(&req.input_options, &summary.scan)?;
    let staged = stage(&mut ledger, req, input, Some(&preflight))?;
    crate::engine::testpoint::reached(crate::engine::testpoint::Point::Staged);
    if staged.summary.digest != summary.digest || staged.summary.fingerprint != batch_id {
        return Err(Usage(format!(
            "{} changed while it was being read; nothing was stored or sent, run again",
            req.input.display()
        ))
        .into());
    }
    let created = finish(staged, req, out)?;
    ready(created, ledger, state, lock, req, summary.digest)
}

/// The refusal a file's bad lines make, unless `--skip-invalid` keeps them as
/// `invalid` rows.
fn refusal(req: &RunRequest, problems: Vec<(u64, Findings)>) -> Option<Made> {
    (!problems.is_empty() && !req.skip_invalid).then(|| {
        Made::Refused(RunResult::Refused {
            input: req.input.clone(),
            // The command line's reading of each finding.
            problems: problems
                .into_iter()
                .map(|(line, f)| (line, f.to_string()))
                .collect(),
            why: Refusal::BadLines,
        })
    })
}

/// A file with no row to refund is a usage error — except, with
/// `--skip-invalid`, a file of bad rows: it still gets its results (all
/// `invalid`), as the user asked, and exit 1 says what happened.
fn has_a_row(req: &RunRequest, summary: &InputSummary) -> Result<(), Usage> {
    if summary.valid == 0 && !(req.skip_invalid && summary.rows > 0) {
        return Err(Usage(format!("{}: no row to refund", req.input.display())));
    }
    Ok(())
}

/// The batch of the same keys, found in the state file: resumed under the
/// per-payment guard.
fn resumed(
    mut ledger: Ledger,
    state: &Path,
    batch_id: &str,
    lock: BatchLock,
    req: &RunRequest,
    digest: String,
) -> anyhow::Result<Made> {
    let Some(mut batch) = ledger.batch(batch_id)? else {
        anyhow::bail!(
            "state file {}: batch {batch_id} went missing",
            state.display()
        );
    };
    tracing::info!("resuming batch {} from {}", batch.id, state.display());
    if let Err(problems) = guard_resumed(&mut ledger, &mut batch, req)? {
        return Ok(Made::Refused(RunResult::Refused {
            input: req.input.clone(),
            problems,
            why: Refusal::PriorRefunds,
        }));
    }
    Ok(Made::Ready(Box::new(Ready {
        ledger,
        batch,
        lock,
        digest,
    })))
}

/// A new batch made ([`finish`]), ready to send; or why it was refused.
fn ready(
    created: Result<Batch, Refused>,
    ledger: Ledger,
    state: &Path,
    lock: BatchLock,
    req: &RunRequest,
    digest: String,
) -> anyhow::Result<Made> {
    match created {
        Ok(batch) => {
            tracing::info!("created batch {} in {}", batch.id, state.display());
            Ok(Made::Ready(Box::new(Ready {
                ledger,
                batch,
                lock,
                digest,
            })))
        }
        Err((why, problems)) => Ok(Made::Refused(RunResult::Refused {
            input: req.input.clone(),
            problems,
            why,
        })),
    }
}

/// The batch `run` would send for `req`, made (or found) by the very path
/// `run` takes — one read of the input, validation, guards, preflight,
/// per-payment guard, the batch's lock — and nothing sent: the console's
/// approval makes its ledger batch here. `Err` of the inner result: why `run`
/// would refuse it.
pub(crate) async fn prepare(
    req: RunRequest,
    stop: Stop,
) -> anyhow::Result<Result<Batch, RunResult>> {
    let (state, out) = req.state_and_out()?;
    let spooled = Spooled::read(&req.input)?;
    match made(&req, &spooled, &state, &out, &stop).await? {
        Made::Ready(r) => {
            let Ready {
                mut ledger,
                batch,
                lock,
                ..
            } = *r;
            ledger.set_namespace(&req.input_options.namespace)?;
            lock.release(false);
            Ok(Ok(batch))
        }
        Made::Refused(r) => Ok(Err(r)),
    }
}

/// Why a batch was not created, and the rows, by line, that refused it.
type Refused = (Refusal, Vec<(u64, String)>);

/// A new batch's rows, stored as they were read and validated, in the state
/// file's open transaction (nothing of it committed), and what the pass found.
struct Staged<'l> {
    writer: BatchWriter<'l>,
    /// The batch as stored so far: what only the whole file says (its id, its
    /// rows, its dialect, where its results go) is filled in by [`finish`].
    batch: Batch,
    /// (line, reason) of every bad row.
    problems: Vec<(u64, Findings)>,
    /// The money the valid rows ask.
    tally: Tally,
    summary: InputSummary,
    /// (row, line, prediction) of the rows `--preflight` does not predict `ok`.
    preflighted: Vec<(u64, u64, crate::domain::Prediction)>,
}

/// The id of a batch whose rows are being stored: its own, their
/// fingerprint, is known at the last row. Never committed (see [`finish`]).
const BEING_MADE: &str = "(being made)";

/// One pass over `input`: every row validated and stored in a new batch of
/// the open transaction — the next rows parsed, keyed and put in the shape
/// they are stored in while these are stored. Once a bad row refuses the
/// batch (no `--skip-invalid`), the rest are only validated: the batch will
/// be rolled back, and every bad line is still listed. With `--preflight`,
/// each row is predicted as it goes in.
fn stage<'l>(
    ledger: &'l mut Ledger,
    req: &RunRequest,
    input: Input,
    preflight: Option<&online::Preflight>,
) -> anyhow::Result<Staged<'l>> {
    let batch = Batch {
        id: BEING_MADE.to_owned(),
        created_at_ms: clock::now_ms(),
        input_path: crate::store::paths::resolved(&req.input)
            .display()
            .to_string(),
        input_digest: String::new(),
        namespace: req.input_options.namespace.clone(),
        header: input.header().to_vec(),
        delimiter: b',',
        settings: BatchSettings::default(),
        row_count: 0,
    };
    let mut writer = ledger.new_batch(&batch)?;
    let mut problems = Vec::new();
    let mut tally = Tally::default();
    let mut preflighted = Vec::new();
    let summary = input.read_ahead(ledger::NewRow::of, |row, stored| {
        if let Some(p) = preflight.and_then(|p| p.not_ok(&row)) {
            preflighted.push((row.row_no, row.line, p));
        }
        if problems.is_empty() || req.skip_invalid {
            writer.insert(stored)?;
        }
        match row.content {
            Ok(v) => tally.add(v.currency, v.ask.requested),
            Err(reason) => problems.push((row.line, reason)),
        }
        Ok(())
    })?;
    Ok(Staged {
        writer,
        batch,
        problems,
        tally,
        summary,
        preflighted,
    })
}

/// Names the staged batch and commits it, unless a row refuses it: a row
/// `--preflight` does not predict `ok` refuses the batch whole (the rows, by
/// line, are the `Err`), or with `--skip-invalid` is `invalid`. The state file
/// is the first guard against a double refund: a row whose payment an earlier
/// batch refunded under another key is not sent unless `--allow-more-refunds`
/// — the batch is refused whole (the rows, by line, are the `Err`), or with
/// `--skip-invalid` those rows are `invalid`. Dropping the writer, as every
/// refusal here does, rolls the batch back: nothing is stored or sent.
fn finish(
    staged: Staged<'_>,
    req: &RunRequest,
    out: &Path,
) -> anyhow::Result<Result<Batch, Refused>> {
    let Staged {
        mut writer,
        mut batch,
        summary,
        preflighted,
        ..
    } = staged;
    let dialect = crate::sheets::sheet::Dialect::of_input(&summary);
    batch.id = summary.fingerprint.clone();
    batch.input_digest = summary.digest.clone();
    batch.delimiter = dialect.delimiter;
    batch.row_count = summary.rows;
    batch.settings = BatchSettings {
        out: Some(crate::store::paths::resolved(&crate::store::paths::expand(
            out,
            &summary.fingerprint,
            batch.created_at_ms,
        ))),
        api_base: Some(req.send.api_base.as_str().to_owned()),
        sending: req.send.sending.clone(),
        allow_duplicates: req.input_options.allow_duplicates,
        skip_invalid: req.skip_invalid,
        key_version: Some(crate::domain::key::KEY_VERSION.to_owned()),
        results_bom: dialect.bom,
        decimal_comma: dialect.decimal_comma,
        allow_more_refunds: req.allow_more_refunds,
        results_format: req.output.results_format,
    };
    if !preflighted.is_empty() && !req.skip_invalid {
        return Ok(Err((
            Refusal::Preflight,
            preflighted
                .iter()
                .map(|(_, line, p)| (*line, format!("predicted {}", p.as_str())))
                .collect(),
        )));
    }
    for (row_no, line, p) in preflighted {
        let why = format!("line {line}: plan --online predicted {}", p.as_str());
        writer.refuse(row_no, &CauseCode::Predicted(p), &why)?;
    }
    if !req.allow_more_refunds {
        // Rows held only by rows in doubt are not refused: a read-back may free
        // them (`run` tries one first), and the claim holds them until then.
        let guarded: Vec<ledger::Held> = ledger::by_row(writer.prior_refunds()?)
            .into_iter()
            .filter(|h| !h.only_doubt)
            .collect();
        if !guarded.is_empty() && !req.skip_invalid {
            return Ok(Err((
                Refusal::PriorRefunds,
                guarded.into_iter().map(|h| (h.line, h.why)).collect(),
            )));
        }
        for h in &guarded {
            writer.refuse(h.row_no, &h.code(), &format!("line {}: {}", h.line, h.why))?;
        }
    }
    let adopted = writer.commit(&batch)?;
    if adopted > 0 {
        tracing::info!(
            "{adopted} row(s) were already settled by another batch of this state file; they will not be sent"
        );
    }
    Ok(Ok(batch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::token::Token;
    use crate::ops::batch::SendOptions;
    use crate::sheets::input::InputOptions;

    fn request(input: &Path, guards: super::super::Guards) -> RunRequest {
        RunRequest {
            input: input.to_owned(),
            state: None,
            input_options: InputOptions {
                delimiter: None,
                allow_duplicates: false,
                namespace: "test".into(),
                limits: Default::default(),
            },
            skip_invalid: false,
            namespace_change: false,
            allow_more_refunds: false,
            preflight: None,
            guards,
            confirm: None,
            send: SendOptions {
                // Nothing is sent here: the port is never dialled.
                api_base: crate::api::client::check_api_base("http://127.0.0.1:9").unwrap(),
                api_base_given: true,
                token: Token::new(mprefund_sandbox::TEST_TOKEN).unwrap(),
                sending: Default::default(),
            },
            output: Default::default(),
            earlier: None,
        }
    }

    /// Makes the batch of `bytes` in `dir`'s state file: (what came of it, the
    /// passes over the input's copy).
    async fn make(
        dir: &Path,
        bytes: &str,
        guards: super::super::Guards,
    ) -> anyhow::Result<(Made, u32)> {
        let input = dir.join("in.csv");
        std::fs::write(&input, bytes)?;
        let spooled = Spooled::read(&input)?;
        let req = request(&input, guards);
        let state = dir.join("state.db");
        let made = made(&req, &spooled, &state, &dir.join("out.csv"), &Stop::new()).await?;
        Ok((made, spooled.passes()))
    }

    const ROWS: &str = "payment_id,amount,reference\n1001,10.00,a\n1002,full,b\n1003,2.50,c\n";

    /// Without `--preflight`, the rows are read twice: the duplicate scan,
    /// then the one pass that validates and stores them. The batch stored is
    /// the one a validation of the file names, whole.
    #[tokio::test]
    async fn a_new_batch_is_stored_by_the_pass_that_validates_it() {
        let dir = tempfile::tempdir().unwrap();
        let (made, passes) = make(dir.path(), ROWS, Default::default()).await.unwrap();
        assert_eq!(passes, 2);
        let Made::Ready(ready) = made else {
            panic!("refused")
        };
        let opts = request(&dir.path().join("in.csv"), Default::default()).input_options;
        let validated = Spooled::read(&dir.path().join("in.csv"))
            .unwrap()
            .validate(&opts, |_| Ok(()))
            .unwrap();
        let stored = ready.ledger.batch(&ready.batch.id).unwrap().unwrap();
        assert_eq!(stored, ready.batch);
        assert_eq!(stored.id, validated.summary.fingerprint);
        assert_eq!(stored.input_digest, validated.summary.digest);
        assert_eq!(stored.row_count, 3);
        assert_eq!(
            stored.settings.out.as_deref(),
            Some(crate::store::paths::resolved(&dir.path().join("out.csv")).as_path())
        );
        assert_eq!(ready.ledger.batches().unwrap().len(), 1);
    }

    /// A batch whose rows went in before a check on the whole file refused it
    /// leaves nothing behind: not its rows, not its stand-in id; the file made
    /// right afterwards is the state file's first batch.
    #[tokio::test]
    async fn a_batch_refused_after_its_rows_were_stored_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let bad = format!("{ROWS}1004,ten,d\n1005,1.00,e\n");
        let (made, _) = make(dir.path(), &bad, Default::default()).await.unwrap();
        let Made::Refused(RunResult::Refused { problems, .. }) = made else {
            panic!("not refused")
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, 5);
        let wrong_count = super::super::Guards {
            expect_rows: Some(4),
            ..Default::default()
        };
        let err = make(dir.path(), ROWS, wrong_count).await.err().unwrap();
        assert!(err.to_string().contains("--expect-rows 4"), "{err:#}");
        let ledger = Ledger::open(&dir.path().join("state.db")).unwrap();
        assert!(ledger.batches().unwrap().is_empty());
        assert!(ledger.batch(BEING_MADE).unwrap().is_none());
        drop(ledger);
        let (made, _) = make(dir.path(), ROWS, Default::default()).await.unwrap();
        let Made::Ready(ready) = made else {
            panic!("refused")
        };
        assert_eq!(
            ready.ledger.batches().unwrap(),
            std::slice::from_ref(&ready.batch)
        );
    }

    /// The same rows in other bytes (reordered, another delimiter) are the
    /// batch already stored: found and resumed, nothing stored twice.
    #[tokio::test]
    async fn the_same_rows_in_other_bytes_resume_their_batch() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = make(dir.path(), ROWS, Default::default()).await.unwrap();
        let Made::Ready(first) = first else {
            panic!("refused")
        };
        let Ready { ledger, lock, .. } = *first;
        drop(ledger);
        lock.release(false);
        let again = "payment_id;amount;reference\n1003;2,50;c\n1001;10,00;a\n1002;full;b\n";
        let (made, _) = make(dir.path(), again, Default::default()).await.unwrap();
        let Made::Ready(ready) = made else {
            panic!("refused")
        };
        assert_eq!(ready.ledger.batches().unwrap().len(), 1);
        assert_eq!(ready.batch.delimiter, b',', "the batch as first made");
        assert_ne!(ready.digest, ready.batch.input_digest);
    }
}
