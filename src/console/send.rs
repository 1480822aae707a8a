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
//! started meanwhile knows the send is alive; no batch is sent while its books
//! are being read back (`books`), nor read back while it is sent; the token
//! never leaves `SendOptions` (no page, event or log line names it); the
//! events only read.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use super::auth::Kind;
use super::i18n::{M, Words};
use super::review::{effective, step_of};
use super::sender::{self, Sender};
use super::server::{App, Early, Running, Shared, either, internal, say};
use super::store::{Action, BatchState, Upload};
use super::upload;
use crate::commands::run::{Guards, RunRequest, RunResult};
use crate::domain::Outcome;
use crate::progress;
use crate::send::{Stop, StopReason};

type Fields = Form<Vec<(String, String)>>;

/// A refusal in the request's language.
fn said(status: StatusCode, m: M, args: &[&str]) -> Early {
    say(status, m, args).into()
}

pub(crate) async fn send(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Fields,
) -> Response {
    either(
        async {
            let (v, u) = step_of(&app, &headers, &id, &form, |_| true)?;
            let now = effective(&u, crate::clock::now_ms(), app.approval_days);
            if !matches!(now, BatchState::Approved | BatchState::Stopped) {
                return Err(said(
                    StatusCode::CONFLICT,
                    M::ErrNotSendable,
                    &[super::pages::state_label(now)],
                ));
            }
            let canary = canary_of(&form)?;
            let Some(mut req) = request(&app, &u) else {
                return Err(said(
                    StatusCode::SERVICE_UNAVAILABLE,
                    M::ErrNoTokenSend,
                    &[],
                ));
            };
            req.send.sending.limit = canary;
            let begun = claim(&app, &u, &[BatchState::Approved, BatchState::Stopped])?;
            let remote = app.remote(peer, &headers);
            let detail = canary.map(|n| format!("the first {n} row(s) only"));
            app.audit(Some(&v.name), Action::Send, &remote, Some(&u.id), detail)?;
            spawn(&app, &u.id, Job::Run(Box::new(req)), begun);
            Ok(Redirect::to(&format!("/batches/{}", u.id)).into_response())
        }
        .await,
    )
}

