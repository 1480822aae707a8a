//! Send now: `POST /batches/{id}/send` runs the one engine — `run`'s own
//! library function over the stored upload, which resumes the ledger batch the
//! approval made — in a task of this process, with the token it was started
//! with; `POST /batches/{id}/stop` asks that run's graceful stop (the `Stop`
//! a SIGTERM asks); `GET /batches/{id}/events` streams its progress, read back
//! from the ledger, as server-sent events.
//!
//! Invariants: only an approved (or stopped) batch is sent, and the move to
//! `sending` is one conditional UPDATE under the batch's sender lock
//! (`sender`), so a double click sends once (409 for the second) and a console
//! started meanwhile knows the send is alive; a send is claimed in the batch's
//! life (`registry`) first, so no batch is sent while its books are being
//! read back (`books`), nor read back while it is sent; the token never leaves
//! `SendOptions` (no page, event or log line names it); the events only read.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::app::{App, Shared};
use super::error::AppError;
use super::extract::{Anyone, Api, Batch, Step, posted};
use super::i18n::{M, Words};
use super::registry::{Busy, Running};
use super::review::{effective, in_states};
use super::sender::{self, Sender};
use super::store::{Action, BatchState, Upload};
use super::upload;
use super::view::{Said, to_batch};
use crate::domain::totals::Asked;
use crate::domain::{Currency, Outcome};
use crate::engine::progress;
use crate::engine::send::{Stop, StopReason};
use crate::ops::run::{Guards, RunRequest, RunResult};

/// The send form: `canary=N` sends only the next N rows.
#[derive(Debug, Deserialize)]
pub(crate) struct Canary {
    #[serde(default)]
    csrf: String,
    canary: Option<String>,
}

posted!(Canary);

/// `POST /batches/{id}/send`: the approved (or stopped) batch sent now, in the
/// background.
pub(crate) async fn send(step: Step<Anyone, Canary>) -> Result<Redirect, AppError> {
    let (app, remote, who, u, form) = step.into_parts();
    let from = [BatchState::Approved, BatchState::Stopped];
    in_states(&app, &who, &u, &from, M::ErrNotSendable)?;
    let canary = canary_of(form.canary.as_deref())?;
    let mut req = request(&app, &u)
        .ok_or_else(|| AppError::said(StatusCode::SERVICE_UNAVAILABLE, M::ErrNoTokenSend, &[]))?;
    req.send.sending.limit = canary;
    let begun = claim(&app, &u, &from)?;
    let detail = canary.map(|n| super::detail::Detail::Send {
        canary: Some(n),
        night: false,
    });
    app.audit_batch(&who.name, Action::Send, &remote, &u.id, detail)?;
    spawn(&app, &u.id, Job::Run(Box::new(req)), begun);
    let said = if canary.is_some() {
        Said::Canary
    } else {
        Said::Sent
    };
    Ok(to_batch(&u.id, said))
}

/// `canary=N`: send only the next N rows, then stop (the batch reads
/// `stopped`, its rows so far shown; the next send sends the rest). 422 for
/// anything but a whole number above zero.
fn canary_of(text: Option<&str>) -> Result<Option<u64>, AppError> {
    let Some(text) = text else {
        return Ok(None);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(AppError::said(
            StatusCode::UNPROCESSABLE_ENTITY,
            M::ErrCanary,
            &[&format!("{text:?}")],
        )),
    }
}

/// A row with an answer, as the batch page lists it.
#[derive(Debug)]
pub(crate) struct Answered {
    pub line: u64,
    pub payment: String,
    /// In the page's words (the blocking read cannot know the language).
    pub outcome: super::i18n::M,
    pub cause: String,
    pub why: String,
}

/// How many answered rows the batch page lists (the first ones: a canary's).
pub(crate) const ANSWERED_SHOWN: u32 = 100;

