//! Four eyes: `POST /batches/{id}/submit`, `/approve` and `/reject`. A
//! submitter states the money per currency and submits; someone else — an
//! approver or an admin, never the submitter — types it again and approves,
//! or rejects with a reason. The total covers every row: the `full` rows'
//! balances read back, the unread ones named apart (`covered`), in the
//! account's currency. Approval makes the ledger batch from the stored
//! upload by the path `run` takes (`commands::run::prepare`): before it there
//! is no ledger row, so nothing can send the batch.
//!
//! Invariants: every rule is checked here on the server, whatever a page
//! showed; a step moves the batch by one conditional UPDATE (`Store::submit`,
//! `Store::decide`), so of two clicks at once exactly one moves it and the
//! other gets 409; a batch left unapproved past the approval window reads as
//! `expired` ([`effective`], a pure function of the clock) and takes no step;
//! every step is audited.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::Viewer;
use super::i18n::M;
use super::server::{App, Early, Shared, either, internal, say};
use super::store::{Action, BatchState, Upload};
use super::{Role, covered, upload};
use crate::commands::run::{Guards, RunRequest, RunResult};
use crate::totals::{self, Guard};

const DAY_MS: i64 = 86_400_000;

/// The state a batch is in at `now_ms`: as stored, except that one not
/// approved within `approval_days` of its upload has expired.
pub(crate) fn effective(u: &Upload, now_ms: i64, approval_days: u32) -> BatchState {
    match u.state {
        BatchState::Uploaded | BatchState::Submitted
            if now_ms.saturating_sub(u.uploaded_at_ms) > i64::from(approval_days) * DAY_MS =>
        {
            BatchState::Expired
        }
        s => s,
    }
}

/// The `expect_total` fields of a form: each `AMOUNT:CUR` (or `AMOUNT` for a
/// file of one currency), `full` rows not read named apart (`1.00 BRL + 5
/// full`); at least one.
pub(crate) fn totals_typed(form: &[(String, String)]) -> Result<Vec<Guard>, String> {
    let typed: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "expect_total")
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if typed.is_empty() {
        return Err(words_of(M::ErrTypeTotal, &[]));
    }
    let text = typed.join("\n");
    // The parser's reason is the command line's; the person gets how to write one.
    totals::typed(&text).map_err(|_| words_of(M::ErrBadTotal, &[&format!("“{text}”")]))
}

/// A typed total as the person reads it: `R$ 4,99`, `4,99 + 2 full`.
fn guard_shown(g: &Guard) -> String {
    let lang = super::server::words().lang;
    let mut out = super::i18n::money(lang, g.currency, g.amount);
    if g.full > 0 {
        out.push_str(&format!(" + {} full", g.full));
    }
    out
}

/// A currency of the file as the person reads it.
fn currency_shown(c: Option<crate::domain::Currency>) -> String {
    c.map_or_else(|| words_of(M::NoCurrencyName, &[]), |c| c.to_string())
}

/// A typed total that does not hold, in the request's language: another
/// currency than the file's, `full` rows not named apart, or the figures. The
/// submitter, who prepares the batch, is told what the file adds up to; an
/// approver only that the total does not match — the approval is a second,
/// independent count, which the right figure would make a copy.
fn total_refused(e: &totals::Refused, submitting: bool) -> Early {
    use totals::Reason;
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    for r in &e.reasons {
        if let Reason::OtherCurrency {
            guard, typed, file, ..
        } = r
        {
            let args = [guard.to_string(), file.clone(), typed.to_string()];
            return refused(
                status,
                M::ErrTotalCurrency,
                &args.each_ref().map(String::as_str),
            );
        }
    }
    for r in &e.reasons {
        if let Reason::FullNotNamed {
            guard,
            currency,
            full,
            ..
        } = r
        {
            let named = Guard {
                full: *full,
                currency: *currency,
                ..*guard
            };
            let args = [full.to_string(), named.to_string()];
            return refused(
                status,
                M::ErrTotalFullApart,
                &args.each_ref().map(String::as_str),
            );
        }
    }
    let lang = super::server::words().lang;
    let mut differs = Vec::new();
    for r in &e.reasons {
        match r {
            Reason::NeedsCurrency { file, .. } => {
                return refused(status, M::ErrTotalNeedsCurrency, &[file]);
            }
            Reason::TwoTotals { currency, .. } => {
                return refused(status, M::ErrTotalTwice, &[&currency_shown(*currency)]);
            }
            Reason::NoTotalFor { currency, .. } => {
                return refused(status, M::ErrTotalMissing, &[&currency_shown(*currency)]);
            }
            Reason::Differs {
                guard,
                currency,
                sum,
                full,
                ..
            } => differs.push((guard, currency, sum, full)),
            _ => {}
        }
    }
    let typed: Vec<String> = differs.iter().map(|(g, ..)| guard_shown(g)).collect();
    let typed = typed.join(", ");
    match differs.as_slice() {
        [(guard, currency, sum, full)] if submitting => match sum {
            Ok(sum) if *sum != guard.amount => {
                let sum = super::i18n::money(lang, **currency, *sum);
                refused(status, M::ErrTotalDiffersSum, &[&typed, &sum])
            }
            _ => {
                let args = [guard.full.to_string(), full.to_string()];
                refused(
                    status,
                    M::ErrTotalFullCount,
                    &args.each_ref().map(String::as_str),
                )
            }
        },
        _ => refused(status, M::ErrTotalNoMatch, &[&typed]),
    }
}

