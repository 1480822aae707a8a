//! Mercado Pago's own batch-refund file, as is: its input
//! `payment_id;external_reference;amount` with the country's decimal mark, and
//! results in its output columns with `--results-format mp-batch` (flag or job
//! file), kept by every later rewrite of the batch.

use crate::common::{ACCOUNT_STATE, fresh, fresh_with, read_csv, run};

const MP_HEADER: &str =
    "sequential_order;external_reference;amount;refund_status;refund_detail;payment_id";

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn mercado_pagos_batch_file_runs_as_is_and_its_results_come_back_in_its_columns() {
    let (sb, w) = fresh_with("mp.csv", include_str!("../../samples/mp-batch-refunds.csv"));
    let ran = run(w.mprefund(&sb, &["run", "mp.csv", "--results-format", "mp-batch"]));
    // One payment's state allows no refund (2063): some rows failed.
    assert_eq!(ran.code, 1, "{ran:?}");
    let out = w.path("mp.results.csv");
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(first_line(&bytes).trim_end(), MP_HEADER);
    let rows = read_csv(&out);
    let got: Vec<[&str; 4]> = rows
        .iter()
        .map(|r| {
            [
                r["sequential_order"].as_str(),
                r["external_reference"].as_str(),
                r["amount"].as_str(),
                r["refund_status"].as_str(),
            ]
        })
        .collect();
    assert_eq!(
        got,
        [
            ["1", "DEV-2026-0001", "99,90", "Refunded"],
            ["2", "DEV-2026-0002", "25,00", "Refunded"],
            ["3", "DEV-2026-0003", "80,00", "IN_PROCESS"],
            ["4", "DEV-2026-0004", "35,50", "INVALID"],
        ]
    );
    assert_eq!(rows[3]["payment_id"], "71829306904");
    assert!(
        rows[3]["refund_detail"].contains("2063") && rows[3]["refund_detail"].contains("next:"),
        "{rows:?}"
    );
    // The keys are our own columns' keys: one refund per row, the real amounts.
    assert_eq!(sb.refunds().len(), 3, "{:?}", sb.refunds());

    // The batch keeps its columns: `report` rewrites them byte for byte ...
    std::fs::remove_file(&out).unwrap();
    run(w.bare().args(["report", "--state", ACCOUNT_STATE])).exits(0);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    // ... and the tool's own columns are one flag away.
    run(w.bare().args([
        "report",
        "--state",
        ACCOUNT_STATE,
        "--results-format",
        "mprefund",
        "--out",
        "own.csv",
    ]))
    .exits(0);
    let own = read_csv(&w.path("own.csv"));
    assert_eq!(own[3]["outcome"], "failed");
    assert_eq!(own[3]["external_reference"], "DEV-2026-0004");
    // A format the tool does not write is refused by name.
    let ran = run(w.bare().args([
        "report",
        "--state",
        ACCOUNT_STATE,
        "--results-format",
        "xlsx",
    ]))
    .exits(2);
    assert!(ran.stderr.contains("mp-batch"), "{ran:?}");
}

#[test]
fn the_job_files_results_format_keeps_the_inputs_dialect_and_neutralises_cells() {
    let (sb, w) = fresh();
    // Excel's own: a BOM, `;`, a decimal comma; a formula in a reference, a bad line.
    w.write(
        "in.csv",
        "\u{feff}payment_id;external_reference;amount\r\n\
         71829307101;=HYPERLINK(\"http://x\");10,50\r\n\
         71829307102;R-2;-5\r\n",
    );
    w.write(
        "job.toml",
        "input = \"in.csv\"\nresults_format = \"mp-batch\"\nskip_invalid = true\n",
    );
    run(w.mprefund(&sb, &["run", "--job", "job.toml"])).exits(1);
    let out = w.path("in.results.csv");
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM");
    assert_eq!(first_line(&bytes[3..]).trim_end(), MP_HEADER);
    let rows = read_csv(&out);
    assert_eq!(rows[0]["external_reference"], "'=HYPERLINK(\"http://x\")");
    assert_eq!(rows[0]["amount"], "10,50");
    assert_eq!(rows[0]["refund_status"], "Refunded");
    assert_eq!(rows[1]["refund_status"], "INVALID");
    assert_eq!(rows[1]["payment_id"], "71829307102");
    assert!(
        rows[1]["refund_detail"].contains("line 3")
            && rows[1]["refund_detail"].contains("positive"),
        "{rows:?}"
    );
}
