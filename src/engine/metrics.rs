//! `--metrics-file`: the run's figures in the Prometheus textfile-collector format,
//! for node_exporter to pick up after a cron run. Written atomically (a half-written
//! file would be scraped as garbage). The last-success timestamp survives failed
//! runs: it is carried over from the previous file so an alert can fire on its age.

use std::path::Path;

use strum::IntoEnumIterator;

use crate::Exit;
use crate::domain::Outcome;
use crate::sheets::report::Summary;

const LAST_SUCCESS: &str = "mprefund_last_success_timestamp_seconds";

pub(crate) struct RunFigures<'a> {
    pub batch_id: &'a str,
    pub summary: &'a Summary,
    pub duration_secs: f64,
    pub exit: Exit,
    pub finished_at_secs: i64,
    /// How fast the run sent (absent when it sent nothing).
    pub rate: Option<&'a crate::engine::throttle::RateFigures>,
    /// Beyond this batch: the state file and tonight's input.
    pub beyond: &'a Beyond,
    /// The batches the run finished before this one.
    pub earlier: &'a [crate::engine::night::EarlierBatch],
    /// One more label on every line (`run="approved"`): two kinds of run in
    /// one node_exporter folder must not give the same series twice.
    pub label: Option<(&'a str, &'a str)>,
}

/// The figures of a run beyond its own batch: what is left in the whole state
/// file, and whether tonight's input was anything new. An outage night's batch
/// stays visible after a clean night, and a stale export is not a plain success.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub(crate) struct Beyond {
    /// Rows pending or sending across every batch of the state file (null when
    /// the run ended before the state file was read).
    pub pending_all_batches: Option<u64>,
    /// Rows of the batch this run settled: pending or sending when it began, and
    /// refunded, in process or failed when it ended. A row attempted but still
    /// pending (a stop) is not counted; it is in `pending_all_batches`.
    pub sent_this_run: u64,
    /// Seconds since the input file was last modified, when the run had one.
    pub input_age_seconds: Option<i64>,
    /// The input is the same bytes as a batch already finished: nothing new.
    pub input_unchanged: bool,
}

pub(crate) fn write(path: &Path, f: &RunFigures<'_>) -> anyhow::Result<()> {
    // With a label, the sample reads `name{k="v"} value`.
    let previous_success = std::fs::read_to_string(path).ok().and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix(LAST_SUCCESS))
            .and_then(|v| v.rsplit(' ').next())
            .and_then(|v| v.trim().parse::<i64>().ok())
    });
    let last_success = if f.exit == Exit::Ok {
        Some(f.finished_at_secs)
    } else {
        previous_success
    };
    let text = render(f, last_success)?;
    let text = match f.label {
        Some((k, v)) => with_label(&text, k, v),
        None => text,
    };
    crate::store::atomic_file::write_atomically(path, text.as_bytes())
}

