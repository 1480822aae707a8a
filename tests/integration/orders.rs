//! Orders of the Orders API (`/v1/orders`, `ORD…` ids) beside payments, on the
//! one engine: read from the spreadsheet by their own columns or in the id
//! column, keyed by their own content, each row saying which it is.

use crate::common::{Work, run};

const ORD1: &str = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D3";
const ORD2: &str = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D4";
const PAY1: &str = "PAY01J67CQQH5904WDBVZEM4JMEP3";

/// `plan` reads a file that mixes payments and orders (pt-BR headers), says how
/// many rows are orders and which columns it took, and lists the bad order
/// rows with their reasons.
#[test]
fn plan_reads_a_file_mixing_payments_and_orders() {
    let w = Work::new();
    w.write(
        "mixed.csv",
        format!(
            "ID do pagamento;ID do pedido;transaction_id;Valor;Referência\n\
             5000101;;;10,00;CB-1\n\
             ;{ORD1};{PAY1};5,50;CB-2\n\
             {ORD2};;;full;CB-3\n\
             ;ORD-BAD;;1,00;CB-4\n"
        ),
    );
    let ran = run(w.bare().args(["plan", "mixed.csv"]));
    assert_eq!(ran.code, 2, "a bad line: {ran:?}");
    let out = &ran.stdout;
    assert!(out.contains("valid:         3"), "{ran:?}");
    assert!(
        out.contains("1 payment(s), 2 order(s) of the Orders API"),
        "{ran:?}"
    );
    assert!(
        out.contains("order id:    column 2 \"ID do pedido\""),
        "{ran:?}"
    );
    assert!(
        out.contains("transaction id: column 3 \"transaction_id\""),
        "{ran:?}"
    );
    assert!(
        out.contains("line 5: order id \"ORD-BAD\" is not an order of the Orders API"),
        "{ran:?}"
    );
    // Without the bad line the plan is clean.
    let fixed: String = std::fs::read_to_string(w.path("mixed.csv"))
        .unwrap()
        .lines()
        .filter(|l| !l.contains("ORD-BAD"))
        .map(|l| format!("{l}\n"))
        .collect();
    w.write("fixed.csv", fixed);
    let ran = run(w.bare().args(["plan", "fixed.csv"]));
    assert_eq!(ran.code, 0, "{ran:?}");
}

/// A state file of the version before orders (schema 6) is upgraded by the
/// first command that opens it for writing, every row as it was: the batch's
/// results are the same before and after, and the upgraded file is then read
/// by `plan` (which writes nothing) for a file with orders.
#[test]
fn a_state_file_from_before_orders_is_upgraded_with_its_rows_as_they_were() {
    let sb = crate::common::sandbox();
    let w = Work::new();
    w.write("in.csv", crate::common::ordinary_csv(3, 6_100));
    let ran = run(w.mprefund(&sb, &["run", "in.csv", "--state", "s.db", "--yes"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let before = std::fs::read_to_string(w.path("in.results.csv")).unwrap();
    // Back to schema 6: the orders' columns and indexes were not there.
    {
        let c = rusqlite::Connection::open(w.path("s.db")).unwrap();
        c.execute_batch(
            "DROP INDEX rows_by_order; DROP INDEX rows_in_doubt_by_order;
             ALTER TABLE rows DROP COLUMN order_id; ALTER TABLE rows DROP COLUMN transaction_id;
             PRAGMA user_version = 6;",
        )
        .unwrap();
    }
    std::fs::remove_file(w.path("in.results.csv")).unwrap();
    let ran = run(w.bare().args(["report", "--state", "s.db"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        std::fs::read_to_string(w.path("in.results.csv")).unwrap(),
        before
    );
    let version: i64 = rusqlite::Connection::open(w.path("s.db"))
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 7);
    w.write("orders.csv", format!("order_id,amount\n{ORD1},5\n"));
    let plan = run(w.bare().args(["plan", "orders.csv", "--state", "s.db"]));
    assert_eq!(plan.code, 0, "{plan:?}");
}