/// The first rows of `batch` that have an answer, for the batch page.
pub(crate) fn answered(state: &std::path::Path, batch: &str) -> anyhow::Result<Vec<Answered>> {
    let ledger = crate::store::ledger::Ledger::open(state)?;
    Ok(ledger
        .answered_rows(batch, ANSWERED_SHOWN)?
        .into_iter()
        .map(|r| Answered {
            line: r.line,
            payment: r
                .ask
                .as_ref()
                .map(|a| a.target.to_string())
                .unwrap_or_default(),
            outcome: super::view::outcome_message(r.result.outcome),
            cause: r
                .result
                .cause
                .as_ref()
                .map(|c| c.code.as_str().into_owned())
                .unwrap_or_default(),
            why: r.result.cause.map(|c| c.message).unwrap_or_default(),
        })
        .collect())
}

/// `run` over the stored upload, as the approval prepared it.
fn request(app: &App, u: &Upload) -> Option<RunRequest> {
    let send = app.send.clone()?;
    Some(request_for(
        u,
        upload::stored_path(app, &u.stored_name),
        app.state.clone(),
        app.input.clone(),
        send,
    ))
}

/// `run` over `u`'s upload (kept at `stored`), as its approval prepared it:
/// the console's send and `run --approved` send a batch alike.
pub(crate) fn request_for(
    u: &Upload,
    stored: std::path::PathBuf,
    state: std::path::PathBuf,
    input_options: crate::sheets::input::InputOptions,
    send: crate::ops::SendOptions,
) -> RunRequest {
    // The batch approved, by its fingerprint: its money, `full` rows'
    // balances included, was checked at approval.
    let batch = u.review.as_ref().and_then(|r| r.ledger_batch.clone());
    RunRequest {
        input: stored,
        state: Some(state),
        input_options,
        skip_invalid: u.skip_invalid,
        namespace_change: false,
        allow_more_refunds: false,
        preflight: None,
        guards: Guards {
            batch,
            ..Guards::default()
        },
        confirm: None,
        send,
        output: Default::default(),
        earlier: None,
    }
}

/// What a background send runs: the engine's `run` over the stored upload,
/// or its `retry` of the ledger batch's retryable failed rows (the console's
/// "retry failed rows", by the rules of `mprefund retry`).
pub(crate) enum Job {
    Run(Box<RunRequest>),
    Retry {
        ledger_batch: String,
        send: Box<crate::ops::SendOptions>,
    },
}

/// A send begun: claimed in the batch's life (its stop, the figures its page
/// reads), and the batch's sender lock held until it leaves `sending`
/// (`sender`).
pub(crate) struct Begun {
    running: Running,
    sender: Sender,
}

/// Moves batch `u` from one of `from` to `sending`, claimed first in its life
/// in this process — 409 while it is sent or its books read back here — then
/// under its sender lock, taken so another process can tell this send is
/// alive, by one conditional UPDATE: of two clicks exactly one gets here, 409
/// for the other.
pub(crate) fn claim(app: &App, u: &Upload, from: &[BatchState]) -> Result<Begun, AppError> {
    let being_sent = || AppError::said(StatusCode::CONFLICT, M::ErrBeingSent, &[]);
    let running = Running {
        stop: Stop::new(),
        live: Default::default(),
    };
    match app.batches.claim(&u.id, Busy::Sending(running.clone())) {
        Ok(()) => {}
        Err(Busy::Sending(_)) => return Err(being_sent()),
        Err(Busy::Reading { .. }) => {
            return Err(AppError::said(
                StatusCode::CONFLICT,
                M::ErrBeingReconciled,
                &[],
            ));
        }
    }
    let moved = sender::claim(&app.state, &u.id, "console send").and_then(|sender| {
        let Some(sender) = sender else {
            return Ok(None);
        };
        match app.store().move_state(&u.id, from, BatchState::Sending) {
            Ok(true) => Ok(Some(sender)),
            Ok(false) => {
                sender.end();
                Ok(None)
            }
            Err(e) => {
                sender.end();
                Err(e)
            }
        }
    });
    match moved {
        Ok(Some(sender)) => Ok(Begun { running, sender }),
        Ok(None) => {
            app.batches.release(&u.id);
            Err(being_sent())
        }
        Err(e) => {
            app.batches.release(&u.id);
            Err(e.into())
        }
    }
}

