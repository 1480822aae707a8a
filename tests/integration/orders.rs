//! Orders of the Orders API (`/v1/orders`, `ORD…` ids) beside payments, on the
//! one engine: read from the spreadsheet by their own columns or in the id
//! column, keyed by their own content, each row saying which it is.

use std::collections::HashMap;

use mprefund_sandbox::{Faults, OrderSpec, SandboxHandle};

use crate::common::{
    Stub, Work, findings_by_row, fresh, fresh_with, json, read_csv, reconcile_sent, run,
    sandbox_with,
};

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
    run(w.bare().args(["plan", "fixed.csv"])).exits(0);
}

/// A state file of the version before orders (schema 6) is upgraded by the
/// first command that opens it for writing, every row as it was: the batch's
/// results are the same before and after, and the upgraded file is then read
/// by `plan` (which writes nothing) for a file with orders.
#[test]
fn a_state_file_from_before_orders_is_upgraded_with_its_rows_as_they_were() {
    let (sb, w) = fresh_with("in.csv", crate::common::ordinary_csv(3, 6_100));
    w.ok(&sb, &["run", "in.csv", "--state", "s.db", "--yes"]);
    let before = std::fs::read_to_string(w.path("in.results.csv")).unwrap();
    // Back to schema 6: the orders' columns and indexes were not there, the
    // keys were an index of the rows, statuses were text, batches did not
    // say whether they stand alone and the index of the rows to send did not
    // hold their state.
    {
        let c = rusqlite::Connection::open(w.path("s.db")).unwrap();
        c.execute_batch(
            "DROP INDEX rows_by_order; DROP INDEX rows_in_doubt_by_order;
             ALTER TABLE rows DROP COLUMN order_id; ALTER TABLE rows DROP COLUMN transaction_id;
             DROP TABLE keys; CREATE INDEX rows_by_key ON rows(key);
             UPDATE rows SET refund_status = 'approved' WHERE refund_status = x'';
             ALTER TABLE batches DROP COLUMN isolated_as_of;
             DROP INDEX rows_to_send;
             CREATE INDEX rows_to_send ON rows(batch, row_no) WHERE state IN ('pending', 'sending');
             PRAGMA user_version = 6;",
        )
        .unwrap();
    }
    std::fs::remove_file(w.path("in.results.csv")).unwrap();
    run(w.bare().args(["report", "--state", "s.db"])).exits(0);
    assert_eq!(
        std::fs::read_to_string(w.path("in.results.csv")).unwrap(),
        before
    );
    let version: i64 = rusqlite::Connection::open(w.path("s.db"))
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 10);
    w.write("orders.csv", format!("order_id,amount\n{ORD1},5\n"));
    run(w.bare().args(["plan", "orders.csv", "--state", "s.db"])).exits(0);
}

/// An order id of the sandbox: ordinary for `n` below 900, magic from 900 on.
fn order(n: u16) -> String {
    format!("ORD01JQ4S4KY8HWQ6NA5PXB65B{n:03}")
}

/// The only payment transaction of the sandbox's ordinary order.
fn pay(order: &str) -> String {
    format!("PAY{}001", &order[3..26])
}

/// `mprefund run FILE --state s.db --yes` against the sandbox, `extra` after,
/// the pauses between attempts a millisecond.
fn run_file(w: &Work, sb: &SandboxHandle, file: &str, extra: &[&str]) -> crate::common::Ran {
    let mut args = vec!["run", file, "--state", "s.db", "--yes"];
    args.extend_from_slice(extra);
    run(w.mprefund(sb, &args).env("MPREFUND_TEST_BACKOFF_MS", "1"))
}

/// Refunds of orders in the sandbox, counted by idempotency key.
fn order_refunds_per_key(sb: &SandboxHandle) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in sb.order_refunds() {
        *m.entry(r.idempotency_key).or_default() += 1;
    }
    m
}

fn by_reference(w: &Work, results: &str) -> HashMap<String, HashMap<String, String>> {
    read_csv(&w.path(results))
        .into_iter()
        .map(|r| (r["reference"].clone(), r))
        .collect()
}