/// `text` (the textfile format) with `name="value"` on every sample line.
fn with_label(text: &str, name: &str, value: &str) -> String {
    let pair = format!("{name}=\"{}\"", label(value));
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            out.push_str(line);
        } else if let Some((metric, rest)) = line.split_once('{') {
            out.push_str(&format!("{metric}{{{pair},{rest}"));
        } else if let Some((metric, rest)) = line.split_once(' ') {
            out.push_str(&format!("{metric}{{{pair}}} {rest}"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

const LAST_RECONCILE: &str = "mprefund_last_reconcile_timestamp_seconds";

/// `reconcile --metrics-file`: lines per finding (every finding, 0 when none),
/// so that drift alerts, and when the books last agreed (carried over from the
/// previous file otherwise).
pub(crate) fn write_reconcile(
    path: &Path,
    batch_id: &str,
    findings: &[(&str, u64)],
    exit: Exit,
    finished_at_secs: i64,
) -> anyhow::Result<()> {
    let previous = std::fs::read_to_string(path).ok().and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix(LAST_RECONCILE))
            .and_then(|v| v.trim().parse::<i64>().ok())
    });
    let last = if exit == Exit::Ok {
        finished_at_secs
    } else {
        previous.unwrap_or(0)
    };
    let b = label(batch_id);
    let mut s = String::new();
    s.push_str("# HELP mprefund_reconcile_findings Lines of the last reconcile by finding.\n");
    s.push_str("# TYPE mprefund_reconcile_findings gauge\n");
    for (finding, n) in findings {
        s.push_str(&format!(
            "mprefund_reconcile_findings{{batch=\"{b}\",finding=\"{}\"}} {n}\n",
            label(finding)
        ));
    }
    s.push_str("# HELP mprefund_reconcile_exit_code Exit code of the last reconcile.\n");
    s.push_str("# TYPE mprefund_reconcile_exit_code gauge\n");
    s.push_str(&format!("mprefund_reconcile_exit_code {}\n", exit.code()));
    s.push_str(&format!(
        "# HELP {LAST_RECONCILE} When a reconcile last found the books agreeing (0: never).\n# TYPE {LAST_RECONCILE} gauge\n{LAST_RECONCILE} {last}\n"
    ));
    crate::store::atomic_file::write_atomically(path, s.as_bytes())
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub(crate) fn render(f: &RunFigures<'_>, last_success: Option<i64>) -> anyhow::Result<String> {
    let b = label(f.batch_id);
    let mut s = String::new();
    s.push_str("# HELP mprefund_rows Rows of the batch by outcome at the end of the run.\n");
    s.push_str("# TYPE mprefund_rows gauge\n");
    for o in Outcome::iter() {
        s.push_str(&format!(
            "mprefund_rows{{batch=\"{b}\",outcome=\"{}\"}} {}\n",
            o.as_str(),
            f.summary.count(o)
        ));
    }
    s.push_str(
        "# HELP mprefund_refunds Rows with a refund, by origin: new (made by the row's own request) or already_done (found in the state file, or replayed by the API).\n",
    );
    s.push_str("# TYPE mprefund_refunds gauge\n");
    for (origin, d) in [
        ("new", &f.summary.new),
        ("already_done", &f.summary.already_done),
    ] {
        s.push_str(&format!(
            "mprefund_refunds{{batch=\"{b}\",origin=\"{origin}\"}} {}\n",
            d.rows
        ));
    }
    s.push_str(
        "# HELP mprefund_refunded_amount Amount refunded (refunded and in process), by currency.\n",
    );
    s.push_str("# TYPE mprefund_refunded_amount gauge\n");
    refunded_lines(&mut s, "mprefund_refunded_amount", &b, &f.summary.outcomes)?;
    s.push_str("# HELP mprefund_run_duration_seconds Wall time of the last run.\n");
    s.push_str("# TYPE mprefund_run_duration_seconds gauge\n");
    s.push_str(&format!(
        "mprefund_run_duration_seconds {:.3}\n",
        f.duration_secs
    ));
    if let Some(r) = f.rate {
        for (name, help, value) in [
            (
                "mprefund_rate_mean",
                "Mean requests per second the last run sent at (time-weighted).",
                r.mean,
            ),
            (
                "mprefund_rate_final",
                "Requests per second in use when the last run ended.",
                r.last,
            ),
            (
                "mprefund_rate_ceiling",
                "The --rate ceiling of the last run.",
                r.ceiling,
            ),
            (
                "mprefund_throttled_responses",
                "429 answers the last run received.",
                r.throttled as f64,
            ),
            (
                "mprefund_throttled_as_noise",
                "429 answers the last run took as noise (only their own row waited).",
                r.throttled_as_noise as f64,
            ),
            (
                "mprefund_throttled_as_limit",
                "429 answers the last run took as the account's limit.",
                r.throttled_as_limit as f64,
            ),
            (
                "mprefund_rate_limit_cuts",
                "Times the last run cut its rate for the account's limit.",
                r.limit_cuts as f64,
            ),
        ] {
            s.push_str(&format!(
                "# HELP {name} {help}
# TYPE {name} gauge
"
            ));
            s.push_str(&format!(
                "{name} {value:.3}
"
            ));
        }
    }
    render_beyond(&mut s, f.beyond);
    render_earlier(&mut s, f.earlier)?;
    s.push_str("# HELP mprefund_run_exit_code Exit code of the last run (0 ok, 1 some failed, 2 usage or input error, 3 stopped resumable, 4 batch held, 5 state damaged, 6 a person must fix something, 7 earlier batches unfinished, 8 internal error).\n");
    s.push_str("# TYPE mprefund_run_exit_code gauge\n");
    s.push_str(&format!("mprefund_run_exit_code {}\n", f.exit.code()));
    s.push_str("# HELP mprefund_last_run_timestamp_seconds When the last run ended.\n");
    s.push_str("# TYPE mprefund_last_run_timestamp_seconds gauge\n");
    s.push_str(&format!(
        "mprefund_last_run_timestamp_seconds {}\n",
        f.finished_at_secs
    ));
    // Present from the first run on (0: never), so `time() - x > 26h` alerts
    // need no special case.
    s.push_str("# HELP mprefund_last_success_timestamp_seconds When a run last ended with every row refunded (0: never).\n");
    s.push_str("# TYPE mprefund_last_success_timestamp_seconds gauge\n");
    s.push_str(&format!("{LAST_SUCCESS} {}\n", last_success.unwrap_or(0)));
    Ok(s)
}

/// `name{batch,currency}` lines: the money refunded (refunded and in process)
/// per currency, from a summary's `outcomes`.
fn refunded_lines(
    s: &mut String,
    name: &str,
    b: &str,
    outcomes: &std::collections::BTreeMap<String, crate::sheets::report::Totals>,
) -> anyhow::Result<()> {
    let mut by_currency = crate::domain::money::MoneyByCurrency::default();
    for o in [Outcome::Refunded, Outcome::InProcess] {
        if let Some(t) = outcomes.get(o.as_str()) {
            // Each sum was checked when the summary was made; their total can
            // only pass Decimal's range on absurd server figures: an error.
            by_currency.merge(&t.refunded)?;
            by_currency.merge(&t.refunded_full)?;
        }
    }
    for (c, a) in by_currency.iter() {
        let c = if c.is_empty() {
            "unknown".to_owned()
        } else {
            label(c)
        };
        s.push_str(&format!("{name}{{batch=\"{b}\",currency=\"{c}\"}} {a}\n"));
    }
    Ok(())
}

/// The batches the run finished before its own: how many, and each one's rows
/// per outcome, money refunded and exit.
fn render_earlier(
    s: &mut String,
    earlier: &[crate::engine::night::EarlierBatch],
) -> anyhow::Result<()> {
    s.push_str("# HELP mprefund_earlier_batches Batches the last run finished before its own (an outage night's, other approved batches).\n");
    s.push_str("# TYPE mprefund_earlier_batches gauge\n");
    s.push_str(&format!("mprefund_earlier_batches {}\n", earlier.len()));
    if earlier.is_empty() {
        return Ok(());
    }
    s.push_str("# HELP mprefund_earlier_rows Rows of each batch the last run finished before its own, by outcome.\n");
    s.push_str("# TYPE mprefund_earlier_rows gauge\n");
    for e in earlier {
        let b = label(&e.batch);
        for o in Outcome::iter() {
            let n = e.outcomes.get(o.as_str()).map_or(0, |t| t.rows);
            s.push_str(&format!(
                "mprefund_earlier_rows{{batch=\"{b}\",outcome=\"{}\"}} {n}\n",
                o.as_str()
            ));
        }
    }
    s.push_str("# HELP mprefund_earlier_refunded_amount Amount refunded (refunded and in process) by each batch the last run finished before its own, by currency.\n");
    s.push_str("# TYPE mprefund_earlier_refunded_amount gauge\n");
    for e in earlier {
        refunded_lines(
            s,
            "mprefund_earlier_refunded_amount",
            &label(&e.batch),
            &e.outcomes,
        )?;
    }
    s.push_str("# HELP mprefund_earlier_exit_code Exit code of each batch the last run finished before its own.\n");
    s.push_str("# TYPE mprefund_earlier_exit_code gauge\n");
    for e in earlier {
        s.push_str(&format!(
            "mprefund_earlier_exit_code{{batch=\"{}\"}} {}\n",
            label(&e.batch),
            e.exit_code
        ));
    }
    Ok(())
}

fn render_beyond(s: &mut String, b: &Beyond) {
    let mut gauge = |name: &str, help: &str, value: String| {
        s.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
        ));
    };
    if let Some(n) = b.pending_all_batches {
        gauge(
            "mprefund_rows_pending_all_batches",
            "Rows pending or sending across every batch of the state file (earlier nights' included).",
            n.to_string(),
        );
    }
    gauge(
        "mprefund_rows_sent_this_run",
        "Rows the last run settled (pending when it began; refunded, in process or failed when it ended).",
        b.sent_this_run.to_string(),
    );
    if let Some(age) = b.input_age_seconds {
        gauge(
            "mprefund_input_age_seconds",
            "Seconds between the input file's last modification and the end of the last run.",
            age.to_string(),
        );
    }
    gauge(
        "mprefund_input_unchanged",
        "1 when the last run's input was the same bytes as a batch already finished: nothing new.",
        u8::from(b.input_unchanged).to_string(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The metrics file a successful run at 100, then one that ends `then` at
    /// 200, leave: `fig` says what each was.
    fn after_two_runs<'a>(fig: impl Fn(Exit, i64) -> RunFigures<'a>, then: Exit) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.prom");
        write(&path, &fig(Exit::Ok, 100)).unwrap();
        write(&path, &fig(then, 200)).unwrap();
        std::fs::read_to_string(&path).unwrap()
    }

    #[test]
    fn last_success_survives_a_failed_run() {
        let summary = Summary::default();
        let beyond = Beyond {
            pending_all_batches: Some(7),
            sent_this_run: 3,
            input_age_seconds: None,
            input_unchanged: true,
        };
        let fig = |exit, at| RunFigures {
            batch_id: "b\"1",
            summary: &summary,
            duration_secs: 1.5,
            exit,
            finished_at_secs: at,
            rate: None,
            beyond: &beyond,
            earlier: &[],
            label: None,
        };
        let text = after_two_runs(fig, Exit::SomeFailed);
        assert!(
            text.contains("mprefund_last_success_timestamp_seconds 100\n"),
            "{text}"
        );
        assert!(text.contains("mprefund_last_run_timestamp_seconds 200\n"));
        assert!(text.contains("mprefund_run_exit_code 1\n"));
        assert!(
            text.contains("mprefund_rows_pending_all_batches 7\n"),
            "{text}"
        );
        assert!(text.contains("mprefund_rows_sent_this_run 3\n"));
        assert!(text.contains("mprefund_input_unchanged 1\n"));
        assert!(!text.contains("mprefund_input_age_seconds"));
        assert!(text.contains("mprefund_rows{batch=\"b\\\"1\",outcome=\"refunded\"} 0\n"));
    }

    #[test]
    fn a_label_goes_on_every_sample_and_last_success_still_reads_back() {
        let text = "# HELP a x\n# TYPE a gauge\na 1\nb{batch=\"q\"} 2\n";
        assert_eq!(
            with_label(text, "run", "approved"),
            "# HELP a x\n# TYPE a gauge\na{run=\"approved\"} 1\nb{run=\"approved\",batch=\"q\"} 2\n"
        );
        let summary = Summary::default();
        let beyond = Beyond::default();
        let earlier = [crate::engine::night::EarlierBatch::failed(
            "e1",
            Exit::SomeFailed,
            "x",
        )];
        let fig = |exit, at| RunFigures {
            batch_id: "b",
            summary: &summary,
            duration_secs: 1.0,
            exit,
            finished_at_secs: at,
            rate: None,
            beyond: &beyond,
            earlier: &earlier,
            label: Some(("run", "approved")),
        };
        let text = after_two_runs(fig, Exit::Stopped);
        assert!(
            text.contains("mprefund_last_success_timestamp_seconds{run=\"approved\"} 100\n"),
            "{text}"
        );
        assert!(text.contains("mprefund_earlier_batches{run=\"approved\"} 1\n"));
        assert!(text.contains(
            "mprefund_earlier_rows{run=\"approved\",batch=\"e1\",outcome=\"failed\"} 0\n"
        ));
        assert!(text.contains("mprefund_earlier_exit_code{run=\"approved\",batch=\"e1\"} 1\n"));
    }

    #[test]
    fn a_refunded_total_past_decimal_range_is_an_error_not_saturated() {
        let mut summary = Summary::default();
        for o in [Outcome::Refunded, Outcome::InProcess] {
            let mut t = crate::sheets::report::Totals::default();
            t.refunded.add("BRL", rust_decimal::Decimal::MAX).unwrap();
            summary.outcomes.insert(o.as_str().to_owned(), t);
        }
        let beyond = Beyond {
            pending_all_batches: None,
            sent_this_run: 0,
            input_age_seconds: None,
            input_unchanged: false,
        };
        let f = RunFigures {
            batch_id: "b",
            summary: &summary,
            duration_secs: 1.0,
            exit: Exit::Ok,
            finished_at_secs: 1,
            rate: None,
            beyond: &beyond,
            earlier: &[],
            label: None,
        };
        let e = render(&f, None).unwrap_err();
        assert!(e.to_string().contains("BRL"), "{e}");
    }
}
