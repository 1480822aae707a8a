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

use axum::http::StatusCode;
use axum::response::Redirect;
use serde::Deserialize;

use super::app::{App, Shared};
use super::covered;
use super::error::AppError;
use super::extract::{Account, Anyone, Remote, Step, Uploader, posted};
use super::i18n::{M, Words};
use super::store::{Action, BatchState, Refusal, Upload};
use super::upload;
use super::view::{Said, to_batch};
use crate::domain::Currency;
use crate::domain::totals::{self, Guard};
use crate::ops::run::{Guards, RunRequest, RunResult};

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

/// The submit and approve form: the total typed, one line per currency.
#[derive(Debug, Deserialize)]
pub(crate) struct Totals {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    expect_total: String,
    /// The submitter's "I know earlier batches refunded rows of this file"
    /// (`repeat`): a checkbox, sent only when ticked.
    #[serde(default)]
    repeat_confirmed: String,
}

/// The reject form: why.
#[derive(Debug, Deserialize)]
pub(crate) struct Reason {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

posted!(Totals, Reason);

/// The totals typed: a line each `AMOUNT:CUR` (or `AMOUNT` for a file of one
/// currency), `full` rows not read named apart (`1.00 BRL + 5 full`); at
/// least one.
pub(crate) fn totals_typed(typed: &str) -> Result<Vec<Guard>, AppError> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let text = typed.trim();
    if text.is_empty() {
        return Err(AppError::said(status, M::ErrTypeTotal, &[]));
    }
    // The parser's reason is the command line's; the person gets how to write one.
    totals::typed(text).map_err(|_| AppError::said(status, M::ErrBadTotal, &[&format!("“{text}”")]))
}

/// A typed total as the person reads it: `R$ 4,99`, `4,99 + 2 full`.
fn guard_shown(g: &Guard, w: Words) -> String {
    let mut out = super::i18n::money(w.lang, g.currency, g.amount);
    if g.full > 0 {
        out.push_str(&format!(" + {} full", g.full));
    }
    out
}

/// A currency of the file as the person reads it.
fn currency_shown(c: Option<Currency>, w: Words) -> String {
    c.map_or_else(|| w.t(M::NoCurrencyName).to_owned(), |c| c.to_string())
}