/// `canary=N`: send only the next N rows, then stop (the batch reads
/// `stopped`, its rows so far shown; the next send sends the rest). 422 for
/// anything but a whole number above zero.
fn canary_of(form: &[(String, String)]) -> Result<Option<u64>, Early> {
    let Some((_, text)) = form.iter().find(|(k, _)| k == "canary") else {
        return Ok(None);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(said(
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
    let ledger = crate::ledger::Ledger::open(state)?;
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
            outcome: super::pages::outcome_message(r.result.outcome),
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
    input_options: crate::input::InputOptions,
    send: crate::commands::SendOptions,
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
        send: Box<crate::commands::SendOptions>,
    },
}

/// A send begun: noted for its batch (its stop, the figures its page reads),
/// and the batch's sender lock held until it leaves `sending` (`sender`).
pub(crate) struct Begun {
    running: Running,
    sender: Sender,
}

/// Moves batch `u` from one of `from` to `sending` — one conditional UPDATE,
/// so of two clicks exactly one gets here (409 for the other) — and notes the
/// send, under one lock: a stop asked the moment after finds it. The sender
/// lock is taken first, so another process can tell this send is alive; 409
/// while the batch's books are being read back in this process (the send
/// would meet the reading's ledger batch lock and stop at once).
pub(crate) fn claim(app: &App, u: &Upload, from: &[BatchState]) -> Result<Begun, Early> {
    let being_sent = || said(StatusCode::CONFLICT, M::ErrBeingSent, &[]);
    let sender = sender::claim(&app.state, &u.id, "console send")
        .map_err(internal)?
        .ok_or_else(being_sent)?;
    // Held until the batch reads `sending`: no reading of its books begins
    // meanwhile, and none is under way (`books::Books::unless_reading`).
    let Some(_no_reading) = app.books.unless_reading(&u.id) else {
        sender.end();
        return Err(said(StatusCode::CONFLICT, M::ErrBeingReconciled, &[]));
    };
    let running = Running {
        stop: Stop::new(),
        live: Default::default(),
    };
    let mut runs = app.runs();
    let moved = app
        .store()
        .move_state(&u.id, from, BatchState::Sending)
        .map_err(internal)?;
    if !moved {
        sender.end();
        return Err(being_sent());
    }
    runs.insert(u.id.clone(), running.clone());
    Ok(Begun { running, sender })
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
    let ran = match job {
        Job::Run(mut req) => {
            req.output.live = live;
            crate::commands::run::run(*req, stop).await
        }
        Job::Retry { ledger_batch, send } => {
            let pick = crate::commands::Pick {
                id: Some(ledger_batch),
                input: None,
            };
            let output = crate::commands::OutputOptions {
                live,
                ..Default::default()
            };
            crate::commands::retry::retry(&app.state, &pick, false, false, &send, &output, stop)
                .await
                .map(|f| RunResult::Finished(Box::new(f)))
        }
    };
    let done = match &ran {
        Ok(RunResult::Finished(f)) => {
            tracing::info!("console batch {id}: {}", f.one_line());
            f.nothing_left()
        }
        Ok(r @ RunResult::Refused { .. }) => {
            let mut text = Vec::new();
            let _ = r.render(&mut text);
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
    };
    if let Some(n) = &app.notify {
        let mut tell = crate::notify::Tell::default();
        let what = format!("console batch {id}");
        match &ran {
            Ok(RunResult::Finished(f)) => {
                f.tell(&mut tell);
                tell.ended(&what, crate::exit::Ending::exit(f.as_ref()), None);
            }
            Ok(r) => tell.ended(&what, crate::exit::Ending::exit(r), Some("not sent")),
            Err(e) => tell.ended(&what, crate::Exit::of_error(e), Some(&format!("{e:#}"))),
        }
        // In the background: the page and the batch's state do not wait.
        let n = n.clone();
        tokio::spawn(async move { tell.deliver(Some(&n)).await });
    }
    let to = if done {
        BatchState::Finished
    } else {
        BatchState::Stopped
    };
    let mut runs = app.runs();
    if let Err(e) = app.store().move_state(&id, &[BatchState::Sending], to) {
        tracing::error!(
            "console batch {id}: cannot record that it is {}: {e:#}",
            to.as_str()
        );
    }
    sender.end();
    runs.remove(&id);
}

pub(crate) async fn stop(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Fields,
) -> Response {
    either(
        async {
            let (v, u) = step_of(&app, &headers, &id, &form, |_| true)?;
            let Some(stop) = app.runs().get(&u.id).map(|r| r.stop.clone()) else {
                return Err(said(StatusCode::CONFLICT, M::ErrNotBeingSent, &[]));
            };
            stop.request(StopReason::Signal);
            let remote = app.remote(peer, &headers);
            app.audit(Some(&v.name), Action::Stop, &remote, Some(&u.id), None)?;
            Ok(Redirect::to(&format!("/batches/{}", u.id)).into_response())
        }
        .await,
    )
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
    pub counts: BTreeMap<String, u64>,
    /// Rows per cause so far.
    pub causes: BTreeMap<String, u64>,
    /// Rows per second since the page started watching.
    pub rate: f64,
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

/// The ledger's figures of a batch: (counts, causes, refunded money).
type Read = (
    BTreeMap<String, u64>,
    BTreeMap<String, u64>,
    Vec<(String, String, u64)>,
);

pub(crate) fn read_ledger(state: &std::path::Path, batch: &str) -> anyhow::Result<Read> {
    let ledger = crate::ledger::Ledger::open(state)?;
    Ok(read_of(progress::Figures::read(&ledger, batch)?))
}

/// The figures of the console batch `id` (its ledger batch `batch`): those of
/// its send in this process while there is one — kept by the collector, so a
/// watching page costs the send nothing — else read from the state file.
pub(crate) async fn figures_of(app: &Shared, id: &str, batch: &str) -> anyhow::Result<Read> {
    let live = app.runs().get(id).and_then(|r| r.live.now());
    if let Some(f) = live {
        return Ok(read_of(f));
    }
    let (path, batch) = (app.state.clone(), batch.to_owned());
    tokio::task::spawn_blocking(move || read_ledger(&path, &batch)).await?
}

fn read_of(f: progress::Figures) -> Read {
    let counts = f
        .counts
        .into_iter()
        .map(|(o, n)| (o.as_str().to_owned(), n))
        .collect();
    let refunded = f
        .refunded
        .per
        .iter()
        .map(|(c, t)| (crate::totals::name(*c), t.sum_text(*c), t.full))
        .collect();
    (counts, f.causes, refunded)
}

/// One currency's money as the page shows it, formatted here by the i18n
/// money formatter: `currency` as `totals::name` writes it (`(no currency)`
/// when the input named none), `sum` its digits (else shown as it is).
fn shown(w: Words, currency: &str, sum: &str, full: u64) -> String {
    let code = if currency.starts_with('(') {
        ""
    } else {
        currency
    };
    let money = sum
        .parse::<rust_decimal::Decimal>()
        .map_or_else(|_| format!("{sum} {currency}"), |d| w.money(code, d));
    if full == 0 {
        money
    } else {
        format!("{money} + {full} {}", w.t(M::ProgressFull))
    }
}

/// Rows done: every row but those still to send and the invalid ones.
fn done_of(counts: &BTreeMap<String, u64>) -> (u64, u64) {
    let all: u64 = counts.values().sum();
    let invalid = counts.get(Outcome::Invalid.as_str()).copied().unwrap_or(0);
    let pending = counts.get(Outcome::Pending.as_str()).copied().unwrap_or(0);
    let total = all - invalid;
    (total - pending.min(total), total)
}

pub(crate) async fn events(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = app.viewer(&headers, Kind::Api) {
        return r.answer();
    }
    let found = if upload::is_batch_id(&id) {
        app.store().upload(&id)
    } else {
        Ok(None)
    };
    match found {
        Ok(Some(_)) => {}
        Ok(None) => return say(StatusCode::NOT_FOUND, M::ErrNoBatch, &[]),
        Err(e) => return internal(e),
    }
    let start = Instant::now();
    // The stream outlives the request's scope: its words are taken now.
    let w = super::server::words();
    let stream = futures_util::stream::unfold(
        (app, id, None::<u64>, true),
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
    let state = effective(&u, crate::clock::now_ms(), app.approval_days);
    let ledger_batch = u.review.as_ref().and_then(|r| r.ledger_batch.clone());
    let (counts, causes, refunded) = match ledger_batch {
        Some(b) => figures_of(app, id, &b).await?,
        None => Default::default(),
    };
    let (done, total) = done_of(&counts);
    let (rate, eta_seconds) = pace(first_done.unwrap_or(done), done, total, start.elapsed());
    let refunded_shown = refunded
        .iter()
        .map(|(currency, sum, full)| shown(w, currency, sum, *full))
        .collect();
    Ok(Figures {
        state: state.as_str(),
        done,
        total,
        refunded,
        refunded_shown,
        counts,
        causes,
        rate,
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
        let pt = Words {
            lang: Lang::PtBr,
            zone: super::super::zone::Zone::UTC,
            look_only: false,
        };
        assert_eq!(shown(pt, "BRL", "1234.56", 0), "R$ 1.234,56");
        assert_eq!(shown(pt, "BRL", "10.00", 2), "R$ 10,00 + 2 totais");
        assert_eq!(shown(pt, "(no currency)", "1000.5", 0), "1.000,5");
        assert_eq!(shown(pt, "BRL", "(too large)", 0), "(too large) BRL");
    }

    #[test]
    fn rows_done_leave_out_the_invalid_and_the_pending() {
        let counts: BTreeMap<String, u64> = [
            ("refunded", 5),
            ("pending", 3),
            ("invalid", 2),
            ("failed", 1),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_owned(), n))
        .collect();
        assert_eq!(done_of(&counts), (6, 9));
        assert_eq!(done_of(&BTreeMap::new()), (0, 0));
    }
}
