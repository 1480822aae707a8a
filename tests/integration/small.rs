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
