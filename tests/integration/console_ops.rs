//! The console as operations run it: HTTPS with a certificate of its
//! own, its settings from the job file, a send whose console was killed
//! (found `stopped`, finished once, by the console or by `run --approved`),
//! refusals in the person's language, progress money in the locale's format.

use std::path::Path;
use std::time::Duration;

use mprefund_sandbox::{Faults, TEST_TOKEN};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, SET_COOKIE};

use crate::common::{
    Console, PASSWORD, Work, ordinary_csv, refunds_per_key, run, sandbox_with, wait_until,
};
use crate::console_client::{Desk, Person, approved, console_on, csrf_of, desk, first_event, text};

/// A self-signed certificate for 127.0.0.1, made now: (cert.pem, key.pem) in `w`.
pub(crate) fn certificate(
    w: &Work,
    name: &str,
) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("a self-signed certificate");
    let pem = made.cert.pem();
    let cert = w.write(&format!("{name}.crt"), &pem);
    let key = w.write(&format!("{name}.key"), made.signing_key.serialize_pem());
    (cert, key, pem)
}

/// A browser that trusts `pem` (and nothing of the machine's), keeps cookies,
/// does not follow redirects.
pub(crate) fn trusting(pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Logs `user` in over `b`; the Set-Cookie headers seen on the way.
async fn log_in(c: &Console, b: &reqwest::Client, user: &str) -> Vec<String> {
    let r = b.get(c.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut cookies: Vec<String> = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let csrf = csrf_of(&text(r).await);
    let r = b
        .post(c.url("/login"))
        .form(&[("user", user), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    cookies.extend(
        r.headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned()),
    );
    cookies
}

#[tokio::test]
async fn https_with_a_certificate_of_its_own_and_secure_cookies() {
    let (w, state) = crate::common::with_users();
    let (cert, key, pem) = certificate(&w, "console");
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let c = Console::start_with(&w, &state, &[], &["--tls-cert", cert, "--tls-key", key]);
    assert!(c.base.starts_with("https://127.0.0.1:"), "{}", c.base);
    let b = trusting(&pem);
    let cookies = log_in(&c, &b, "boss").await;
    assert!(cookies.len() >= 2, "{cookies:?}");
    for cookie in &cookies {
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
    let home = text(b.get(c.url("/")).send().await.unwrap()).await;
    assert!(home.contains("boss"), "logged in over HTTPS: {home}");
    // A client that does not trust the certificate gets no page.
    let stranger = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert!(stranger.get(c.url("/login")).send().await.is_err());
    // Plain HTTP on the HTTPS port is no way in either.
    let plain = c.base.replace("https://", "http://");
    let r = reqwest::get(format!("{plain}/login")).await;
    assert!(r.is_err() || !r.unwrap().status().is_success());
    drop(c);

    // Beyond loopback: HTTPS of its own is enough (nothing is sent to any
    // other address: the test only binds there).
    let mut cmd = w.bare();
    cmd.args(["console", "--state", state.to_str().unwrap()])
        .args([
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
        ]);
    let c = Console::spawn(&w, cmd);
    assert!(c.base.starts_with("https://0.0.0.0:"), "{}", c.base);
}

#[test]
fn bad_certificate_or_key_files_are_named_and_nothing_is_served() {
    let (w, state) = crate::common::with_users();
    let (cert, key, _) = certificate(&w, "one");
    let (_, other_key, _) = certificate(&w, "two");
    let junk = w.write("junk.pem", "not a certificate\n");
    let console = |args: &[&str]| {
        let mut cmd = w.bare();
        cmd.args(["console", "--state", state.to_str().unwrap()])
            .args(["--listen", "127.0.0.1:0"])
            .args(args);
        run(cmd)
    };
    let p = |p: &Path| p.to_str().unwrap().to_owned();
    let missing = w.path("nowhere.crt");
    for (args, says) in [
        (
            vec![
                "--tls-cert".to_owned(),
                p(&missing),
                "--tls-key".into(),
                p(&key),
            ],
            format!("--tls-cert {}", p(&missing)),
        ),
        (
            vec![
                "--tls-cert".to_owned(),
                p(&junk),
                "--tls-key".into(),
                p(&key),
            ],
            "no certificate".to_owned(),
        ),
        (
            vec![
                "--tls-cert".to_owned(),
                p(&cert),
                "--tls-key".into(),
                p(&junk),
            ],
            "no private key".to_owned(),
        ),
        (
            vec![
                "--tls-cert".to_owned(),
                p(&cert),
                "--tls-key".into(),
                p(&other_key),
            ],
            "own key".to_owned(),
        ),
        (
            vec!["--tls-cert".to_owned(), p(&cert)],
            "--tls-key".to_owned(),
        ),
        (
            vec!["--tls-key".to_owned(), p(&key)],
            "--tls-cert".to_owned(),
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = console(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(
            r.stderr.contains(&says),
            "{args:?} should say {says:?}: {r:?}"
        );
        assert!(!r.stdout.contains("listening"), "{r:?}");
    }
}

#[tokio::test]
async fn the_consoles_settings_come_from_the_job_file_under_its_flags() {
    let (w, state) = crate::common::with_users();
    let (_, _, pem) = certificate(&w, "console");
    w.write(
        "job.toml",
        "state = \"state.db\"\nrate = 5\n\n[console]\nlisten = \"127.0.0.1:0\"\n\
         tls_cert = \"console.crt\"\ntls_key = \"console.key\"\ntime_zone = \"-03:00\"\n\
         idle_timeout = 5\napproval_days = 2\n",
    );
    let job = |more: &[&str]| {
        let mut cmd = w.bare();
        cmd.args(["console", "--job", "job.toml"]).args(more);
        cmd
    };
    // The state, the address, HTTPS (paths relative to the job file) and the
    // time zone: all the job's.
    let c = Console::spawn(&w, job(&[]));
    assert!(c.base.starts_with("https://127.0.0.1:"), "{}", c.base);
    let b = trusting(&pem);
    log_in(&c, &b, "boss").await;
    let audit = text(b.get(c.url("/audit")).send().await.unwrap()).await;
    assert!(audit.contains("UTC-03:00"), "{audit}");
    drop(c);
    // A flag beats the job file.
    let c = Console::spawn(&w, job(&["--time-zone", "+02:00"]));
    let b = trusting(&pem);
    log_in(&c, &b, "boss").await;
    let audit = text(b.get(c.url("/audit")).send().await.unwrap()).await;
    assert!(audit.contains("UTC+02:00"), "{audit}");
    drop(c);
    assert!(state.is_file());

    // The job file's values are checked as the flags are.
    for (text, says) in [
        ("[console]\nidle_timeout = 0\n", "idle_timeout"),
        ("[console]\napproval_days = 400\n", "approval_days"),
        ("[console]\ntime_zone = \"Brasília\"\n", "UTC offset"),
        ("[console]\ntls_cert = \"console.crt\"\n", "go together"),
        ("[console]\nlisten = \"0.0.0.0:0\"\n", "--behind-proxy"),
        ("[console]\nlistn = \"127.0.0.1:0\"\n", "listn"),
    ] {
        w.write("bad.toml", format!("state = \"state.db\"\n{text}"));
        let r = run(w.bare().args(["console", "--job", "bad.toml"]));
        assert_eq!(r.code, 2, "{text}: {r:?}");
        assert!(r.stderr.contains(says), "{text} should say {says:?}: {r:?}");
    }
    // A proxy in front, said in the job file: beyond loopback is allowed.
    w.write(
        "proxy.toml",
        "state = \"state.db\"\n[console]\nlisten = \"0.0.0.0:0\"\nbehind_proxy = true\n",
    );
    let c = Console::spawn(&w, {
        let mut cmd = w.bare();
        cmd.args(["console", "--job", "proxy.toml"]);
        cmd
    });
    assert!(c.base.starts_with("http://0.0.0.0:"), "{}", c.base);
}

/// The console's own state of batch `id`, read from the state file (no
/// console needed).
fn stored_state(state: &Path, id: &str) -> String {
    let db = rusqlite::Connection::open(state).unwrap();
    db.query_row(
        "SELECT state FROM console_batches WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

/// `audit.csv` as the admin downloads it.
async fn audit_of(c: &Console) -> String {
    Person::log_in(c, "boss").await.audit_csv().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_whose_console_was_killed_is_found_stopped_and_finished_once() {
    let (w, state) = crate::common::with_users();
    // Slow: a kill lands mid-send, maybe mid-request.
    let sb = sandbox_with(Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    });
    let slow = ["--rate", "2", "--fixed-rate"];
    let c = console_on(&w, &state, &sb, &slow);
    let sub = Person::log_in(&c, "sub").await;
    let a = sub.uploaded(&ordinary_csv(6, 11), false).await;
    let b = sub.uploaded(&ordinary_csv(10, 12), false).await;
    let appr = Person::log_in(&c, "appr").await;
    approved(&sub, &appr, &a, "7.50").await;
    approved(&sub, &appr, &b, "12.50").await;
    appr.stepped(&a, "send", &[]).await;
    wait_until("two refunds", Duration::from_secs(60), || {
        sb.refunds().len() >= 2
    });
    drop(c); // SIGKILL: no graceful stop, no last move.
    assert_eq!(stored_state(&state, &a), "sending");

    // Started again: the batch reads `stopped`, said in the audit trail.
    let c = console_on(&w, &state, &sb, &[]);
    let sub = Person::log_in(&c, "sub").await;
    assert_eq!(sub.json(&a).await["state"], "stopped");
    let audit = audit_of(&c).await;
    assert!(
        crate::console_client::has_line(&audit, &["interrupted", a.as_str()]),
        "{audit}"
    );
    // Sending it again finishes it: the same ledger batch, every row once.
    let appr = Person::log_in(&c, "appr").await;
    appr.stepped(&a, "send", &[]).await;
    let last = sub.in_state(&a, "finished");
    assert_eq!(last["counts"]["refunded"], 6, "{last}");
    assert_eq!(sb.refunds().len(), 6);
    drop(c);

    // A console sending B is alive: `run --approved` leaves B to it.
    let c = console_on(&w, &state, &sb, &["--rate", "1", "--fixed-rate"]);
    let appr = Person::log_in(&c, "appr").await;
    appr.stepped(&b, "send", &[]).await;
    wait_until("a refund of B", Duration::from_secs(60), || {
        sb.refunds().len() >= 7
    });
    let night = || {
        run(w.mprefund(
            &sb,
            &["run", "--state", state.to_str().unwrap(), "--approved"],
        ))
    };
    let r = night();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("no approved batch"), "{r:?}");
    assert_eq!(
        stored_state(&state, &b),
        "sending",
        "not taken from a live console"
    );
    // Killed in turn: tonight's run finds B interrupted and finishes it.
    drop(c);
    assert_eq!(stored_state(&state, &b), "sending");
    let r = night();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains(b.as_str()), "{r:?}");
    assert_eq!(stored_state(&state, &b), "finished");
    assert_eq!(sb.refunds().len(), 16);
    let twice: Vec<_> = refunds_per_key(&sb)
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "refunded twice: {twice:?}");
    let c = console_on(&w, &state, &sb, &[]);
    let audit = audit_of(&c).await;
    assert!(
        crate::console_client::has_line(&audit, &["interrupted", b.as_str()]),
        "{audit}"
    );
    assert!(!audit.contains(TEST_TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_progress_money_speak_the_persons_language() {
    let d = desk(&[]).await;
    let Desk { c, sub, .. } = &d;
    let post = |path: &str, lang: &str, form: Vec<(&'static str, String)>| {
        sub.b
            .post(c.url(path))
            .header(ACCEPT_LANGUAGE, lang.to_owned())
            .form(&form)
            .send()
    };
    let csrf = || vec![("csrf", sub.csrf.clone())];
    let csv = "payment_id,amount,currency,reference\n9000,1.25,BRL,r0\n9001,1.25,BRL,r1\n9002,1.25,BRL,r2\n";
    let id = sub.uploaded(csv, false).await;
    let send = format!("/batches/{id}/send");

    // 409: the same status in every language; the words are the person's.
    let r = post(&send, "pt-BR,pt;q=0.9", csrf()).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.headers()["content-language"].to_str().unwrap(), "pt-BR");
    let body = text(r).await;
    assert!(body.contains("só um lote aprovado é enviado"), "{body}");
    let body = text(post(&send, "en", csrf()).await.unwrap()).await;
    assert!(body.contains("only an approved batch is sent"), "{body}");
    // 404, 403, 422.
    let r = post(
        "/batches/0123456789abcdef0123456789abcdef/send",
        "pt-BR",
        csrf(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A page of the console, with the way back.
    let body = text(r).await;
    assert!(
        body.contains("<p class=\"said\">lote não encontrado</p>") && body.contains("href=\"/\""),
        "{body}"
    );
    let r = post(&send, "es", vec![]).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(text(r).await.contains("código de seguridad"));
    let r = post(&format!("/batches/{id}/submit"), "pt-BR", csrf())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(r).await.contains("digite o total"));

    // Progress: the money as the page's locale writes it, made on the server.
    let appr = Person::log_in(c, "appr").await;
    approved(sub, &appr, &id, "3.75:BRL").await;
    appr.stepped(&id, "send", &[]).await;
    sub.in_state(&id, "finished");
    for (lang, money) in [("pt-BR", "R$ 3,75"), ("en", "R$ 3.75")] {
        let ev = first_event(sub.get_in(&format!("/batches/{id}/events"), lang).await).await;
        assert_eq!(
            ev["refunded_shown"],
            serde_json::json!([money]),
            "{lang}: {ev}"
        );
    }
}