/// Runs `job` for the batch `id` (claimed) in a task of this process.
pub(crate) fn spawn(app: &Shared, id: &str, job: Job, begun: Begun) {
    // The engine holds its ledger across awaits: it runs on a blocking thread
    // of this runtime, the tasks it spawns on its workers.
    let (app, id) = (app.clone(), id.to_owned());
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current().block_on(sending(app, id, job, begun))
    });
}

/// The background send: the batch ends `finished` when nothing is left to
/// send, else `stopped` (a stop, an outage, a refusal — sent again later).
async fn sending(app: Shared, id: String, job: Job, begun: Begun) {
    let Begun { running, sender } = begun;
    let (stop, live) = (running.stop, Some(running.live));
    let reach = crate::domain::steps::Reach::console_of(&app.state);
    let ran = match job {
        Job::Run(mut req) => {
            req.output.live = live;
            crate::ops::run::run(*req, stop).await
        }
        Job::Retry { ledger_batch, send } => {
            let pick = crate::ops::Pick {
                id: Some(ledger_batch),
                input: None,
            };
            let output = crate::ops::OutputOptions {
                live,
                ..Default::default()
            };
            let which = crate::ops::retry::Retry {
                state: &app.state,
                pick: &pick,
                all_failed: false,
                include_pending: false,
                reach: &reach,
            };
            crate::ops::retry::retry(which, &send, &output, stop)
                .await
                .map(|f| RunResult::Finished(Box::new(f)))
        }
    };
    let done = ended(&id, &ran, &reach);
    if let Some(n) = &app.notify {
        tell(n, &id, &ran, &reach);
    }
    let to = if done {
        BatchState::Finished
    } else {
        BatchState::Stopped
    };
    // Out of `sending` first, then the sender lock let go, then the batch
    // free in this process: whoever sees it free sees it sent.
    if let Err(e) = app.store().move_state(&id, &[BatchState::Sending], to) {
        tracing::error!(
            "console batch {id}: cannot record that it is {}: {e:#}",
            to.as_str()
        );
    }
    sender.end();
    app.batches.release(&id);
}

/// What the send of batch `id` came to, logged; whether nothing is left to send.
fn ended(id: &str, ran: &anyhow::Result<RunResult>, reach: &crate::domain::steps::Reach) -> bool {
    match ran {
        Ok(RunResult::Finished(f)) => {
            tracing::info!("console batch {id}: {}", f.one_line());
            f.nothing_left()
        }
        Ok(r @ RunResult::Refused { .. }) => {
            let mut text = Vec::new();
            let _ = r.render(&mut text, reach);
            tracing::warn!(
                "console batch {id}: not sent: {}",
                String::from_utf8_lossy(&text).trim()
            );
            false
        }
        Err(e) => {
            tracing::error!("console batch {id}: the send failed: {e:#}");
            false
        }
    }
}

/// Tells `notify_url` how the send of batch `id` ended, in the background:
/// the page and the batch's state do not wait.
fn tell(
    n: &crate::engine::notify::Notifier,
    id: &str,
    ran: &anyhow::Result<RunResult>,
    reach: &crate::domain::steps::Reach,
) {
    let mut tell = crate::engine::notify::Tell::default();
    let what = format!("console batch {id}");
    match ran {
        Ok(RunResult::Finished(f)) => {
            f.tell(&mut tell, reach);
            tell.ended(&what, crate::domain::ending::Ending::exit(f.as_ref()), None);
        }
        Ok(r) => tell.ended(
            &what,
            crate::domain::ending::Ending::exit(r),
            Some("not sent"),
        ),
        Err(e) => tell.ended(&what, crate::exit::of_error(e), Some(&format!("{e:#}"))),
    }
    let n = n.clone();
    tokio::spawn(async move { tell.deliver(Some(&n)).await });
}

/// `POST /batches/{id}/stop`: the send of this process asked to stop, as a
/// SIGTERM asks `run`.
pub(crate) async fn stop(step: Step) -> Result<Redirect, AppError> {
    let (app, remote, who, u, _) = step.into_parts();
    let running = app
        .batches
        .running(&u.id)
        .ok_or_else(|| AppError::said(StatusCode::CONFLICT, M::ErrNotBeingSent, &[]))?;
    running.stop.request(StopReason::Signal);
    app.audit_batch(&who.name, Action::Stop, &remote, &u.id, None)?;
    Ok(to_batch(&u.id, Said::Stopped))
}

