//! Small things the trial hit (issue 19, item 5): line numbers in CRLF files, the
//! shipped crontab under cron's PATH, the sandbox's admin routes, cause codes
//! with their meaning, quiet lines, the summary JSON and lock files.

use mprefund::sandbox::{Sandbox, SandboxConfig};

use crate::common::{ACCOUNT_STATE, Work, read_csv, run};

/// Excel writes `\r\n`: every line number said is still the one an editor shows.
#[test]
fn line_numbers_in_crlf_files_are_the_editors() {
    let sb = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let w = Work::new();
    // A bad input line: refused with its line.
    w.write(
        "bad.csv",
        "payment_id,amount\r\n9100001,5\r\n9100002,-5\r\n",
    );
    let ran = run(w.mprefund(&sb, &["run", "bad.csv"]));
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("line 3"), "{ran:?}");
    // A refunded batch, then its report: a CRLF report's lines as the editor
    // numbers them, in the findings and in a refusal.
    w.write(
        "in.csv",
        "payment_id,amount\r\n9100001,10\r\n\r\n9100003,20\r\n",
    );
    let ran = run(w.mprefund(&sb, &["run", "in.csv", "--skip-invalid"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let today = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    w.write(
        "settlement.csv",
        format!(
            "TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT;TRANSACTION_CURRENCY;TRANSACTION_DATE\r\n\
             REFUND;9100001;-10.00;BRL;{today}\r\n\
             \r\n\
             REFUND;9100003;-20.00;BRL;{today}\r\n"
        ),
    );
    let reconcile = |report: &str| {
        run(w
            .bare()
            .args(["reconcile", "--state", ACCOUNT_STATE, "--report", report]))
    };
    let ran = reconcile("settlement.csv");
    assert_eq!(ran.code, 0, "{ran:?}");
    let lines = read_csv(&w.path("in.report-match.csv"));
    let mut got: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["payment_id"].as_str(), l["report_line"].as_str()))
        .collect();
    got.sort_unstable();
    assert_eq!(got, [("9100001", "2"), ("9100003", "4")], "{lines:?}");
    w.write(
        "excel.csv",
        "TRANSACTION_TYPE;SOURCE_ID;TRANSACTION_AMOUNT\r\nSETTLEMENT;9100001;100\r\nREFUND;9,1E+06;10\r\n",
    );
    let ran = reconcile("excel.csv");
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("excel.csv, line 3: SOURCE_ID"),
        "{ran:?}"
    );
}

/// cron runs with `PATH=/usr/bin:/bin`: every command of the shipped crontab, in
/// both forms (the commented `/etc/cron.d` lines too), names the binary by its
/// absolute path.
#[test]
fn the_shipped_crontab_names_the_binary_by_its_absolute_path() {
    let crontab = include_str!("../../jobs/crontab");
    let mut commands = 0;
    for line in crontab.lines() {
        let (entry, user_field) = match line.strip_prefix("# ") {
            // A commented entry of the `/etc/cron.d` form: a user before the command.
            Some(rest) if is_schedule(rest) => (rest, 1),
            Some(_) => continue,
            None if line.trim().is_empty() || line.starts_with('#') => continue,
            None => (line, 0),
        };
        let fields: Vec<&str> = entry.split_whitespace().collect();
        assert!(fields.len() > 5 + user_field, "{line}");
        let program = fields[5 + user_field];
        assert!(
            program.starts_with('/') && program.ends_with("/mprefund"),
            "not an absolute path to mprefund: {line}"
        );
        commands += 1;
    }
    assert_eq!(commands, 4, "both forms of both jobs");
}

/// Whether a line starts with cron's five time fields (`30 2 * * *`).
fn is_schedule(line: &str) -> bool {
    let fields: Vec<&str> = line.split_whitespace().take(5).collect();
    fields.len() == 5
        && fields
            .iter()
            .all(|f| f.chars().all(|c| c.is_ascii_digit() || "*,-/".contains(c)))
}