/// The guards as stored and shown: `AMOUNT:CUR` joined by spaces.
fn guards_text(guards: &[Guard]) -> String {
    guards
        .iter()
        .map(Guard::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The value of `name` in a form, if given.
fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A refusal people read, with its status: `text` as it is (the reader's or
/// the engine's own words, framed by the caller), as a page of the console.
fn said(status: StatusCode, text: impl Into<String>) -> Early {
    super::pages::refusal(status, &text.into()).into()
}

/// A refusal in the request's language.
fn refused(status: StatusCode, m: M, args: &[&str]) -> Early {
    say(status, m, args).into()
}

/// `m` in the request's language, `{0}`… filled.
fn words_of(m: M, args: &[&str]) -> String {
    super::i18n::fill(super::server::words().lang, m, args)
}

/// The batch `id` and who asks, for a step whose role rule is `allowed`.
pub(crate) fn step_of(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    form: &[(String, String)],
    allowed: impl Fn(Role) -> bool,
) -> Result<(Viewer, Upload), Early> {
    let v = app.poster(headers, field(form, "csrf"), allowed)?;
    let found = if upload::is_batch_id(id) {
        app.store().upload(id).map_err(internal)?
    } else {
        None
    };
    let u = found.ok_or_else(|| refused(StatusCode::NOT_FOUND, M::ErrNoBatch, &[]))?;
    Ok((v, u))
}

/// 409 unless the batch is in `wanted` now.
fn in_state(app: &App, u: &Upload, wanted: BatchState) -> Result<(), Early> {
    let now = effective(u, crate::clock::now_ms(), app.approval_days);
    if now == wanted {
        return Ok(());
    }
    let m = match wanted {
        BatchState::Uploaded => M::ErrCannotSubmit,
        _ => M::ErrCannotDecide,
    };
    Err(refused(
        StatusCode::CONFLICT,
        m,
        &[super::pages::state_label(now)],
    ))
}

/// The typed totals, checked against all the money the batch can move — the
/// plan's amounts and the `full` rows' balances read back (`covered`), the
/// unread ones named apart, in the account's currency: 422 naming the
/// difference, 409 while the payments are still being read. `submitting`: a
/// file with bad lines goes on only when it was uploaded with "skip the bad
/// lines". The fingerprint of the batch whose money was checked comes back.
async fn checked_totals(
    app: &Shared,
    u: &Upload,
    form: &[(String, String)],
    submitting: bool,
) -> Result<(Vec<Guard>, String, Option<crate::domain::Currency>), Early> {
    let guards = totals_typed(form).map_err(|e| said(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let plan = upload::plan_of(app, u)
        .await
        .map_err(|e| said(StatusCode::UNPROCESSABLE_ENTITY, upload::said(&e, app, u)))?;
    if submitting && plan.summary.invalid > 0 && !u.skip_invalid {
        return Err(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            M::ErrBadLines,
            &[&plan.summary.invalid.to_string()],
        ));
    }
    let named = guards.iter().any(|g| g.currency.is_some());
    let covered = covered::now(app, &u.id, &plan, named)
        .await
        .map_err(|reading| {
            let (read, of) = covered::progress(&reading);
            let args = [read.to_string(), of.to_string()];
            refused(
                StatusCode::CONFLICT,
                M::ErrCoverReading,
                &args.each_ref().map(String::as_str),
            )
        })?;
    if named && plan.totals.per.contains_key(&None) && covered.account.is_none() {
        return Err(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            M::ErrTotalNoAccount,
            &[],
        ));
    }
    totals::check_expected(&covered.tally, &guards, covered.account)
        .map_err(|e| total_refused(&e, submitting))?;
    Ok((guards, plan.summary.fingerprint.clone(), covered.account))
}

fn to_batch(id: &str) -> Response {
    Redirect::to(&format!("/batches/{id}")).into_response()
}

type Fields = Form<Vec<(String, String)>>;

pub(crate) async fn submit(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Fields,
) -> Response {
    either(
        async {
            let (v, u) = step_of(&app, &headers, &id, &form, Role::may_upload)?;
            in_state(&app, &u, BatchState::Uploaded)?;
            let (guards, _, _) = checked_totals(&app, &u, &form, true).await?;
            let typed = guards_text(&guards);
            let moved = app
                .store()
                .submit(&u.id, &v.name, crate::clock::now_ms(), &typed)
                .map_err(internal)?;
            if !moved {
                return Err(refused(StatusCode::CONFLICT, M::ErrSubmittedAlready, &[]));
            }
            let remote = app.remote(peer, &headers);
            app.audit(
                Some(&v.name),
                Action::Submit,
                &remote,
                Some(&u.id),
                Some(typed),
            )?;
            Ok(to_batch(&u.id))
        }
        .await,
    )
}

pub(crate) async fn approve(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Fields,
) -> Response {
    either(approved(&app, peer, &headers, &id, &form).await)
}

async fn approved(
    app: &Shared,
    peer: SocketAddr,
    headers: &HeaderMap,
    id: &str,
    form: &[(String, String)],
) -> Result<Response, Early> {
    let (v, u) = decider(app, peer, headers, id, form, Action::Approve)?;
    let (guards, fingerprint, currency) = checked_totals(app, &u, form, false).await?;
    let Some(send) = app.send.as_ref() else {
        return Err(refused(
            StatusCode::SERVICE_UNAVAILABLE,
            M::ErrNoTokenApprove,
            &[],
        ));
    };
    let now = crate::clock::now_ms();
    let moved = app
        .store()
        .decide(&u.id, &v.name, now, BatchState::Approved, None)
        .map_err(internal)?;
    if !moved {
        return Err(refused(StatusCode::CONFLICT, M::ErrDecidedAlready, &[]));
    }
    // The ledger batch, by `run`'s own path, of the very file whose money was
    // checked (its fingerprint): the typed totals cover money the file alone
    // cannot show (the `full` rows' balances), so `run` checks the batch.
    let req = RunRequest {
        input: upload::stored_path(app, &u.stored_name),
        state: Some(app.state.clone()),
        input_options: app.input.clone(),
        skip_invalid: u.skip_invalid,
        namespace_change: false,
        allow_more_refunds: false,
        preflight: None,
        guards: Guards {
            currency,
            batch: Some(fingerprint),
            ..Guards::default()
        },
        confirm: None,
        send: send.clone(),
        output: Default::default(),
        earlier: None,
    };
    let made = crate::commands::run::prepare(req, crate::send::Stop::new()).await;
    let refused = match made {
        Ok(Ok(batch)) => {
            app.store()
                .link_ledger(&u.id, &batch.id)
                .map_err(internal)?;
            let remote = app.remote(peer, headers);
            let detail = format!("{} → ledger batch {}", guards_text(&guards), batch.id);
            app.audit(
                Some(&v.name),
                Action::Approve,
                &remote,
                Some(&u.id),
                Some(detail),
            )?;
            return Ok(to_batch(&u.id));
        }
        Ok(Err(r @ RunResult::Refused { .. })) => {
            let mut text = Vec::new();
            r.render(&mut text, &crate::steps::Reach::console_of(&app.state))
                .map_err(|e| internal(e.into()))?;
            upload::said_text(&String::from_utf8_lossy(&text), app, &u)
        }
        Ok(Err(RunResult::Finished(_))) => words_of(M::ErrSentAlready, &[]),
        Err(e) => upload::said(&e, app, &u),
    };
    app.store().undo_approval(&u.id).map_err(internal)?;
    Err(said(
        StatusCode::UNPROCESSABLE_ENTITY,
        words_of(M::ErrNotApproved, &[refused.trim()]),
    ))
}

/// Four eyes: whoever submitted a batch never approves or rejects it.
fn own_batch(v: &Viewer, u: &Upload) -> Result<(), Early> {
    if u.review.as_ref().is_some_and(|r| r.submitted_by == v.name) {
        return Err(refused(StatusCode::FORBIDDEN, M::ErrOwnBatch, &[]));
    }
    Ok(())
}

/// Who decides (`what`: approve or reject) on which submitted batch. A
/// decision refused for the account's role or for being its own batch is
/// audited (`decision_refused`) before it is answered.
fn decider(
    app: &App,
    peer: SocketAddr,
    headers: &HeaderMap,
    id: &str,
    form: &[(String, String)],
    what: Action,
) -> Result<(Viewer, Upload), Early> {
    let (v, u) = step_of(app, headers, id, form, |_| true)?;
    let audited = |why: String, refusal: Early| -> Early {
        let remote = app.remote(peer, headers);
        let detail = format!("{}: {why}", what.as_str());
        match app.audit(
            Some(&v.name),
            Action::DecisionRefused,
            &remote,
            Some(&u.id),
            Some(detail),
        ) {
            Ok(()) => refusal,
            Err(failed) => failed,
        }
    };
    if !v.role.may_approve() {
        let why = format!("the role {} may not", v.role.as_str());
        return Err(audited(why, super::auth::Refusal::Role.into()));
    }
    in_state(app, &u, BatchState::Submitted)?;
    if let Err(refusal) = own_batch(&v, &u) {
        return Err(audited("the batch is the account's own".into(), refusal));
    }
    Ok((v, u))
}

pub(crate) async fn reject(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Fields,
) -> Response {
    either(
        async {
            let (v, u) = decider(&app, peer, &headers, &id, &form, Action::Reject)?;
            let reason = field(&form, "reason").map(str::trim).unwrap_or_default();
            if reason.is_empty() {
                return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, M::ErrSayWhy, &[]));
            }
            let reason: String = reason.chars().take(2000).collect();
            let moved = app
                .store()
                .decide(
                    &u.id,
                    &v.name,
                    crate::clock::now_ms(),
                    BatchState::Rejected,
                    Some(&reason),
                )
                .map_err(internal)?;
            if !moved {
                return Err(refused(StatusCode::CONFLICT, M::ErrDecidedAlready, &[]));
            }
            let remote = app.remote(peer, &headers);
            app.audit(
                Some(&v.name),
                Action::Reject,
                &remote,
                Some(&u.id),
                Some(reason),
            )?;
            Ok(to_batch(&u.id))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(state: BatchState, at: i64) -> Upload {
        Upload {
            id: "a".into(),
            stored_name: "a.csv".into(),
            original_name: "a.csv".into(),
            bytes: 1,
            uploaded_by: "ana".into(),
            uploaded_at_ms: at,
            skip_invalid: false,
            state,
            review: None,
        }
    }

    #[test]
    fn a_batch_not_approved_within_the_window_expires() {
        let day = DAY_MS;
        let up = upload(BatchState::Uploaded, 10 * day);
        assert_eq!(effective(&up, 17 * day, 7), BatchState::Uploaded);
        assert_eq!(effective(&up, 17 * day + 1, 7), BatchState::Expired);
        let sub = upload(BatchState::Submitted, 0);
        assert_eq!(effective(&sub, 7 * day, 7), BatchState::Submitted);
        assert_eq!(effective(&sub, 8 * day, 7), BatchState::Expired);
        assert_eq!(effective(&sub, 2 * day, 1), BatchState::Expired);
        // Once decided, time does not change it.
        for s in [
            BatchState::Approved,
            BatchState::Rejected,
            BatchState::Sending,
            BatchState::Stopped,
            BatchState::Finished,
        ] {
            assert_eq!(effective(&upload(s, 0), 400 * day, 7), s);
        }
        // A clock behind the upload (another machine's) expires nothing.
        assert_eq!(effective(&up, 0, 7), BatchState::Uploaded);
    }

    #[test]
    fn totals_are_typed_per_currency() {
        let form = |v: &[&str]| -> Vec<(String, String)> {
            v.iter()
                .map(|t| ("expect_total".to_owned(), (*t).to_owned()))
                .chain([("csrf".to_owned(), "x".to_owned())])
                .collect()
        };
        let g = totals_typed(&form(&["10.50:BRL", "1500:CLP"])).unwrap();
        assert_eq!(guards_text(&g), "10.50:BRL 1500:CLP");
        assert_eq!(totals_typed(&form(&["3.75"])).unwrap().len(), 1);
        let g = totals_typed(&form(&["R$ 5.855,60"])).unwrap();
        assert_eq!(guards_text(&g), "5855.60:BRL");
        // Said as people write a total, never with the command line's words.
        assert!(
            totals_typed(&form(&[]))
                .unwrap_err()
                .contains("1,234.56 BRL")
        );
        let bad = totals_typed(&form(&["cinco"])).unwrap_err();
        assert!(
            bad.contains("cinco") && !bad.contains("expect_total"),
            "{bad}"
        );
        assert!(totals_typed(&form(&[" "])).is_err());
        assert!(totals_typed(&form(&["full"])).is_err());
        assert!(totals_typed(&form(&["1:XXX"])).is_err());
    }
}