/// A typed total that does not hold, in the person's words `w`: another
/// currency than the file's, `full` rows not named apart, or the figures. The
/// submitter, who prepares the batch, is told what the file adds up to; an
/// approver only that the total does not match — the approval is a second,
/// independent count, which the right figure would make a copy.
fn total_refused(e: &totals::Refused, submitting: bool, w: Words) -> AppError {
    use totals::Reason;
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let refused = |m, args: &[String]| {
        AppError::said(
            status,
            m,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    for r in &e.reasons {
        if let Reason::OtherCurrency {
            guard, typed, file, ..
        } = r
        {
            let args = [guard.to_string(), file.clone(), typed.to_string()];
            return refused(M::ErrTotalCurrency, &args);
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
            return refused(M::ErrTotalFullApart, &[full.to_string(), named.to_string()]);
        }
    }
    let mut differs = Vec::new();
    for r in &e.reasons {
        match r {
            Reason::NeedsCurrency { file, .. } => {
                return refused(M::ErrTotalNeedsCurrency, std::slice::from_ref(file));
            }
            Reason::TwoTotals { currency, .. } => {
                return refused(M::ErrTotalTwice, &[currency_shown(*currency, w)]);
            }
            Reason::NoTotalFor { currency, .. } => {
                return refused(M::ErrTotalMissing, &[currency_shown(*currency, w)]);
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
    let typed: Vec<String> = differs.iter().map(|(g, ..)| guard_shown(g, w)).collect();
    let typed = typed.join(", ");
    match differs.as_slice() {
        [(guard, currency, sum, full)] if submitting => match sum {
            Ok(sum) if *sum != guard.amount => {
                let sum = super::i18n::money(w.lang, **currency, *sum);
                refused(M::ErrTotalDiffersSum, &[typed, sum])
            }
            _ => refused(
                M::ErrTotalFullCount,
                &[guard.full.to_string(), full.to_string()],
            ),
        },
        _ => refused(M::ErrTotalNoMatch, &[typed]),
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

/// The batch's state now, when it is one of `states`; else 409, said with `m`
/// naming the state it is in.
pub(crate) fn in_states(
    app: &App,
    who: &Account,
    u: &Upload,
    states: &[BatchState],
    m: M,
) -> Result<BatchState, AppError> {
    let now = effective(u, crate::domain::clock::now_ms(), app.approval_days);
    if states.contains(&now) {
        return Ok(now);
    }
    let label = who.words.t(super::view::state_message(now));
    Err(AppError::said(StatusCode::CONFLICT, m, &[label]))
}

/// What the typed totals were checked against: the guards, the fingerprint of
/// the batch whose money was checked, the account's currency.
struct Checked {
    guards: Vec<Guard>,
    fingerprint: String,
    currency: Option<Currency>,
}

/// The typed totals, checked against all the money the batch can move — the
/// plan's amounts and the `full` rows' balances read back (`covered`), the
/// unread ones named apart, in the account's currency: 422 naming the
/// difference, 409 while the payments are still being read. `submitting`: a
/// file with bad lines goes on only when it was uploaded with "skip the bad
/// lines".
async fn checked_totals(
    app: &Shared,
    who: &Account,
    u: &Upload,
    typed: &str,
    submitting: bool,
) -> Result<Checked, AppError> {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let guards = totals_typed(typed)?;
    let plan = upload::plan_of(app, u)
        .await
        .map_err(|e| AppError::told(unprocessable, upload::said(&e, app, u)))?;
    if submitting && plan.summary.invalid > 0 && !u.skip_invalid {
        let bad = plan.summary.invalid.to_string();
        return Err(AppError::said(unprocessable, M::ErrBadLines, &[&bad]));
    }
    let named = guards.iter().any(|g| g.currency.is_some());
    let covered = super::reading::now(app, &u.id, &plan, named)
        .await
        .map_err(|reading| {
            let (read, of) = covered::progress(&reading);
            let (read, of) = (read.to_string(), of.to_string());
            AppError::said(StatusCode::CONFLICT, M::ErrCoverReading, &[&read, &of])
        })?;
    if named && plan.totals.per.contains_key(&None) && covered.account.is_none() {
        return Err(AppError::said(unprocessable, M::ErrTotalNoAccount, &[]));
    }
    totals::check_expected(&covered.tally, &guards, covered.account)
        .map_err(|e| total_refused(&e, submitting, who.words))?;
    Ok(Checked {
        guards,
        fingerprint: plan.summary.fingerprint.clone(),
        currency: covered.account,
    })
}

/// `POST /batches/{id}/submit`: the submitter's total, checked, and the batch
/// waits for someone else.
pub(crate) async fn submit(step: Step<Uploader, Totals>) -> Result<Redirect, AppError> {
    let (app, remote, who, u, form) = step.into_parts();
    in_states(&app, &who, &u, &[BatchState::Uploaded], M::ErrCannotSubmit)?;
    let refused = |e| audited(&app, &who, &remote, &u, Action::Submit, e);
    let repeated = repeat_confirmed(&app, &u, &form).await.map_err(refused)?;
    let checked = checked_totals(&app, &who, &u, &form.expect_total, true)
        .await
        .map_err(refused)?;
    let total = guards_text(&checked.guards);
    let now = crate::domain::clock::now_ms();
    if !app.store().submit(&u.id, &who.name, now, &total)? {
        return Err(AppError::said(
            StatusCode::CONFLICT,
            M::ErrSubmittedAlready,
            &[],
        ));
    }
    let detail = super::detail::Detail::Submit {
        total,
        repeated: repeated as u64,
    };
    app.audit_batch(&who.name, Action::Submit, &remote, &u.id, Some(detail))?;
    Ok(to_batch(&u.id, Said::Submitted))
}

/// An upload whose rows earlier batches refunded (or may have) is submitted
/// only with the submitter's confirmation, whatever the page showed: 422
/// without it. How many such rows there are.
async fn repeat_confirmed(app: &Shared, u: &Upload, form: &Totals) -> Result<usize, AppError> {
    let plan = upload::plan_of(app, u)
        .await
        .map_err(|e| AppError::told(StatusCode::UNPROCESSABLE_ENTITY, upload::said(&e, app, u)))?;
    let rows = super::repeat::rows(&plan, u);
    let ticked = matches!(form.repeat_confirmed.trim(), "1" | "on" | "true" | "yes");
    if rows > 0 && !ticked {
        let n = rows.to_string();
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return Err(AppError::said(status, M::ErrRepeatNotConfirmed, &[&n]));
    }
    Ok(rows)
}

/// A submission or approval refused for what was typed or ticked, audited
/// (`step_refused`) before it is answered; any other failure passes as it is.
fn audited(
    app: &App,
    who: &Account,
    remote: &Remote,
    u: &Upload,
    step: Action,
    refusal: AppError,
) -> AppError {
    let why = match &refusal {
        AppError::Said {
            m: M::ErrBadLines, ..
        } => Refusal::BadLines,
        AppError::Said {
            m: M::ErrRepeatNotConfirmed,
            ..
        } => Refusal::NotConfirmed,
        AppError::Said { status, .. } if *status == StatusCode::UNPROCESSABLE_ENTITY => {
            Refusal::WrongTotal
        }
        _ => return refusal,
    };
    let detail = Some(super::detail::Detail::refused_step(step.as_str(), why));
    let action = Action::StepRefused;
    match app.audit_batch(&who.name, action, remote, &u.id, detail) {
        Ok(()) => refusal,
        Err(failed) => failed,
    }
}

/// `POST /batches/{id}/approve`: the approver's own count of the total,
/// checked; the ledger batch made from the very file whose money was checked.
pub(crate) async fn approve(step: Step<Anyone, Totals>) -> Result<Redirect, AppError> {
    let (who, u) = decider(&step, Action::Approve)?;
    let (app, remote) = (&step.app, &step.remote);
    let checked = checked_totals(app, who, u, &step.form.expect_total, false)
        .await
        .map_err(|e| audited(app, who, remote, u, Action::Approve, e))?;
    let send = app.send.clone().ok_or_else(|| {
        AppError::said(StatusCode::SERVICE_UNAVAILABLE, M::ErrNoTokenApprove, &[])
    })?;
    let now = crate::domain::clock::now_ms();
    let moved = app
        .store()
        .decide(&u.id, &who.name, now, BatchState::Approved, None)?;
    if !moved {
        return Err(AppError::said(
            StatusCode::CONFLICT,
            M::ErrDecidedAlready,
            &[],
        ));
    }
    match ledger_batch(app, who, u, &checked, send).await? {
        Ok(batch) => {
            app.store().link_ledger(&u.id, &batch)?;
            let detail = super::detail::Detail::Approve {
                total: guards_text(&checked.guards),
                ledger_batch: batch.clone(),
            };
            app.audit_batch(&who.name, Action::Approve, remote, &u.id, Some(detail))?;
            Ok(to_batch(&u.id, Said::Approved))
        }
        Err(refused) => {
            app.store().undo_approval(&u.id)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Err(AppError::said(status, M::ErrNotApproved, &[refused.trim()]))
        }
    }
}

/// The ledger batch of an approval, by `run`'s own path, of the very file whose
/// money was checked (its fingerprint): the typed totals cover money the file
/// alone cannot show (the `full` rows' balances), so `run` checks the batch.
/// Its id, or why `run` would not make it, in the person's words.
async fn ledger_batch(
    app: &Shared,
    who: &Account,
    u: &Upload,
    checked: &Checked,
    send: crate::ops::SendOptions,
) -> Result<Result<String, String>, AppError> {
    let req = RunRequest {
        input: upload::stored_path(app, &u.stored_name),
        state: Some(app.state.clone()),
        input_options: app.input.clone(),
        skip_invalid: u.skip_invalid,
        namespace_change: false,
        allow_more_refunds: false,
        preflight: None,
        guards: Guards {
            currency: checked.currency,
            batch: Some(checked.fingerprint.clone()),
            ..Guards::default()
        },
        confirm: None,
        send,
        output: Default::default(),
        earlier: None,
    };
    Ok(
        match crate::ops::run::prepare(req, crate::engine::send::Stop::new()).await {
            Ok(Ok(batch)) => Ok(batch.id),
            Ok(Err(r @ RunResult::Refused { .. })) => {
                let mut text = Vec::new();
                r.render(
                    &mut text,
                    &crate::domain::steps::Reach::console_of(&app.state),
                )
                .map_err(anyhow::Error::from)?;
                Err(upload::said_text(&String::from_utf8_lossy(&text), app, u))
            }
            Ok(Err(RunResult::Finished(_))) => Err(who.words.t(M::ErrSentAlready).to_owned()),
            Err(e) => Err(upload::said(&e, app, u)),
        },
    )
}

/// Who decides (`what`: approve or reject) on which submitted batch: never
/// whoever submitted it (four eyes). A decision refused for the account's role
/// or for being its own batch is audited (`decision_refused`) before it is
/// answered.
fn decider<F>(step: &Step<Anyone, F>, what: Action) -> Result<(&Account, &Upload), AppError> {
    let (app, remote, who, u) = (&step.app, &step.remote, &step.who, &step.batch);
    let audited = |own: bool, refusal: AppError| -> AppError {
        let detail = super::detail::Detail::DecisionRefused {
            step: what.as_str().to_owned(),
            own,
            role: who.role.as_str().to_owned(),
        };
        let action = Action::DecisionRefused;
        match app.audit_batch(&who.name, action, remote, &u.id, Some(detail)) {
            Ok(()) => refusal,
            Err(failed) => failed,
        }
    };
    if !who.role.may_approve() {
        return Err(audited(false, AppError::Role));
    }
    in_states(app, who, u, &[BatchState::Submitted], M::ErrCannotDecide)?;
    if u.review
        .as_ref()
        .is_some_and(|r| r.submitted_by == who.name)
    {
        let refusal = AppError::said(StatusCode::FORBIDDEN, M::ErrOwnBatch, &[]);
        return Err(audited(true, refusal));
    }
    Ok((who, u))
}

/// `POST /batches/{id}/reject`: with a reason, by someone else than its submitter.
pub(crate) async fn reject(step: Step<Anyone, Reason>) -> Result<Redirect, AppError> {
    let (who, u) = decider(&step, Action::Reject)?;
    let (app, remote) = (&step.app, &step.remote);
    let reason = step.form.reason.trim();
    if reason.is_empty() {
        return Err(AppError::said(
            StatusCode::UNPROCESSABLE_ENTITY,
            M::ErrSayWhy,
            &[],
        ));
    }
    let reason: String = reason.chars().take(2000).collect();
    let now = crate::domain::clock::now_ms();
    let moved = app
        .store()
        .decide(&u.id, &who.name, now, BatchState::Rejected, Some(&reason))?;
    if !moved {
        return Err(AppError::said(
            StatusCode::CONFLICT,
            M::ErrDecidedAlready,
            &[],
        ));
    }
    let detail = super::detail::Detail::Reject { reason };
    app.audit_batch(&who.name, Action::Reject, remote, &u.id, Some(detail))?;
    Ok(to_batch(&u.id, Said::Rejected))
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

    /// A refusal's words in English.
    fn said(e: AppError) -> String {
        match e {
            AppError::Said { m, args, .. } => {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                super::super::i18n::fill(super::super::i18n::Lang::En, m, &args)
            }
            other => panic!("not a refusal in words: {other:?}"),
        }
    }

    #[test]
    fn totals_are_typed_per_currency() {
        let g = totals_typed("10.50:BRL\n1500:CLP").unwrap();
        assert_eq!(guards_text(&g), "10.50:BRL 1500:CLP");
        assert_eq!(totals_typed(" 3.75 ").unwrap().len(), 1);
        let g = totals_typed("R$ 5.855,60").unwrap();
        assert_eq!(guards_text(&g), "5855.60:BRL");
        // Said as people write a total, never with the command line's words.
        assert!(said(totals_typed("").unwrap_err()).contains("1,234.56 BRL"));
        let bad = said(totals_typed("cinco").unwrap_err());
        assert!(
            bad.contains("cinco") && !bad.contains("expect_total"),
            "{bad}"
        );
        assert!(totals_typed(" ").is_err());
        assert!(totals_typed("full").is_err());
        assert!(totals_typed("1:XXX").is_err());
    }
}