/// One progress event.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct Figures {
    pub state: &'static str,
    /// Rows with an answer (or refused), of `total` rows to send.
    pub done: u64,
    pub total: u64,
    /// Money refunded (or in process) per currency: (currency, sum, full refunds).
    pub refunded: Vec<(String, String, u64)>,
    /// The same, as the page shows it: in the locale's format (`R$ 1.234,56`),
    /// with the full refunds counted (`+ 2 totais`).
    pub refunded_shown: Vec<String>,
    /// Rows per outcome.
    pub counts: BTreeMap<&'static str, u64>,
    /// Rows per cause so far.
    pub causes: BTreeMap<String, u64>,
    /// Rows per second since the page started watching.
    pub rate: f64,
    /// The same in the page's language, one decimal (`8,0`).
    pub rate_shown: String,
    /// Seconds left at that rate (none before a row is done).
    pub eta_seconds: Option<u64>,
}

/// The rate and what is left: `done_then` rows done `elapsed` ago, `done` now.
pub(crate) fn pace(done_then: u64, done: u64, total: u64, elapsed: Duration) -> (f64, Option<u64>) {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        done.saturating_sub(done_then) as f64 / secs
    } else {
        0.0
    };
    let left = total.saturating_sub(done);
    let eta = if left == 0 {
        Some(0)
    } else if rate > 0.0 {
        Some((left as f64 / rate).ceil() as u64)
    } else {
        None
    };
    (rate, eta)
}

/// The figures of the console batch `id` (its ledger batch `batch`), in
/// `state`: those of its send in this process while it is `sending` — kept by
/// the collector, so a watching page costs the send nothing — else read from
/// the state file (a send that has just ended may still be noted in this
/// process: its last figures are the state file's, not the collector's).
pub(crate) async fn figures_of(
    app: &Shared,
    id: &str,
    batch: &str,
    state: BatchState,
) -> anyhow::Result<progress::Figures> {
    let live = (state == BatchState::Sending)
        .then(|| app.batches.running(id))
        .flatten()
        .and_then(|r| r.live.now());
    if let Some(f) = live {
        return Ok(f);
    }
    let (path, batch) = (app.state.clone(), batch.to_owned());
    tokio::task::spawn_blocking(move || {
        let ledger = crate::store::ledger::Ledger::open(&path)?;
        progress::Figures::read(&ledger, &batch)
    })
    .await?
}

/// One currency's money as the page shows it, in the locale's format, the
/// full refunds counted; a sum past what can be added up, as the engine says it.
fn shown(w: Words, currency: Option<Currency>, t: &Asked) -> String {
    let money = match t.sum {
        Ok(sum) => w.amount(currency, sum),
        Err(_) => format!(
            "{} {}",
            t.sum_text(currency),
            crate::domain::totals::name(currency)
        ),
    };
    if t.full == 0 {
        money
    } else {
        format!("{money} + {} {}", t.full, w.t(M::ProgressFull))
    }
}

/// Rows done: every row but those still to send and the invalid ones.
fn done_of(counts: &BTreeMap<Outcome, u64>) -> (u64, u64) {
    let all: u64 = counts.values().sum();
    let invalid = counts.get(&Outcome::Invalid).copied().unwrap_or(0);
    let pending = counts.get(&Outcome::Pending).copied().unwrap_or(0);
    let total = all - invalid;
    (total - pending.min(total), total)
}

