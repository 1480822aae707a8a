//! What a person or a cron log sees while a batch runs: an indicatif bar (done of
//! total, rate, ETA, failures) when stderr is a terminal, a plain log line every
//! few seconds otherwise, nothing with `--quiet`; and, for a page that watches a
//! run of this process (the console), [`Live`] figures — rows per outcome and
//! cause, money refunded per currency — kept up to date without reading the state
//! file again. Driven only by the collector, so its counts are exactly the results
//! recorded.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::domain::totals::Tally;
use crate::domain::{Outcome, RowResult};
use crate::engine::rate::RateGauge;
use crate::store::ledger::{Claimed, Ledger, Which};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Bar,
    Log,
    Quiet,
}

impl Mode {
    pub(crate) fn detect(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Log
        }
    }
}

const LOG_EVERY: Duration = Duration::from_secs(10);

/// The line a cron log gets every few seconds: counts, rate and an ETA from the
/// rate of this run (rows settled by earlier runs do not count towards it).
fn log_text(
    done: u64,
    done_at_start: u64,
    total: u64,
    failed: u64,
    in_doubt: u64,
    elapsed: Duration,
    sending_at: Option<f64>,
) -> String {
    let rate = done.saturating_sub(done_at_start) as f64 / elapsed.as_secs_f64().max(0.001);
    let left = total.saturating_sub(done);
    let eta = if left == 0 {
        "done".to_owned()
    } else if rate > 0.0 {
        format!("eta {}", human_secs((left as f64 / rate).ceil() as u64))
    } else {
        "eta unknown".to_owned()
    };
    let limit = sending_at.map_or_else(String::new, |r| format!(" (sending at {r:.1}/s)"));
    let doubt = if in_doubt > 0 {
        format!(", {in_doubt} may have refunded (no answer)")
    } else {
        String::new()
    };
    format!(
        "progress: {done}/{total} rows settled, {failed} failed{doubt}, {rate:.1} rows/s{limit}, {eta}"
    )
}

/// `2h 5m`, `1m 40s`, `40s`: a duration as people say it.
/// How long `rows` requests take at `rate` per second, for people: `2h 5m`,
/// `40s` (what `plan` foretells and `run` asks to confirm).
pub(crate) fn eta(rows: u64, rate: std::num::NonZeroU32) -> String {
    human_secs(rows.div_ceil(u64::from(rate.get())))
}

