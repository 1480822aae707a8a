//! The console and the spreadsheet reader under hostile load: what a guesser,
//! a flood of logins, a long name, a wide file, a page of another site or a
//! careless umask can cost — bounded memory, bounded writes, no guessing, no
//! enumeration, private files.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, HeaderMap, LOCATION};

use crate::common::{
    ACCOUNT_STATE, Console, PASSWORD, Stub, Work, add_user_by, json, mode, ordinary_csv, run,
};
use crate::console_client::{Person, browser, form_token, text, try_login};

/// The audit trail as an admin reads it.
async fn audit_page(c: &Console) -> String {
    Person::log_in(c, "boss").await.page("/audit").await
}

/// Audit entries of `action` in the state file, read as another process would.
fn audited(state: &Path, action: &str) -> usize {
    let conn =
        rusqlite::Connection::open_with_flags(state, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row(
        "SELECT count(*) FROM console_audit WHERE action = ?1",
        [action],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as usize
}

/// A file's size, or 0 when there is none.
fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// The peak resident memory of a process still running, in KiB (VmHWM).
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// Runs `cmd` to its end with at most `mib` MiB of data memory (heap, thread
/// stacks: RLIMIT_DATA), as a small machine would: (exit code, stderr). A
/// process that needs more dies on a failed allocation. (Its own peak is not
/// read from its rusage: that counts the test process it was forked from.)
fn run_within(mut cmd: Command, mib: u64) -> (Option<i32>, String) {
    // SAFETY: setrlimit is async-signal-safe and only limits the child.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: mib << 20,
                rlim_max: mib << 20,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.stdin(Stdio::null()).output().expect("spawn");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A header of `columns` cells (the two the reader needs first), one row as wide.
fn wide_csv(columns: usize) -> Vec<u8> {
    let rest = ",x".repeat(columns - 2);
    format!("payment_id,amount{rest}\n7000001,1.00{rest}\n").into_bytes()
}

#[tokio::test]
async fn parallel_guesses_at_one_account_check_at_most_the_free_few() {
    let (_w, state, c) = crate::console_client::tokenless(&[]);
    // One anonymous form's token, sixty guesses at once.
    let b = browser();
    let csrf = form_token(&c, &b).await;
    let guesses = (0..60).map(|i| {
        let (b, csrf, c) = (&b, &csrf, &c);
        async move {
            try_login(c, b, csrf, "sub", &format!("guess number {i}"))
                .await
                .status()
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 5, "{checked} guesses were checked: {answers:?}");
    assert!(
        answers.iter().all(|s| matches!(
            *s,
            StatusCode::UNAUTHORIZED
                | StatusCode::TOO_MANY_REQUESTS
                | StatusCode::SERVICE_UNAVAILABLE
        )),
        "{answers:?}"
    );
    // Checked means audited as a failure; the rest were refused unchecked.
    assert_eq!(audited(&state, "login_failed"), checked);
    assert!(audited(&state, "login_throttled") >= 1);
    // And the right password now waits too (here, the address as well).
    let b = browser();
    let csrf = form_token(&c, &b).await;
    let r = try_login(&c, &b, &csrf, "sub", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(audited(&state, "login"), 0);
}

#[tokio::test]
async fn a_name_no_account_has_is_locked_out_like_an_account() {
    let (_w, _state, c) = crate::console_client::tokenless(&[]);
    let mut seen = Vec::new();
    for name in ["sub", "nobody"] {
        let b = browser();
        let csrf = form_token(&c, &b).await;
        let mut answers = Vec::new();
        for _ in 0..6 {
            let r = try_login(&c, &b, &csrf, name, "not the password").await;
            let status = r.status();
            let retry = r.headers().contains_key("retry-after");
            let body = text(r)
                .await
                .replace(&format!("value=\"{name}\""), "value=\"NAME\"")
                .replace(&csrf, "TOKEN")
                // The seconds to wait may differ by one.
                .replace(|c: char| c.is_ascii_digit(), "");
            answers.push((status, retry, body));
        }
        assert_eq!(answers[5].0, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert!(
            answers[5].1 && answers[5].2.contains("try again in"),
            "{name}"
        );
        seen.push(answers);
    }
    // Status, Retry-After and page alike (the name typed and the token aside).
    assert_eq!(seen[0], seen[1]);
}

#[tokio::test]
async fn logins_from_one_address_are_rate_limited_whatever_the_names() {
    let (_w, _state, c) = crate::console_client::tokenless(&[]);
    let b = browser();
    let csrf = form_token(&c, &b).await;
    let mut limited = None;
    for i in 0..30 {
        let r = try_login(&c, &b, &csrf, &format!("spray{i}"), "some password").await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            let after: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(after >= 1, "{after}");
            limited = Some(i);
            break;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{i}");
    }
    let at = limited.expect("never limited");
    assert!((10..=25).contains(&at), "limited after {at} logins");
}

#[tokio::test]
async fn a_long_name_is_refused_before_anything_is_written() {
    let (_w, state, c) = crate::console_client::tokenless(&[]);
    let b = browser();
    let csrf = form_token(&c, &b).await;
    let wal = state.with_file_name("state.db-wal");
    let before = size(&state) + size(&wal);
    let long = "n".repeat(1 << 20);
    for _ in 0..5 {
        let r = try_login(&c, &b, &csrf, &long, "a password").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = text(r).await;
        assert!(page.contains("64"), "{page}");
        assert!(!page.contains(&long[..100]), "not echoed");
    }
    assert!(
        size(&state) + size(&wal) < before + (256 << 10),
        "the state grew by {} bytes",
        size(&state) + size(&wal) - before
    );
    // 64 characters is still a name: checked, and audited as a failure.
    let r = try_login(&c, &b, &csrf, &"m".repeat(64), "a password").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let audit = audit_page(&c).await;
    assert!(
        !audit.contains(&"n".repeat(65)),
        "no long name in the trail"
    );
    assert!(audit.contains(&"m".repeat(64)));
}

/// The headers every answer must carry; `cached`: a static asset.
fn assert_guarded(h: &HeaderMap, what: &str, cached: bool) {
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ] {
        assert!(csp.contains(part), "{what}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert!(h.contains_key("referrer-policy"), "{what}");
    let cache = h.get(CACHE_CONTROL).map(|v| v.to_str().unwrap().to_owned());
    if cached {
        assert_ne!(cache.as_deref(), Some("no-store"), "{what}");
    } else {
        assert_eq!(cache.as_deref(), Some("no-store"), "{what}");
    }
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_no_page_has_inline_script() {
    let (w, state, c) = crate::console_client::tokenless(&[]);
    let anon = browser();
    for path in [
        "/login",
        "/",
        "/batches/00000000000000000000000000000000.json",
        "/nowhere",
    ] {
        let r = anon.get(c.url(path)).send().await.unwrap();
        assert_guarded(r.headers(), path, false);
    }
    let r = anon.post(c.url("/logout")).send().await.unwrap();
    assert_guarded(r.headers(), "a refused POST", false);
    let sub = Person::log_in(&c, "sub").await;
    let id = sub.uploaded(&ordinary_csv(2, 1), false).await;
    for path in [
        "/".to_owned(),
        format!("/batches/{id}"),
        format!("/batches/{id}.json"),
        "/causes".to_owned(),
    ] {
        let r = sub.fetch(&path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_guarded(r.headers(), &path, false);
        let page = text(r).await;
        assert!(!page.contains("<script>"), "{path}: inline script");
        assert!(!page.contains("style=\""), "{path}: inline style");
    }
    for asset in ["/console.css", "/console.js"] {
        let r = anon.get(c.url(asset)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        assert_guarded(r.headers(), asset, true);
    }
    assert!(
        !anon
            .get(c.url("/login"))
            .send()
            .await
            .unwrap()
            .headers()
            .contains_key("strict-transport-security")
    );

    // Over HTTPS, HSTS too.
    let (cert, key, pem) = crate::console_ops::certificate(&w, "c");
    let tls = Console::start_with(
        &w,
        &state,
        &[],
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let r = crate::console_ops::trusting(&pem)
        .get(tls.url("/login"))
        .send()
        .await
        .unwrap();
    assert_guarded(r.headers(), "https", false);
    assert!(
        r.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

#[tokio::test]
async fn a_post_from_another_origin_is_refused_in_the_persons_language() {
    let (_w, _state, c) = crate::console_client::tokenless(&[]);
    let sub = Person::log_in(&c, "sub").await;
    let foreign: [&[(&str, &str)]; 3] = [
        &[("origin", "http://evil.example")],
        &[("origin", "null")],
        &[("sec-fetch-site", "cross-site")],
    ];
    for headers in foreign {
        let mut req = sub
            .b
            .post(c.url("/logout"))
            .header("accept-language", "pt-BR")
            .form(&[("csrf", sub.csrf.as_str())]);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{headers:?}");
        let said = text(r).await;
        assert!(said.contains("console"), "{said}");
        assert!(said.contains("recusado"), "in Portuguese: {said}");
    }
    // A login form posted from elsewhere is refused the same way.
    let b = browser();
    let login_csrf = form_token(&c, &b).await;
    let r = b
        .post(c.url("/login"))
        .header("origin", "http://evil.example")
        .form(&[
            ("user", "sub"),
            ("password", PASSWORD),
            ("csrf", &login_csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The console's own origin (and the browser saying so) passes.
    let r = sub
        .b
        .post(c.url("/logout"))
        .header("origin", c.base.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf", sub.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/login");
}

/// `mprefund ARGS` under umask 022.
fn under_umask_022(w: &Work) -> Command {
    let mut cmd = w.bare();
    // SAFETY: umask is async-signal-safe; it only sets the child's mask.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    cmd
}

#[tokio::test]
async fn what_the_console_keeps_is_private_whatever_the_umask_and_results_keep_it() {
    let w = Work::new();
    // The account's state file: made with its folder by `console users add`.
    let added = add_user_by(under_umask_022(&w), "sub", "submitter", None);
    assert_eq!(added.code, 0, "{added:?}");
    let state = w.path(ACCOUNT_STATE);
    assert_eq!(mode(state.parent().unwrap()), 0o700);
    assert_eq!(mode(&state), 0o600);
    let mut cmd = under_umask_022(&w);
    cmd.arg("console")
        .arg("--state")
        .arg(&state)
        .args(["--listen", "127.0.0.1:0"]);
    let c = Console::spawn(&w, cmd);
    let sub = Person::log_in(&c, "sub").await;
    let id = sub.uploaded(&ordinary_csv(2, 1), false).await;
    for companion in ["mprefund.db-wal", "mprefund.db-shm"] {
        assert_eq!(mode(&state.with_file_name(companion)), 0o600, "{companion}");
    }
    let uploads = state.with_file_name("mprefund.db.uploads");
    assert_eq!(mode(&uploads), 0o700);
    assert_eq!(mode(&uploads.join(format!("{id}.csv"))), 0o600);
    drop(c);

    // Results are for people: they keep the umask.
    let sb = crate::common::sandbox();
    w.write("in.csv", ordinary_csv(2, 2));
    let mut r = under_umask_022(&w);
    r.env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args([
            "run",
            "in.csv",
            "--state",
            "run.db",
            "-y",
            "--api-base",
            &sb.base_url(),
        ]);
    run(r).exits(0);
    assert_eq!(mode(&w.path("run.db")), 0o600);
    assert_eq!(mode(&w.path("in.results.csv")), 0o644);
}

#[tokio::test]
async fn an_upload_is_removed_days_after_its_batch_ended_and_that_is_audited() {
    let (w, state, c) = crate::console_client::tokenless(&["--upload-days", "0"]);
    let sub = Person::log_in(&c, "sub").await;
    let appr = Person::log_in(&c, "appr").await;
    let ended = sub.uploaded(&ordinary_csv(3, 1), false).await;
    let waiting = sub.uploaded(&ordinary_csv(3, 2), false).await;
    let (s, body) = sub
        .step(&ended, "submit", &[("expect_total", "3.75")])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (s, body) = appr
        .step(&ended, "reject", &[("reason", "wrong file")])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let uploads = state.with_file_name("state.db.uploads");
    assert!(uploads.join(format!("{ended}.csv")).exists());
    drop(c);

    // The console sweeps as it starts (and hourly after).
    let c = Console::start_with(&w, &state, &[], &["--upload-days", "0"]);
    assert!(!uploads.join(format!("{ended}.csv")).exists(), "removed");
    assert!(
        uploads.join(format!("{waiting}.csv")).exists(),
        "not ended: kept"
    );
    let sub = Person::log_in(&c, "sub").await;
    let (s, page) = sub.get(&format!("/batches/{ended}")).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(page.contains("removed"));
    let audit = audit_page(&c).await;
    assert_eq!(
        audit.matches(">Uploaded file removed<").count(),
        1,
        "{audit}"
    );
    drop(c);
    let c = Console::start_with(&w, &state, &[], &["--upload-days", "0"]);
    assert_eq!(
        audit_page(&c)
            .await
            .matches(">Uploaded file removed<")
            .count(),
        1,
        "once"
    );
}

#[tokio::test]
async fn refused_approvals_are_audited() {
    let (_w, _state, c) = crate::console_client::tokenless(&[]);
    let sub = Person::log_in(&c, "sub").await;
    let boss = Person::log_in(&c, "boss").await;
    let id = sub.uploaded(&ordinary_csv(3, 1), false).await;
    sub.stepped(&id, "submit", &[("expect_total", "3.75")])
        .await;
    // A submitter may not approve; an admin may not approve its own.
    let (s, _) = sub.step(&id, "approve", &[("expect_total", "3.75")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let own = boss.uploaded(&ordinary_csv(3, 2), false).await;
    boss.stepped(&own, "submit", &[("expect_total", "3.75")])
        .await;
    let (s, _) = boss.step(&own, "reject", &[("reason", "mine")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let audit = audit_page(&c).await;
    assert_eq!(audit.matches(">Decision refused<").count(), 2, "{audit}");
    assert!(
        audit.contains("Approved: the account&#39;s role may not take this step (submitter)"),
        "{audit}"
    );
    assert!(
        audit.contains("Rejected: the batch is the account&#39;s own"),
        "{audit}"
    );
}

#[test]
fn a_named_pipe_as_token_file_is_refused_at_once() {
    let w = Work::new();
    w.write("in.csv", "payment_id,amount\n7930001,10.00\n");
    let fifo = w.path("token.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut cmd = w.bare();
    cmd.args(["run", "in.csv", "--token-file", fifo.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let status = status.expect("blocked on the pipe");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn a_token_echoed_in_base64_or_cut_short_is_redacted() {
    let w = Work::new();
    w.write("in.csv", "payment_id,amount\n7910001,10.00\n");
    let secret = "TEST-1234567890123456-010203-abcdef0123456789-987654321";
    // base64("Bearer " + secret), and base64url("x:" + secret), by hand.
    let basic =
        "QmVhcmVyIFRFU1QtMTIzNDU2Nzg5MDEyMzQ1Ni0wMTAyMDMtYWJjZGVmMDEyMzQ1Njc4OS05ODc2NTQzMjE=";
    let url = "eDpURVNULTEyMzQ1Njc4OTAxMjM0NTYtMDEwMjAzLWFiY2RlZjAxMjM0NTY3ODktOTg3NjU0MzIx";
    let cut = &secret[..20];
    let stub = Stub::start(move |_, _| {
        json(
            400,
            &format!(
                r#"{{"message":"auth {basic} or {url} from {cut}...","error":"bad_request","status":400,"cause":[{{"code":1,"description":"token {cut}..."}}]}}"#
            ),
        )
    });
    let ran = run(w
        .bare()
        .args(["run", "in.csv", "--state", "s.db", "--max-attempts", "1"])
        .args(["--api-base", &stub.base()])
        .env("MP_ACCESS_TOKEN", secret))
    .exits(1);
    let results = std::fs::read_to_string(w.path("in.results.csv")).unwrap();
    assert!(results.contains("<redacted>"), "{results}");
    let read = |p: &str| std::fs::read(w.path(p)).unwrap_or_default();
    for (what, bytes) in [
        ("results", results.clone().into_bytes()),
        ("state", read("s.db")),
        ("state wal", read("s.db-wal")),
        ("stderr", ran.stderr.clone().into_bytes()),
    ] {
        for s in [&basic[12..40], &url[4..40], cut] {
            assert!(
                !bytes.windows(s.len()).any(|x| x == s.as_bytes()),
                "{s:?} is in the {what}"
            );
        }
    }
}

#[test]
fn a_wide_or_long_spreadsheet_is_refused_with_its_line_in_flat_memory() {
    let w = Work::new();
    // Ten million columns in a 20 MiB header.
    let mut wide = b"payment_id,amount".to_vec();
    wide.extend(std::iter::repeat_n(b",a".as_slice(), 10_000_000).flatten());
    wide.extend_from_slice(b"\n7000001,1.00\n");
    w.write("wide.csv", &wide);
    drop(wide);
    let mut plan = w.bare();
    plan.args(["plan", "wide.csv", "--state", "s.db"]);
    let (code, err) = run_within(plan, 200);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("line 1") && err.contains("more than 1000 columns"),
        "{err}"
    );
    assert!(err.contains("payment_id,amount,a,a"), "an excerpt: {err}");
    assert!(err.len() < 1000, "a short excerpt: {} bytes", err.len());

    // A 30 MiB cell on line 2, without a line end.
    let mut long = b"payment_id,amount\n7000001,".to_vec();
    long.extend(std::iter::repeat_n(b'9', 30 << 20));
    w.write("long.csv", &long);
    drop(long);
    let mut plan = w.bare();
    plan.args(["plan", "long.csv", "--state", "s.db"]);
    let (code, err) = run_within(plan, 200);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("line 2") && err.contains("more than 65536 bytes"),
        "{err}"
    );
    assert!(err.contains("--max-field-bytes"), "{err}");

    // A wide real export passes once the cap is raised, by flag or job key.
    w.write("1200.csv", wide_csv(1200));
    let refused = run(w.bare().args(["plan", "1200.csv", "--state", "s.db"])).exits(2);
    assert!(refused.stderr.contains("--max-columns"), "{refused:?}");
    run(w.bare().args([
        "plan",
        "1200.csv",
        "--state",
        "s.db",
        "--max-columns",
        "1500",
    ]))
    .exits(0);
    w.write(
        "job.toml",
        "input = \"1200.csv\"\nstate = \"s.db\"\nmax_columns = 1500\n",
    );
    run(w.bare().args(["plan", "--job", "job.toml"])).exits(0);
}

#[tokio::test]
async fn a_wide_upload_is_refused_with_its_line_and_the_console_stays_small() {
    let (_w, state, c) = crate::console_client::tokenless(&[]);
    let sub = Person::log_in(&c, "sub").await;
    let mut wide = b"payment_id,amount".to_vec();
    wide.extend(std::iter::repeat_n(b",a".as_slice(), 10_000_000).flatten());
    wide.extend_from_slice(b"\n7000001,1.00\n");
    let r = sub.upload("wide.csv", wide, false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(r).await;
    assert!(
        page.contains("line 1") && page.contains("more than 1000 columns"),
        "{page}"
    );
    let peak = peak_kib(c.pid());
    assert!(peak < 200 << 10, "console peak {} MiB", peak >> 10);
    // Nothing kept of it.
    let uploads = state.with_file_name("state.db.uploads");
    let kept = std::fs::read_dir(&uploads).map_or(0, |d| d.count());
    assert_eq!(kept, 0);
}
