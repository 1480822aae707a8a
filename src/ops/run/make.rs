//! Making `run`'s batch: a file the state file does not hold unchanged is
//! validated whole (the one read `Spooled` made; what `--preflight` predicts from
//! gathered in the same pass), checked against the guards, and made into a batch
//! of the state file — or the batch of the same keys is found — under the
//! per-payment guard, the batch's lock held. Nothing here sends.
//!
//! Invariants: a new batch enters the state file whole, and only if the rows read
//! into it are the rows validated; a row `--preflight` does not predict `ok`, or on
//! a payment an earlier batch refunded, refuses the batch whole (nothing stored)
//! unless `--skip-invalid` makes it `invalid`.

use std::path::Path;

use super::{Refusal, RunRequest, RunResult, check_namespace, guard_resumed};
use crate::domain::CauseCode;
use crate::engine::send::Stop;
use crate::ops::{batch, online};
use crate::sheets::input::{InputSummary, Spooled, Validated};
use crate::store::ledger::{self, Batch, BatchSettings, Ledger};
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
    // What `--preflight` predicts from comes from the validating pass, which
    // reads the state file as it stands (upgraded first, as the run would).
    if req.preflight.is_some() && state.is_file() {
        drop(Ledger::open(state)?);
    }
    let mut asked = req
        .preflight
        .map(|_| online::FileAsks::new(state.is_file().then_some(state)))
        .transpose()?;
    let Validated {
        problems,
        summary,
        tally,
        ..
    } = spooled.validate(&req.input_options, |row| match &mut asked {
        Some(a) => a.add(row),
        None => Ok(()),
    })?;
    if !problems.is_empty() && !req.skip_invalid {
        return Ok(Made::Refused(RunResult::Refused {
            input: req.input.clone(),
            // The command line's reading of each finding.
            problems: problems
                .into_iter()
                .map(|(line, f)| (line, f.to_string()))
                .collect(),
            why: Refusal::BadLines,
        }));
    }
    req.guards
        .check(summary.rows, &tally, &summary.fingerprint)?;
    // With --skip-invalid, a file of bad rows still gets its results (all
    // `invalid`): the user asked for them, and exit 1 says what happened.
    if summary.valid == 0 && !(req.skip_invalid && summary.rows > 0) {
        return Err(Usage(format!("{}: no row to refund", req.input.display())).into());
    }
    batch::check_outputs(Some(&req.input), state, out, &req.output)?;
    let mut ledger = Ledger::open(state)?;
    check_namespace(&ledger, state, req)?;
    let batch_id = summary.fingerprint.clone();
    let lock = BatchLock::acquire(state, &batch_id, "run")?;
    let batch = match ledger.batch(&batch_id)? {
        Some(mut b) => {
            tracing::info!("resuming batch {} from {}", b.id, state.display());
            if let Err(problems) = guard_resumed(&mut ledger, &mut b, req)? {
                return Ok(Made::Refused(RunResult::Refused {
                    input: req.input.clone(),
                    problems,
                    why: Refusal::PriorRefunds,
                }));
            }
            b
        }
        None => {
            let preflight = match (req.preflight, asked) {
                (Some(days), Some(asked)) => {
                    let (preflight, stopped) =
                        online::Preflight::read(asked, &req.send, days, stop.clone()).await?;
                    if let Some(reason) = stopped {
                        return Err(anyhow::Error::new(crate::engine::send::StoppedBy(reason))
                            .context("the preflight stopped; nothing was sent"));
                    }
                    Some(preflight)
                }
                _ => None,
            };
            match create_batch(&mut ledger, req, spooled, &summary, out, preflight.as_ref())? {
                Ok(b) => {
                    tracing::info!("created batch {batch_id} in {}", state.display());
                    b
                }
                Err((why, problems)) => {
                    return Ok(Made::Refused(RunResult::Refused {
                        input: req.input.clone(),
                        problems,
                        why,
                    }));
                }
            }
        }
    };
    Ok(Made::Ready(Box::new(Ready {
        ledger,
        batch,
        lock,
        digest: summary.digest,
    })))
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

/// Reads the rows a second time (the copy `spooled` read) into a new batch, and
/// commits it only if the rows read are the rows validated. With `--preflight`,
/// each row is predicted as it goes in: a row not predicted `ok` refuses the
/// batch whole (the rows, by line, are the `Err`), or with `--skip-invalid` is
/// `invalid`. The state file is the first guard against a double
/// refund: a row whose payment an earlier batch refunded under another key is not
/// sent unless `--allow-more-refunds` — the batch is refused whole (the rows, by
/// line, are the `Err`), or with `--skip-invalid` those rows are `invalid`.
fn create_batch(
    ledger: &mut Ledger,
    req: &RunRequest,
    spooled: &Spooled,
    summary: &InputSummary,
    out: &Path,
    preflight: Option<&online::Preflight>,
) -> anyhow::Result<Result<Batch, Refused>> {
    let input = spooled.reopen(&req.input_options, &summary.scan)?;
    let created_at_ms = clock::now_ms();
    let dialect = crate::sheets::sheet::Dialect::of_input(summary);
    let batch = Batch {
        id: summary.fingerprint.clone(),
        created_at_ms,
        input_path: crate::store::paths::resolved(&req.input)
            .display()
            .to_string(),
        input_digest: summary.digest.clone(),
        namespace: req.input_options.namespace.clone(),
        header: input.header().to_vec(),
        delimiter: dialect.delimiter,
        settings: BatchSettings {
            out: Some(crate::store::paths::resolved(&crate::store::paths::expand(
                out,
                &summary.fingerprint,
                created_at_ms,
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
        },
        row_count: summary.rows,
    };
    let mut writer = ledger.new_batch(&batch)?;
    let mut preflighted = Vec::new();
    // The next rows are parsed and keyed while these are stored.
    let again = input.read_ahead(|row| {
        if let Some(p) = preflight.and_then(|p| p.not_ok(&row)) {
            preflighted.push((row.row_no, row.line, p));
        }
        writer.insert(&row)
    })?;
    if again.digest != summary.digest {
        return Err(Usage(format!(
            "{} changed while it was being read; nothing was stored or sent, run again",
            req.input.display()
        ))
        .into());
    }
    if !preflighted.is_empty() && !req.skip_invalid {
        // Dropping the writer rolls the batch back: nothing is stored or sent.
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
            // Dropping the writer rolls the batch back: nothing is stored or sent.
            return Ok(Err((
                Refusal::PriorRefunds,
                guarded.into_iter().map(|h| (h.line, h.why)).collect(),
            )));
        }
        for h in &guarded {
            writer.refuse(h.row_no, &h.code(), &format!("line {}: {}", h.line, h.why))?;
        }
    }
    let adopted = writer.commit()?;
    if adopted > 0 {
        tracing::info!(
            "{adopted} row(s) were already settled by another batch of this state file; they will not be sent"
        );
    }
    Ok(Ok(batch))
}