pub(crate) fn human_secs(secs: u64) -> String {
    match (secs / 3600, secs / 60 % 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// A batch's figures: rows per outcome (`sending` counted as pending), rows per
/// cause code, and what the refunded rows asked, per currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Figures {
    pub counts: BTreeMap<Outcome, u64>,
    pub causes: BTreeMap<String, u64>,
    pub refunded: Tally,
}

impl Figures {
    /// The batch's figures as the state file has them: three passes over its
    /// rows, so a watcher reads them once, not on every tick.
    pub(crate) fn read(ledger: &Ledger, batch: &str) -> anyhow::Result<Figures> {
        let mut refunded = Tally::default();
        ledger.for_each_ask(batch, Which::Done, |c, r| refunded.add(c, r))?;
        Ok(Figures {
            counts: ledger.outcome_counts(batch)?,
            causes: ledger.cause_counts(batch)?,
            refunded,
        })
    }

    /// A claimed row came back settled (an unsettled row, handed back on a stop,
    /// changes nothing: it is pending again).
    fn settle(&mut self, job: &Claimed, r: &RowResult) {
        if r.outcome == Outcome::Pending {
            return;
        }
        // A row resent from doubt was counted as such, not as pending.
        let was = if job.in_doubt {
            Outcome::Unknown
        } else {
            Outcome::Pending
        };
        if let Some(n) = self.counts.get_mut(&was) {
            *n = n.saturating_sub(1);
        }
        *self.counts.entry(r.outcome).or_default() += 1;
        if let Some(c) = &r.cause {
            *self.causes.entry(c.code.as_str().into_owned()).or_default() += 1;
        }
        if matches!(r.outcome, Outcome::Refunded | Outcome::InProcess) {
            self.refunded.add(job.currency, job.ask.requested);
        }
    }
}

/// The figures of a run in progress, shared with whoever watches it: seeded from
/// the state file when the run starts, then moved by the collector as it records
/// each row. Empty until the run begins sending.
#[derive(Debug, Clone, Default)]
pub(crate) struct Live(Arc<Mutex<Option<Figures>>>);

impl Live {
    /// The figures now, once the run has begun.
    pub(crate) fn now(&self) -> Option<Figures> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn with(&self, f: impl FnOnce(&mut Option<Figures>)) {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

pub(crate) struct Progress {
    mode: Mode,
    bar: Option<ProgressBar>,
    total: u64,
    done: u64,
    failed: u64,
    in_doubt: u64,
    started: Instant,
    done_at_start: u64,
    last_log: Instant,
    /// The rate in use, when sending (adaptive: it moves).
    rate: Option<RateGauge>,
    live: Option<Live>,
}

impl Progress {
    /// `done` rows were already settled by earlier runs.
    pub(crate) fn new(mode: Mode, total: u64, done: u64) -> Progress {
        let bar = (mode == Mode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {rate} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1} rows/s", s.per_sec());
                },
            );
            bar.set_style(style);
            bar.set_position(done);
            bar.reset_eta();
            bar
        });
        let now = Instant::now();
        Progress {
            mode,
            bar,
            total,
            done,
            failed: 0,
            in_doubt: 0,
            started: now,
            done_at_start: done,
            last_log: now,
            rate: None,
            live: None,
        }
    }

    /// Keeps `live` up to date from `seed`, the batch's figures as the run starts.
    pub(crate) fn watched_by(mut self, live: Live, seed: Figures) -> Progress {
        live.with(|f| *f = Some(seed));
        self.live = Some(live);
        self
    }

    /// Shows the rate in use next to the counts.
    pub(crate) fn show_rate(&mut self, gauge: RateGauge) {
        self.rate = Some(gauge);
        self.set_message();
    }

    fn set_message(&self) {
        if let Some(bar) = &self.bar {
            let mut msg = String::new();
            if let Some(g) = &self.rate {
                msg.push_str(&format!("at {:.1}/s", g.rate()));
            }
            if self.failed > 0 {
                msg.push_str(&format!(" {} failed", self.failed));
            }
            if self.in_doubt > 0 {
                msg.push_str(&format!(" {} in doubt", self.in_doubt));
            }
            bar.set_message(msg);
        }
    }

    pub(crate) fn record(&mut self, job: &Claimed, r: &RowResult) {
        if let Some(live) = &self.live {
            live.with(|f| {
                if let Some(f) = f {
                    f.settle(job, r);
                }
            });
        }
        let outcome = r.outcome;
        match outcome {
            Outcome::Pending => return,
            Outcome::Failed => self.failed += 1,
            Outcome::Unknown => self.in_doubt += 1,
            _ => {}
        }
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if matches!(outcome, Outcome::Failed | Outcome::Unknown)
                || (self.rate.is_some() && self.done.is_multiple_of(64))
            {
                self.set_message();
            }
        } else if self.mode == Mode::Log && self.last_log.elapsed() >= LOG_EVERY {
            self.last_log = Instant::now();
            self.log_line();
        }
    }

    fn log_line(&self) {
        tracing::info!(
            "{}",
            log_text(
                self.done,
                self.done_at_start,
                self.total,
                self.failed,
                self.in_doubt,
                self.started.elapsed(),
                self.rate.as_ref().map(RateGauge::rate),
            )
        );
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        } else if self.mode == Mode::Log {
            self.log_line();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Amount, Cause, CauseCode, Currency, IdempotencyKey, PaymentId, RefundAsk, Requested, Target,
    };

    fn job(row_no: u64, requested: Requested) -> Claimed {
        Claimed {
            row_no,
            ask: RefundAsk {
                key: IdempotencyKey::new(format!("k{row_no}")).unwrap(),
                target: Target::Payment(PaymentId::new(1000 + row_no).unwrap()),
                requested,
            },
            in_doubt: false,
            currency: Some(Currency::BRL),
        }
    }

    #[test]
    fn live_figures_move_a_row_from_pending_to_its_outcome_and_add_what_it_refunded() {
        let ten = Requested::Partial(Amount::new(rust_decimal::Decimal::new(1000, 2)).unwrap());
        let mut f = Figures::default();
        f.counts.insert(Outcome::Pending, 3);
        let live = Live::default();
        assert_eq!(live.now(), None, "nothing before the run begins");
        let mut p = Progress::new(Mode::Quiet, 3, 0).watched_by(live.clone(), f);

        p.record(&job(1, ten), &RowResult::new(Outcome::Refunded));
        p.record(
            &job(2, Requested::Full),
            &RowResult::new(Outcome::InProcess),
        );
        let mut failed = RowResult::new(Outcome::Failed);
        failed.cause = Some(Cause {
            code: CauseCode::UnknownOutcome,
            message: "timed out".into(),
        });
        p.record(&job(3, ten), &failed);
        // A row handed back on a stop is pending again: nothing moves.
        p.record(&job(3, ten), &RowResult::new(Outcome::Pending));

        let now = live.now().unwrap();
        assert_eq!(now.counts[&Outcome::Pending], 0);
        assert_eq!(now.counts[&Outcome::Refunded], 1);
        assert_eq!(now.counts[&Outcome::InProcess], 1);
        assert_eq!(now.counts[&Outcome::Failed], 1);
        assert_eq!(now.causes["unknown_outcome"], 1);
        let brl = &now.refunded.per[&Some(Currency::BRL)];
        assert_eq!(
            (brl.partial, brl.sum.clone(), brl.full),
            (1, Ok(rust_decimal::Decimal::new(1000, 2)), 1)
        );
    }

    #[test]
    fn durations_read_as_people_say_them() {
        let r = |n| std::num::NonZeroU32::new(n).unwrap();
        assert_eq!(eta(0, r(10)), "0s");
        assert_eq!(eta(5, r(10)), "1s");
        assert_eq!(eta(1000, r(10)), "1m 40s");
        assert_eq!(eta(100_000, r(10)), "2h 46m");
    }

    #[test]
    fn log_lines_carry_an_eta_from_this_runs_rate() {
        let s = Duration::from_secs;
        assert_eq!(
            log_text(150, 50, 1100, 2, 0, s(10), Some(12.5)),
            "progress: 150/1100 rows settled, 2 failed, 10.0 rows/s (sending at 12.5/s), eta 1m 35s"
        );
        assert!(log_text(50, 50, 100, 0, 0, s(10), None).ends_with("0.0 rows/s, eta unknown"));
        assert!(log_text(100, 0, 100, 0, 0, s(10), None).ends_with("10.0 rows/s, done"));
        assert_eq!(human_secs(7500), "2h 5m");
    }
}
