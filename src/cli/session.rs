//! The session a command runs in: logging on stderr, how much it shows (the
//! progress mode), the one stop that SIGINT/SIGTERM request, the one way to ask
//! a person y/N, writing a command's report where a reader that went away is
//! not an error, and telling the notification URL how a command ended. Built
//! once per process, before the command runs.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;

use super::{Cli, LogFormat};
use crate::domain::ending::Ending;
use crate::domain::steps::Reach;
use crate::engine::notify::{Notifier, Tell};
use crate::engine::progress::Mode;
use crate::engine::send::{Stop, StopReason};
use crate::ops::run::Confirm;
use crate::{Exit, Usage};

pub(crate) struct Session {
    pub mode: Mode,
    /// `--log-format json`: the end of a command over a batch is a JSON line too.
    pub json_logs: bool,
}

impl Session {
    /// Sets up logging (once per process) and reads what the global flags say.
    pub(crate) fn start(cli: &Cli) -> Session {
        init_logging(cli);
        Session {
            mode: Mode::detect(cli.quiet),
            json_logs: cli.log_format == LogFormat::Json,
        }
    }

    /// The stop a command that sends or reads the API watches: the first
    /// SIGINT/SIGTERM requests it.
    pub(crate) fn stop(&self) -> Stop {
        let stop = Stop::new();
        watch_signals(stop.clone());
        stop
    }

    /// Writes a report on stderr: in full, or its one line with `--quiet` (a
    /// cron log still gets one line per command).
    pub(crate) fn summary(
        &self,
        one_line: impl FnOnce() -> String,
        render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        if self.mode == Mode::Quiet {
            show(&mut std::io::stderr().lock(), |w| {
                writeln!(w, "{}", one_line())
            })
        } else {
            show(&mut std::io::stderr().lock(), render)
        }
    }
}

fn init_logging(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,mprefund={level}"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests calling `execute` twice) keeps the first subscriber.
    let _ = match cli.log_format {
        // A cron log (`--quiet`) stamps its own lines, if at all: the few that
        // come are plain, like the one summary line.
        LogFormat::Text if cli.quiet => builder.without_time().try_init(),
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// First SIGINT/SIGTERM: stop taking rows, let in-flight requests finish (within
/// the grace period), checkpoint, write the results. Second: exit at once — every
/// SQLite transaction is atomic, so the state file stays consistent.
fn watch_signals(stop: Stop) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("cannot listen for signals; SIGTERM will kill the run without a report");
            return;
        };
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
            () = crate::engine::testpoint::term() => {},
        }
        tracing::warn!(
            "signal received: sending no new request, finishing the ones in flight; signal again to exit at once"
        );
        stop.request(StopReason::Signal);
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        eprintln!("second signal: exiting now; the state file is consistent, run again to resume");
        crate::exit::now(Exit::Stopped);
    });
}

/// Whether someone can answer a question: stdin is a terminal.
fn can_ask() -> bool {
    std::io::stdin().is_terminal()
}

/// Shows `question` on stderr and reads a y/N answer from the terminal.
fn ask(question: &str) -> std::io::Result<bool> {
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// A confirmation that must be given: `--yes`, or a person answering y. With no
/// terminal to ask and no `--yes`, the command is refused (exit 2).
pub(crate) fn confirm(question: &str, yes: bool) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !can_ask() {
        return Err(Usage(format!("{question} — no terminal to ask; pass --yes")).into());
    }
    Ok(ask(&format!("{question} [y/N] "))?)
}

/// The question `run` asks before sending, when someone can answer it: stdin is a
/// terminal and no `--yes`. Cron (no terminal) is never asked.
pub(crate) fn tty_confirm(yes: bool) -> Option<Confirm> {
    (!yes && can_ask()).then(|| Confirm(std::sync::Arc::new(ask)))
}

/// Writes a command's report; a reader that went away (`| head`) is not an error.
pub(crate) fn show(
    out: &mut dyn Write,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match render(out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing the report"),
    }
}

/// The end of a command over a batch: its summary on stderr (one line with
/// `--quiet`, and a JSON line with `--log-format json`), its next steps said as
/// commands that reach the batch as `reach`, and its exit.
pub(crate) fn finished(
    f: &crate::ops::Finished,
    reach: &Reach,
    session: &Session,
) -> anyhow::Result<Exit> {
    if session.json_logs {
        // Log collectors get the summary as one JSON line too.
        let line = f.log_line()?;
        show(&mut std::io::stderr().lock(), |w| writeln!(w, "{line}"))?;
    }
    // One line per batch the command touched: the earlier ones, then its own.
    session.summary(
        || f.lines(reach).join("\n"),
        |w| {
            for e in &f.earlier {
                writeln!(w, "earlier {}", e.line)?;
                if let Some(c) = e.first_step(reach) {
                    writeln!(w, "  next: {c}")?;
                }
            }
            f.render(w, reach)
        },
    )?;
    Ok(f.exit())
}

/// Tells how `what` (the command) ended, besides what `tell` gathered while it
/// ran, and delivers it; the command's exit passes through.
pub(crate) async fn tell_ended(
    mut tell: Tell,
    what: &str,
    exit: anyhow::Result<Exit>,
    notifier: Option<&Notifier>,
) -> anyhow::Result<Exit> {
    match &exit {
        Ok(e) => tell.ended(what, *e, None),
        Err(e) => tell.ended(what, crate::exit::of_error(e), Some(&format!("{e:#}"))),
    }
    // Money is done by now: the notification only waits its bounded turn.
    tell.deliver(notifier).await;
    exit
}