/// Partial refunds (the transaction named, or the order's only one read first)
/// and full ones, through injected 500s and connections cut after the commit:
/// each key makes one refund, each row says `refunded` with its `REF…` refund.
/// Run again from a fresh state file, the same rows send no new refund.
#[test]
fn order_refunds_go_through_500s_and_cuts_once_each() {
    let sb = sandbox_with(Faults {
        error_500: 0.3,
        cut_after_commit: 0.3,
        seed: Some(32),
        ..Faults::default()
    });
    let w = Work::new();
    let mut csv = String::from("order_id,transaction_id,amount,reference\n");
    for i in 0..12u16 {
        let o = order(100 + i);
        match i % 3 {
            0 => csv.push_str(&format!("{o},{},10.50,P{i}\n", pay(&o))),
            1 => csv.push_str(&format!("{o},,25,Q{i}\n")),
            _ => csv.push_str(&format!("{o},,full,F{i}\n")),
        }
    }
    w.write("orders.csv", &csv);
    let ran = run_file(&w, &sb, "orders.csv", &["--max-attempts", "12"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let rows = by_reference(&w, "orders.results.csv");
    assert_eq!(rows.len(), 12);
    let made = sb.order_refunds();
    assert_eq!(made.len(), 12, "one refund a row: {made:?}");
    assert!(order_refunds_per_key(&sb).values().all(|&n| n == 1));
    for (reference, r) in &rows {
        assert_eq!(r["outcome"], "refunded", "{reference}: {r:?}");
        let refund = made
            .iter()
            .find(|m| m.id == r["refund_id"])
            .unwrap_or_else(|| panic!("{reference}: refund {} not made", r["refund_id"]));
        assert_eq!(refund.idempotency_key, r["idempotency_key"]);
        let want = match &reference[..1] {
            "P" => "10.5",
            "Q" => "25",
            _ => "100",
        };
        assert_eq!(refund.amount.to_string(), want, "{reference}");
        assert_eq!(r["refunded_amount"], want_text(want), "{reference}");
    }
    // Another machine, a fresh state file: every key replays, nothing new is made.
    sb.set_faults(Faults::default());
    w.ok(&sb, &["run", "orders.csv", "--state", "fresh.db", "--yes"]);
    assert_eq!(sb.order_refunds().len(), 12, "no new refund");
    let rows = by_reference(&w, "orders.results.csv");
    assert!(
        rows.values().all(|r| r["outcome"] == "refunded"),
        "{rows:?}"
    );
}

/// A refunded amount as the results write it (the input's decimal mark, `.`).
fn want_text(amount: &str) -> String {
    let d: rust_decimal::Decimal = amount.parse().unwrap();
    format!("{:.2}", d)
}

/// Every Orders API error the sandbox answers becomes the row's cause, with
/// the outcome it calls for: refusals fail the row; `refund_in_progress` and
/// `resource_locked` are sent again with the same key after a pause and
/// refund; `idempotency_key_already_used` is never sent again and, like
/// `idempotency_validation_failed`, leaves the row in doubt; an order of two
/// transactions asks for the column.
#[test]
fn every_orders_error_becomes_its_cause() {
    let (sb, w) = fresh();
    let ordinary = order(200);
    let rows = [
        (order(900), "", "full", "order_not_found", "failed"),
        (order(901), "", "full", "invalid_order_owner", "failed"),
        (
            order(902),
            "",
            "full",
            "in_store_payment_refund_order",
            "failed",
        ),
        (
            order(903),
            "",
            "5",
            "unsupported_partially_refunds",
            "failed",
        ),
        (
            order(904),
            "",
            "5",
            "partial_refund_forbidden_with_tips",
            "failed",
        ),
        (order(905), "", "full", "", "refunded"),
        (
            order(906),
            "",
            "full",
            "idempotency_key_already_used",
            "unknown",
        ),
        (order(907), "", "full", "", "refunded"),
        (
            order(908),
            "",
            "full",
            "idempotency_validation_failed",
            "unknown",
        ),
        (order(911), "", "5", "transaction_needed", "failed"),
        (order(914), "", "full", "cannot_refund_order", "failed"),
        (
            ordinary.clone(),
            "PAY0000000000000000000000000",
            "5",
            "transaction_not_found",
            "failed",
        ),
        (
            ordinary.clone(),
            "",
            "200",
            "refund_amount_exceeds",
            "failed",
        ),
    ];
    let mut csv = String::from("order_id,transaction_id,amount,reference\n");
    for (i, (o, t, a, _, _)) in rows.iter().enumerate() {
        csv.push_str(&format!("{o},{t},{a},R{i}\n"));
    }
    // Two full refunds of one order: whichever comes second finds nothing left.
    let twice = order(201);
    csv.push_str(&format!("{twice},,full,T1\n{twice},,full,T2\n"));
    w.write("errors.csv", &csv);
    let ran = run_file(&w, &sb, "errors.csv", &["--max-attempts", "2"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let got = by_reference(&w, "errors.results.csv");
    for (i, (o, _, _, code, outcome)) in rows.iter().enumerate() {
        let r = &got[&format!("R{i}")];
        assert_eq!(
            (r["cause_code"].as_str(), r["outcome"].as_str()),
            (*code, *outcome),
            "{o}: {r:?}"
        );
    }
    let mut both =
        [&got["T1"], &got["T2"]].map(|r| (r["outcome"].as_str(), r["cause_code"].as_str()));
    both.sort();
    assert_eq!(
        both,
        [("failed", "order_already_refunded"), ("refunded", "")]
    );
    // The busy ones went again with their key, after their pause.
    assert_eq!(got["R5"]["attempts"], "2");
    assert_eq!(got["R7"]["attempts"], "2");
    // The reused key is not sent again; the failed validation is, with its key.
    assert_eq!(got["R6"]["attempts"], "1");
    assert_eq!(got["R8"]["attempts"], "2");
    assert_eq!(sb.order_refunds().len(), 3, "{:?}", sb.order_refunds());
    // The summary explains the Orders API's codes, never bare.
    assert!(
        ran.stderr.contains("refund_amount_exceeds")
            && ran.stderr.contains("what is left to refund"),
        "{ran:?}"
    );
}

/// What the sandbox never answers on its own: a stub answers the Orders API's
/// other codes, in its shape, and each becomes the row's cause; `unauthorized`
/// stops the run for a person, the row not sent again.
#[test]
fn the_orders_codes_a_stub_answers_become_their_causes() {
    for (status, code, exit) in [
        (400, "empty_required_header", 1),
        (400, "invalid_idempotency_key_length", 1),
        (400, "invalid_path_param", 1),
        (401, "unauthorized", 6),
        (401, "user_not_authorized", 6),
        (400, "invalid_order_status", 1),
        // A refusal whatever its status: not retried as a busy key would be.
        (409, "invalid_order_status", 1),
        (400, "partial_refund_not_allowed_with_cashout", 1),
    ] {
        let body = format!(r#"{{"errors":[{{"code":"{code}","message":"m","details":[]}}]}}"#);
        let stub = Stub::start(move |_, _| json(status, &body));
        let w = Work::new();
        w.write("o.csv", format!("order_id,amount\n{},full\n", order(300)));
        let mut cmd = w.bare();
        cmd.env("MP_ACCESS_TOKEN", "TEST-x").args([
            "run",
            "o.csv",
            "--state",
            "s.db",
            "--yes",
            "--api-base",
            &stub.base(),
        ]);
        let ran = run(cmd);
        assert_eq!(ran.code, exit, "{code}: {ran:?}");
        let rows = read_csv(&w.path("o.results.csv"));
        assert_eq!(rows[0]["cause_code"], code, "{rows:?}");
        assert_eq!(stub.seen().len(), 1, "{code}: sent once");
    }
}

/// A file mixing payments and orders is one batch on one engine: each row
/// refunded by its own API, with its own key, under the same guard — a second
/// spreadsheet on the same order is held for a person, as on a payment.
#[test]
fn a_mixed_file_refunds_payments_and_orders_and_the_guard_holds_both() {
    let (sb, w) = fresh();
    let (o1, o2) = (order(400), order(401));
    w.write(
        "mixed.csv",
        format!(
            "payment_id;amount;reference\n\
             6200001;10,00;CB-1\n\
             {o1};12,50;CB-2\n\
             6200002;full;CB-3\n\
             {o2};full;CB-4\n"
        ),
    );
    w.ok(&sb, &["run", "mixed.csv", "--state", "s.db", "--yes"]);
    let rows = by_reference(&w, "mixed.results.csv");
    assert!(
        rows.values().all(|r| r["outcome"] == "refunded"),
        "{rows:?}"
    );
    assert_eq!(sb.refunds().len(), 2);
    assert_eq!(sb.order_refunds().len(), 2);
    assert!(rows["CB-2"]["refund_id"].starts_with("REF"), "{rows:?}");
    // Each row says which it is; a file of payments keeps its columns.
    let kinds: Vec<&str> = ["CB-1", "CB-2", "CB-3", "CB-4"]
        .iter()
        .map(|r| rows[*r]["refund_kind"].as_str())
        .collect();
    assert_eq!(kinds, ["payment", "order", "payment", "order"]);
    w.write("payments.csv", "payment_id,amount\n6200009,1\n");
    w.ok(&sb, &["run", "payments.csv", "--state", "p.db", "--yes"]);
    assert!(!read_csv(&w.path("payments.results.csv"))[0].contains_key("refund_kind"));
    assert_eq!(rows["CB-2"]["refunded_amount"], "12,50");
    assert!(!rows["CB-1"]["refund_id"].starts_with("REF"));
    // Another spreadsheet asks again on the same order and payment: held.
    w.write(
        "again.csv",
        format!("payment_id;amount;reference\n6200001;1,00;X-1\n{o1};1,00;X-2\n"),
    );
    let ran = run(w.mprefund(&sb, &["run", "again.csv", "--state", "s.db", "--yes"]));
    assert_eq!(ran.code, 2, "refused whole, nothing sent: {ran:?}");
    assert!(
        ran.stderr
            .contains(&format!("order {o1} already has refunds")),
        "{ran:?}"
    );
    assert_eq!(sb.order_refunds().len(), 2);
    w.run_on(&sb, "again.csv", &["--yes", "--skip-invalid"])
        .exits(1);
    let rows = by_reference(&w, "again.results.csv");
    assert_eq!(rows["X-2"]["cause_code"], "order_has_refunds", "{rows:?}");
    assert_eq!(rows["X-1"]["cause_code"], "payment_has_refunds", "{rows:?}");
}

/// A refund Mercado Pago is still making (`processing`) leaves its row in
/// process; once it is made, `reconcile` reads the order back and settles the
/// row refunded. A refund of an order made by hand is found outside the tool,
/// a refund made later failed is the row's rejection, and reconcile sends no
/// POST.
#[test]
fn reconcile_reads_orders_back_and_settles_what_changed() {
    let (sb, w) = fresh();
    let (made, settles, fails_later, by_hand) = (order(500), order(909), order(501), order(502));
    w.write(
        "o.csv",
        format!(
            "order_id,amount,reference\n\
             {made},10,made\n\
             {settles},full,settles\n\
             {fails_later},full,fails\n\
             {by_hand},20,by-hand\n"
        ),
    );
    w.ok(&sb, &["run", "o.csv", "--state", "s.db", "--yes"]);
    let rows = by_reference(&w, "o.results.csv");
    assert_eq!(rows["settles"]["outcome"], "in_process", "{rows:?}");
    assert_eq!(rows["settles"]["refund_status"], "processing");
    // What happens at Mercado Pago afterwards.
    assert_eq!(sb.settle_in_process(), 1);
    let failed = &rows["fails"]["refund_id"];
    sb.change_order_refund(failed, "failed").unwrap();
    let outside = sb.order_refund_by_hand(&by_hand, Some("5.00")).unwrap();
    let posts = sb.stats().posts;

    let ran = reconcile_sent(&w, &["--state", "s.db"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let got = findings_by_row::<HashMap<_, _>>(&w, "o.reconcile.csv");
    assert_eq!(got["1"], "matched", "{got:?}");
    assert_eq!(got["2"], "settled", "{got:?}");
    assert_eq!(got["3"], "rejected_later", "{got:?}");
    assert_eq!(got["4"], "matched", "{got:?}");
    let lines = read_csv(&w.path("o.reconcile.csv"));
    let out: Vec<&HashMap<String, String>> = lines
        .iter()
        .filter(|l| l["finding"] == "outside_refund")
        .collect();
    assert_eq!(out.len(), 1, "{lines:?}");
    assert_eq!(out[0]["refund_id"], outside[0].id);
    assert_eq!(out[0]["mp_payment_id"], by_hand);
    assert_eq!(sb.stats().posts, posts, "no POST from reconcile");
    let rows = by_reference(&w, "o.results.csv");
    assert_eq!(
        (
            rows["settles"]["outcome"].as_str(),
            rows["settles"]["refund_status"].as_str()
        ),
        ("refunded", "processed")
    );
    assert_eq!(rows["fails"]["outcome"], "failed");
    assert_eq!(rows["fails"]["cause_code"], "refund_rejected");
}

/// Rows in doubt on orders are settled by reading the orders back: a refund
/// made with its answer cut is found (`unknown_outcome_found`, refunded), and
/// a row whose key Mercado Pago could not check (`idempotency_validation_failed`)
/// is found not refunded once its last attempt is old enough — never sent with
/// a new key.
#[test]
fn rows_in_doubt_on_orders_are_settled_by_reading_the_orders_back() {
    let sb = sandbox_with(Faults {
        cut_after_commit: 1.0,
        ..Faults::default()
    });
    let w = Work::new();
    let (cut, unchecked) = (order(600), order(908));
    w.write(
        "d.csv",
        format!("order_id,amount,reference\n{cut},full,cut\n{unchecked},full,unchecked\n"),
    );
    let ran = run_file(&w, &sb, "d.csv", &["--max-attempts", "1"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let rows = by_reference(&w, "d.results.csv");
    assert_eq!(rows["cut"]["outcome"], "unknown", "{rows:?}");
    assert_eq!(rows["unchecked"]["outcome"], "unknown", "{rows:?}");
    assert_eq!(
        rows["unchecked"]["cause_code"],
        "idempotency_validation_failed"
    );
    sb.set_faults(Faults::default());
    let ran = reconcile_sent(&w, &["--state", "s.db", "--settle-after", "0"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let got = findings_by_row::<HashMap<_, _>>(&w, "d.reconcile.csv");
    assert_eq!(got["1"], "unknown_outcome_found", "{got:?}");
    assert_eq!(got["2"], "no_refund", "{got:?}");
    let rows = by_reference(&w, "d.results.csv");
    assert_eq!(rows["cut"]["outcome"], "refunded", "{rows:?}");
    assert_eq!(rows["cut"]["refund_id"], sb.order_refunds()[0].id);
    assert_ne!(rows["unchecked"]["outcome"], "unknown", "{rows:?}");
    assert_eq!(sb.order_refunds().len(), 1, "nothing made with a new key");
}

/// `plan --online` reads each order once and predicts its rows: an open
/// chargeback is `charged_back` (a refund too would pay twice), and `run
/// --preflight` holds such a file back, nothing sent.
#[test]
fn plan_online_predicts_orders_and_preflight_holds_a_chargeback() {
    let (sb, w) = fresh_with(
        "p.csv",
        format!(
            "payment_id,order_id,amount,reference\n\
             ,{},10,ok\n\
             ,{},10,charged\n\
             ,{},10,missing\n\
             ,{},10,not-processed\n\
             ,{},150,too-much\n\
             ,{},10,old\n\
             7000001,,10,payment\n",
            order(700),
            order(912),
            order(900),
            order(914),
            order(701),
            order(902),
        ),
    );
    run(w.mprefund(&sb, &["plan", "--online", "p.csv"])).exits(1);
    crate::common::predicts(
        &w,
        "p.plan.csv",
        &[
            ("ok", "ok"),
            ("charged", "charged_back"),
            ("missing", "not_found"),
            ("not-processed", "not_refundable"),
            ("too-much", "exceeds_balance"),
            ("old", "old"),
            ("payment", "ok"),
        ],
    );
    let gets = sb.stats().gets;
    assert_eq!(gets, 7, "each payment and order read once");
    w.write(
        "c.csv",
        format!("order_id,amount\n{},10\n{},10\n", order(912), order(702)),
    );
    let ran = run(w.mprefund(&sb, &["run", "c.csv", "--preflight", "--yes"])).exits(2);
    assert!(ran.stderr.contains("charged_back"), "{ran:?}");
    assert!(sb.order_refunds().is_empty());
}

/// The refunds the sandbox made under `key`, their ids joined as a row
/// records the refunds its one request made (oldest first, `+` between).
fn joint_refund_of(sb: &SandboxHandle, key: &str) -> (String, rust_decimal::Decimal) {
    let made: Vec<_> = sb
        .order_refunds()
        .into_iter()
        .filter(|r| r.idempotency_key == key)
        .collect();
    let ids: Vec<&str> = made.iter().map(|r| r.id.as_str()).collect();
    (ids.join("+"), made.iter().map(|r| r.amount).sum())
}

/// A full refund of an order with several payment transactions is one request
/// that Mercado Pago answers with one refund per transaction: the row records
/// every one of them (their ids together, their amounts summed exactly, an
/// uneven split included), and `reconcile` matches the row against that whole
/// set — no `amount_differs`, none of its refunds taken for one made outside
/// the tool, nothing written to the state file.
#[test]
fn a_full_refund_of_several_transactions_is_the_rows_set_of_refunds() {
    let (sb, w) = fresh();
    let (two, three) = (order(911), order(800));
    sb.declare_order(OrderSpec {
        transactions: 3,
        ..OrderSpec::ordinary(&three)
    });
    w.write(
        "several.csv",
        format!("order_id,amount,reference\n{two},full,two\n{three},full,three\n"),
    );
    let ran = run_file(&w, &sb, "several.csv", &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(sb.order_refunds().len(), 5, "one refund per transaction");
    let rows = by_reference(&w, "several.results.csv");
    for (reference, parts) in [("two", 2), ("three", 3)] {
        let r = &rows[reference];
        assert_eq!(r["outcome"], "refunded", "{reference}: {r:?}");
        let (joint, sum) = joint_refund_of(&sb, &r["idempotency_key"]);
        assert_eq!(joint.split('+').count(), parts, "{reference}: {joint}");
        assert_eq!(r["refund_id"], joint, "{reference}: {r:?}");
        assert_eq!(sum, rust_decimal::Decimal::new(10_000, 2), "{reference}");
        assert_eq!(r["refunded_amount"], "100.00", "{reference}: {r:?}");
        assert_eq!(r["refund_status"], "processed", "{reference}: {r:?}");
        assert_eq!(r["cause_code"], "", "{reference}: {r:?}");
    }
    let ran = reconcile_sent(&w, &["--state", "s.db"]);
    assert_eq!(ran.code, 0, "the books agree: {ran:?}");
    let lines = read_csv(&w.path("several.reconcile.csv"));
    assert_eq!(lines.len(), 2, "one line a row, none outside: {lines:?}");
    for l in &lines {
        assert_eq!(l["finding"], "matched", "{l:?}");
        assert_eq!(l["mp_amount"], "100.00", "{l:?}");
        assert_eq!(l["state_amount"], "100.00", "{l:?}");
        assert_eq!(l["refund_id"], rows[&l["reference"]]["refund_id"], "{l:?}");
    }
    assert!(!ran.stderr.contains("row(s) updated"), "{ran:?}");
}

/// The same refund with its answer cut after Mercado Pago made it: the row is
/// in doubt; reading the order back finds the whole set its request made (not
/// one refund of it, the rest left outside), and the next reconcile matches.
#[test]
fn a_full_refund_of_several_transactions_in_doubt_is_found_whole() {
    let sb = sandbox_with(Faults {
        cut_after_commit: 1.0,
        ..Faults::default()
    });
    let w = Work::new();
    let two = order(911);
    w.write(
        "cut.csv",
        format!("order_id,amount,reference\n{two},full,cut\n"),
    );
    let ran = run_file(&w, &sb, "cut.csv", &["--max-attempts", "1"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(
        by_reference(&w, "cut.results.csv")["cut"]["outcome"],
        "unknown"
    );
    sb.set_faults(Faults::default());
    let ran = reconcile_sent(&w, &["--state", "s.db", "--settle-after", "0"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let lines = read_csv(&w.path("cut.reconcile.csv"));
    assert_eq!(lines.len(), 1, "none outside the tool: {lines:?}");
    assert_eq!(lines[0]["finding"], "unknown_outcome_found", "{lines:?}");
    assert_eq!(lines[0]["mp_amount"], "100.00", "{lines:?}");
    let r = &by_reference(&w, "cut.results.csv")["cut"];
    let (joint, _) = joint_refund_of(&sb, &r["idempotency_key"]);
    assert_eq!(joint.split('+').count(), 2, "{joint}");
    assert_eq!(
        (
            r["outcome"].as_str(),
            r["refund_id"].as_str(),
            r["refunded_amount"].as_str()
        ),
        ("refunded", joint.as_str(), "100.00"),
        "{r:?}"
    );
    let ran = reconcile_sent(&w, &["--state", "s.db"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        read_csv(&w.path("cut.reconcile.csv"))[0]["finding"],
        "matched"
    );
    assert_eq!(sb.order_refunds().len(), 2, "nothing made again");
}

/// The Orders API's refusals of an order's status (`invalid_order_status`) and
/// of a partial refund of an order with a cash withdrawal
/// (`partial_refund_not_allowed_with_cashout`) are typed causes: each row
/// fails with its code, sent once (the same request would meet the same
/// answer), and the summary says what it means and what to do; the order
/// with a cash withdrawal still refunds in full.
#[test]
fn status_and_cashout_refusals_become_their_causes() {
    let (sb, w) = fresh();
    let (status, cashout) = (order(915), order(916));
    w.write(
        "refused.csv",
        format!(
            "order_id,amount,reference\n\
             {status},full,status\n\
             {cashout},5,cashout-partial\n\
             {cashout},full,cashout-full\n"
        ),
    );
    let ran = run_file(&w, &sb, "refused.csv", &["--max-attempts", "3"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let rows = by_reference(&w, "refused.results.csv");
    for (reference, code) in [
        ("status", "invalid_order_status"),
        ("cashout-partial", "partial_refund_not_allowed_with_cashout"),
    ] {
        let r = &rows[reference];
        assert_eq!(
            (
                r["outcome"].as_str(),
                r["cause_code"].as_str(),
                r["attempts"].as_str()
            ),
            ("failed", code, "1"),
            "{reference}: {r:?}"
        );
        assert_eq!(r["retryable"], "false", "{reference}: {r:?}");
    }
    assert_eq!(rows["cashout-full"]["outcome"], "refunded", "{rows:?}");
    assert_eq!(sb.order_refunds().len(), 1, "{:?}", sb.order_refunds());
    for explained in [
        "invalid_order_status",
        "status allows no refund",
        "partial_refund_not_allowed_with_cashout",
        "cash withdrawal",
    ] {
        assert!(ran.stderr.contains(explained), "{explained}: {ran:?}");
    }
}
