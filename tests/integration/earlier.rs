//! An outage night's batch is never abandoned in silence. `run --job`
//! finishes the job's earlier unfinished batches first, with their own keys, then
//! tonight's; or, told not to, refuses naming them (exit 7).

use mprefund_sandbox::{Faults, TEST_TOKEN};

use crate::common::{Work, fresh, outage, read_csv, run};

/// A job over `tonight.csv` with its own state file, against `base`.
fn job(w: &Work, base: &str, extra: &str) {
    w.write(
        "job.toml",
        format!(
            "input = \"tonight.csv\"\nstate = \"s.db\"\nout = \"tonight.results.csv\"\n\
             api_base = \"{base}\"\nbreaker = 3\nmax_attempts = 2\n{extra}"
        ),
    );
}

fn night(w: &Work) -> crate::common::Ran {
    let mut c = w.bare();
    c.env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .args(["run", "--job"])
        .arg(w.path("job.toml"));
    run(c)
}

fn rows(first: u64, n: u64) -> String {
    let mut s = String::from("payment_id,amount,reference\n");
    for i in 0..n {
        s.push_str(&format!("{},3.00,N-{first}-{i}\n", first + i));
    }
    s
}

#[test]
fn an_outage_nights_batch_is_finished_first_the_next_night() {
    let (sb, w) = fresh();
    job(&w, &sb.base_url(), "");
    // Night 3: every request fails, the breaker opens, the rows stay pending.
    sb.set_faults(outage());
    w.write("tonight.csv", rows(5_100_000, 20));
    let n3 = night(&w);
    assert_eq!(n3.code, 3, "{n3:?}");
    assert!(sb.refunds().is_empty());
    sb.set_faults(Faults::default());

    // Night 4: a new file under the same name. Night 3's rows go first.
    w.write("tonight.csv", rows(5_200_000, 5));
    let n4 = night(&w);
    assert_eq!(n4.code, 0, "{n4:?}");
    assert!(n4.stderr.contains("finishing earlier batch"), "{n4:?}");
    assert_eq!(sb.refunds().len(), 25, "both nights refunded: {n4:?}");
    let first: Vec<u64> = sb.refunds().iter().map(|r| r.payment_id).collect();
    assert!(
        first[..20]
            .iter()
            .all(|p| (5_100_000..5_100_020).contains(p)),
        "the earlier batch first: {first:?}"
    );
    let tonight = read_csv(&w.path("tonight.results.csv"));
    assert_eq!(tonight.len(), 5, "tonight's results are tonight's");
}

#[test]
fn told_not_to_resume_earlier_the_run_refuses_naming_them() {
    let (sb, w) = fresh();
    job(&w, &sb.base_url(), "resume_earlier = false\n");
    sb.set_faults(outage());
    w.write("tonight.csv", rows(5_300_000, 4));
    assert_eq!(night(&w).code, 3);
    sb.set_faults(Faults::default());
    w.write("tonight.csv", rows(5_400_000, 2));
    let n4 = night(&w);
    assert_eq!(n4.code, 7, "{n4:?}");
    assert!(
        n4.stderr.contains("earlier batch(es)") && n4.stderr.contains("4 row(s) to send"),
        "{n4:?}"
    );
    assert!(sb.refunds().is_empty(), "nothing was sent");
}

#[test]
fn an_earlier_batch_past_max_age_is_left_alone_and_said() {
    let (sb, w) = fresh();
    job(&w, &sb.base_url(), "max_age = 0\n");
    sb.set_faults(outage());
    w.write("tonight.csv", rows(5_500_000, 3));
    assert_eq!(night(&w).code, 3);
    sb.set_faults(Faults::default());
    w.write("tonight.csv", rows(5_600_000, 2));
    let n4 = night(&w);
    assert_eq!(n4.code, 0, "{n4:?}");
    assert!(
        n4.stderr.contains("older than --max-age 0 day(s)"),
        "{n4:?}"
    );
    assert_eq!(sb.refunds().len(), 2, "only tonight's");
}
