//! Outputs and monitoring: nights that share one state file.
//! An outage night's rows stay visible in the next nights' figures, each batch's
//! results and monitoring files are its own (`{batch}`, `{date}`), a retry of an
//! old batch writes that batch's files only, and tonight's input being last
//! night's bytes again is said as such.

use std::path::{Path, PathBuf};

use mprefund_sandbox::{Faults, Sandbox, SandboxConfig};

use crate::common::*;

/// Every night's flags: one state file, the same input path, per-batch files.
const NIGHTLY: [&str; 10] = [
    "--state",
    "s.db",
    "--out",
    "tonight-{date}-{batch}.results.csv",
    "--metrics-file",
    "m-{batch}.prom",
    "--summary-json",
    "s-{batch}.json",
    "--concurrency",
    "2",
];

/// The files of `w` whose names start with `prefix` and end with `suffix`.
fn files(w: &Work, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(w.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(suffix)
        })
        .collect();
    found.sort();
    found
}

/// The value of the unlabelled gauge `name` in a metrics file.
fn gauge(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .map(str::to_owned)
}

fn summary(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The batch id a run's summary names, and its 12-character `{batch}`.
fn batch_of(json: &serde_json::Value) -> (String, String) {
    let id = json["batch"].as_str().unwrap().to_owned();
    let short = id[..12].to_owned();
    (id, short)
}

#[test]
fn an_outage_night_stays_visible_and_each_batch_keeps_its_own_files() {
    let sb = Sandbox::start(SandboxConfig {
        faults: outage(),
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let w = Work::new();
    let night = |extra: &[&str]| {
        let mut args = vec!["run", "tonight.csv"];
        args.extend(NIGHTLY);
        args.extend(extra);
        run(w.mprefund(&sb, &args))
    };

    // Night 3: an outage; the breaker opens, all 5 rows pending.
    w.write("tonight.csv", ordinary_csv(5, 9_410_001));
    let ran = night(&["--breaker", "3"]);
    assert_eq!(ran.code, 3, "{ran:?}");
    let [s3] = files(&w, "s-", ".json").try_into().expect("one summary");
    let night3 = summary(&s3);
    let (b3, short3) = batch_of(&night3);
    assert_eq!(s3, w.path(&format!("s-{short3}.json")));
    assert_eq!(night3["pending_all_batches"], 5, "{night3}");
    assert_eq!(night3["sent_this_run"], 0);
    assert_eq!(night3["input_unchanged"], false);
    assert!(night3["input_age_seconds"].as_i64().unwrap() >= 0);
    let m3 = std::fs::read_to_string(w.path(&format!("m-{short3}.prom"))).unwrap();
    assert_eq!(
        gauge(&m3, "mprefund_rows_pending_all_batches").as_deref(),
        Some("5")
    );
    assert!(gauge(&m3, "mprefund_input_age_seconds").is_some(), "{m3}");

    // Night 4: the API is back and tonight.csv is a new export. Night 3's rows
    // are still pending, and the figures say so.
    sb.set_faults(Faults::default());
    w.write("tonight.csv", ordinary_csv(4, 9_420_001));
    let ran = night(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let summaries = files(&w, "s-", ".json");
    assert_eq!(summaries.len(), 2, "{summaries:?}");
    let s4 = summaries.iter().find(|p| **p != s3).unwrap().clone();
    let night4 = summary(&s4);
    let (b4, short4) = batch_of(&night4);
    assert_ne!(b3, b4);
    assert_eq!(night4["pending_all_batches"], 5, "{night4}");
    assert_eq!(night4["sent_this_run"], 4);
    assert_eq!(night4["input_unchanged"], false);
    let m4_path = w.path(&format!("m-{short4}.prom"));
    let m4 = std::fs::read_to_string(&m4_path).unwrap();
    assert_eq!(
        gauge(&m4, "mprefund_rows_pending_all_batches").as_deref(),
        Some("5"),
        "{m4}"
    );
    assert_eq!(
        gauge(&m4, "mprefund_rows_sent_this_run").as_deref(),
        Some("4")
    );
    assert_eq!(gauge(&m4, "mprefund_input_unchanged").as_deref(), Some("0"));

    // Two results files, one per batch, each named by its date and batch.
    let results = files(&w, "tonight-", ".results.csv");
    assert_eq!(results.len(), 2, "{results:?}");
    let named = |short: &str| {
        results
            .iter()
            .find(|p| {
                p.to_string_lossy()
                    .ends_with(&format!("-{short}.results.csv"))
            })
            .unwrap_or_else(|| panic!("no results of {short}: {results:?}"))
            .clone()
    };
    let (r3, r4) = (named(&short3), named(&short4));
    for r in [&r3, &r4] {
        let name = r.file_name().unwrap().to_string_lossy().into_owned();
        let date = &name["tonight-".len().."tonight-".len() + 10];
        assert!(
            date.len() == 10
                && date.chars().enumerate().all(|(i, c)| if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }),
            "{name}"
        );
    }
    // Every request of the outage night met a 500, which may follow a refund
    // made: its rows are in doubt, not "not sent".
    let r3_rows = read_csv(&r3);
    assert!(
        r3_rows
            .iter()
            .all(|r| ["unknown", "pending"].contains(&r["outcome"].as_str()))
    );
    assert!(r3_rows.iter().any(|r| r["outcome"] == "unknown"));
    assert!(read_csv(&r4).iter().all(|r| r["outcome"] == "refunded"));

    // Night 3's batch recovered by hand: its own results and files; night 4's
    // results, metrics and summary untouched.
    let untouched = [&r4, &m4_path, &s4].map(|p| (p.clone(), std::fs::read(p).unwrap()));
    let ran = w.ok(
        &sb,
        &[
            "retry",
            "--state",
            "s.db",
            "--batch",
            &b3,
            "--include-pending",
            "--metrics-file",
            "m-{batch}.prom",
            "--summary-json",
            "s-{batch}.json",
        ],
    );
    assert!(ran.stderr.contains(&r3.display().to_string()), "{ran:?}");
    for (path, bytes) in &untouched {
        assert!(
            std::fs::read(path).unwrap() == *bytes,
            "{} changed",
            path.display()
        );
    }
    assert!(read_csv(&r3).iter().all(|r| r["outcome"] == "refunded"));
    assert_eq!(files(&w, "tonight-", ".results.csv").len(), 2);
    let retried = summary(&s3);
    assert_eq!(retried["pending_all_batches"], 0, "{retried}");
    assert_eq!(retried["sent_this_run"], 5);
    assert_eq!(sb.refunds().len(), 9);

    // Night 5: the export did not run; tonight.csv is night 4's bytes again.
    let ran = night(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stderr.contains(&format!(
            "the input is the same file as batch {b4}, finished on "
        )) && ran
            .stderr
            .contains("nothing new tonight — has the export run?"),
        "{ran:?}"
    );
    let m5 = std::fs::read_to_string(&m4_path).unwrap();
    assert_eq!(gauge(&m5, "mprefund_input_unchanged").as_deref(), Some("1"));
    assert_eq!(
        gauge(&m5, "mprefund_rows_sent_this_run").as_deref(),
        Some("0")
    );
    assert_eq!(summary(&s4)["input_unchanged"], true);
    assert_eq!(sb.refunds().len(), 9);
}

/// A typo in a placeholder is refused before anything is read or sent.
#[test]
fn an_unknown_placeholder_is_refused() {
    let (sb, w) = fresh_with("in.csv", ordinary_csv(2, 9_430_001));
    let ran = run(w.mprefund(&sb, &["run", "in.csv", "--out", "r-{dat}.csv"])).exits(2);
    assert!(ran.stderr.contains("unknown placeholder {dat}"), "{ran:?}");
    assert!(sb.refunds().is_empty());
}