/// `GET /batches/{id}/events`: the batch's progress, every half second.
pub(crate) async fn events(State(app): State<Shared>, Batch(u, v): Batch<Api>) -> Response {
    let start = Instant::now();
    // The stream outlives the request: its words are taken now.
    let w = v.words;
    let stream = futures_util::stream::unfold(
        (app, u.id, None::<u64>, true),
        move |(app, id, first_done, first)| async move {
            if !first {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let figures = figures(&app, &id, first_done, start, w).await;
            let done_now = figures.as_ref().ok().map(|f| f.done);
            let event = match figures {
                Ok(f) => Event::default()
                    .event("progress")
                    .json_data(&f)
                    .unwrap_or_default(),
                Err(e) => {
                    tracing::warn!("console batch {id}: progress: {e:#}");
                    Event::default().event("error").data("progress unavailable")
                }
            };
            let first_done = first_done.or(done_now);
            Some((Ok::<_, Infallible>(event), (app, id, first_done, false)))
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Batch `id`'s progress now, in `w`'s words; `first_done`: rows done when the
/// page started watching, at `start`.
pub(crate) async fn figures(
    app: &Shared,
    id: &str,
    first_done: Option<u64>,
    start: Instant,
    w: Words,
) -> anyhow::Result<Figures> {
    let u = app
        .store()
        .upload(id)?
        .ok_or_else(|| anyhow::anyhow!("the batch is gone"))?;
    let state = effective(&u, crate::domain::clock::now_ms(), app.approval_days);
    let ledger_batch = u.review.as_ref().and_then(|r| r.ledger_batch.clone());
    let f = match ledger_batch {
        Some(b) => figures_of(app, id, &b, state).await?,
        None => Default::default(),
    };
    let (done, total) = done_of(&f.counts);
    let (rate, eta_seconds) = pace(first_done.unwrap_or(done), done, total, start.elapsed());
    let per = &f.refunded.per;
    Ok(Figures {
        state: state.as_str(),
        done,
        total,
        refunded: per
            .iter()
            .map(|(c, t)| (crate::domain::totals::name(*c), t.sum_text(*c), t.full))
            .collect(),
        refunded_shown: per.iter().map(|(c, t)| shown(w, *c, t)).collect(),
        counts: f.counts.iter().map(|(o, n)| (o.as_str(), *n)).collect(),
        causes: f.causes,
        rate,
        rate_shown: w.rate(rate),
        eta_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_and_eta_come_from_rows_done_over_time() {
        let (rate, eta) = pace(10, 30, 130, Duration::from_secs(10));
        assert!((rate - 2.0).abs() < 1e-9);
        assert_eq!(eta, Some(50));
        assert_eq!(pace(0, 0, 10, Duration::from_secs(3)), (0.0, None));
        assert_eq!(pace(0, 0, 10, Duration::ZERO), (0.0, None));
        assert_eq!(pace(0, 10, 10, Duration::from_secs(1)).1, Some(0));
    }

    #[test]
    fn progress_money_is_in_the_locales_format() {
        use super::super::i18n::Lang;
        use rust_decimal::Decimal;
        let pt = Words::utc(Lang::PtBr);
        let asked = |sum: Result<Decimal, crate::domain::money::MoneyOverflow>, full| Asked {
            sum,
            full,
            ..Asked::default()
        };
        let brl = Some(Currency::BRL);
        let d = |t: &str| t.parse::<Decimal>().unwrap();
        assert_eq!(shown(pt, brl, &asked(Ok(d("1234.56")), 0)), "R$ 1.234,56");
        assert_eq!(
            shown(pt, brl, &asked(Ok(d("10.00")), 2)),
            "R$ 10,00 + 2 totais"
        );
        assert_eq!(shown(pt, None, &asked(Ok(d("1000.5")), 0)), "1.000,5");
        let past = crate::domain::money::MoneyOverflow {
            currency: "BRL".into(),
        };
        assert_eq!(shown(pt, brl, &asked(Err(past), 0)), "(too large) BRL");
    }

    #[test]
    fn rows_done_leave_out_the_invalid_and_the_pending() {
        let counts: BTreeMap<Outcome, u64> = [
            (Outcome::Refunded, 5),
            (Outcome::Pending, 3),
            (Outcome::Invalid, 2),
            (Outcome::Failed, 1),
        ]
        .into_iter()
        .collect();
        assert_eq!(done_of(&counts), (6, 9));
        assert_eq!(done_of(&BTreeMap::new()), (0, 0));
    }
}
