//! `mprefund console` over HTTP, through the binary:
//! accounts in the state file, login, sessions, CSRF, roles, upload → plan,
//! bad uploads, the audit trail.

use std::io::Write;
use std::process::Stdio;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};

use crate::common::{
    ACCOUNT_STATE, Console, PASSWORD, Work, add_user, add_user_by, ordinary_csv, read_csv, run,
    sandbox,
};
use crate::console_client::{Person, batch_of, browser, csrf_of, login, raw, session_cookie, text};

#[test]
fn accounts_live_in_the_state_file_which_every_command_still_reads() {
    let w = Work::new();
    let state = w.path("s.db");
    let r = add_user(&w, &state, "ana", "approver");
    assert_eq!(r.code, 0, "{r:?}");
    // The file now holds console tables: `run` and `status` take it as a state file.
    let sb = sandbox();
    let input = w.write("in.csv", ordinary_csv(3, 1));
    let s = state.to_str().unwrap();
    let ran = run(w.mprefund(&sb, &["run", input.to_str().unwrap(), "--state", s, "-y"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let status = run(w.bare().args(["status", "--state", s]));
    assert_eq!(status.code, 0, "{status:?}");
    assert_eq!(read_csv(&w.path("in.results.csv")).len(), 3);

    let again = add_user(&w, &state, "ana", "admin");
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("exists already"), "{again:?}");
    let short = {
        let mut cmd = w.bare();
        cmd.args([
            "console",
            "users",
            "add",
            "bob",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .args(["--state", s])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(b"short\n").unwrap();
        child.wait_with_output().unwrap()
    };
    assert_eq!(short.status.code(), Some(2));
    let no_tty = run(w.bare().args([
        "console", "users", "add", "bob", "--role", "admin", "--state", s,
    ]));
    assert_eq!(no_tty.code, 2, "{no_tty:?}");
    assert!(no_tty.stderr.contains("--password-stdin"), "{no_tty:?}");

    let list = run(w.bare().args(["console", "users", "list", "--state", s]));
    assert_eq!(list.code, 0, "{list:?}");
    let ana = list
        .stdout
        .lines()
        .find(|l| l.starts_with("ana "))
        .expect("ana listed");
    assert!(
        ana.contains("approver") && ana.contains("active"),
        "{list:?}"
    );
    assert!(!list.stdout.contains("bob"), "{list:?}");
    let off = run(w
        .bare()
        .args(["console", "users", "disable", "ana", "--state", s]));
    assert_eq!(off.code, 0, "{off:?}");
    let list = run(w.bare().args(["console", "users", "list", "--state", s]));
    assert!(list.stdout.contains("disabled"), "{list:?}");
    let nobody = run(w
        .bare()
        .args(["console", "users", "disable", "nobody", "--state", s]));
    assert_eq!(nobody.code, 2, "{nobody:?}");

    // Only a hash is kept: the password is in none of the state file's bytes.
    for f in std::fs::read_dir(w.dir.path()).unwrap().flatten() {
        let bytes = std::fs::read(f.path()).unwrap_or_default();
        let found = bytes
            .windows(PASSWORD.len())
            .any(|win| win == PASSWORD.as_bytes());
        assert!(!found, "password in clear in {}", f.path().display());
    }
}

#[test]
fn users_default_to_the_accounts_state_file_like_other_commands() {
    let w = Work::new();
    let added = add_user_by(w.bare(), "ana", "admin", None);
    assert_eq!(added.code, 0, "{added:?}");
    assert!(w.path(ACCOUNT_STATE).is_file());
    let list = run(w.bare().args(["console", "users", "list"]));
    assert!(list.stdout.contains("ana"), "{list:?}");
}

#[test]
fn plain_http_beyond_loopback_is_refused() {
    let w = Work::new();
    let r = run(w
        .bare()
        .args(["console", "--state", "s.db", "--listen", "0.0.0.0:0"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--behind-proxy"), "{r:?}");
    assert!(
        r.stderr.contains("--tls-cert"),
        "HTTPS of its own is offered: {r:?}"
    );
}

#[tokio::test]
async fn login_sessions_csrf_and_logout() {
    let (w, state, c) = crate::console_client::tokenless(&[]);
    let anon = Person::nobody(&c);
    let b = &anon.b;

    // Without a session: pages go to the login form, the rest is 401.
    let r = b.get(c.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/login");
    let (s, _) = anon
        .get("/batches/00000000000000000000000000000000.json")
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let csv = b"payment_id,amount\n1,1\n".to_vec();
    let r = anon.upload_with(None, "a.csv", csv, false).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The login form: a session cookie, strict and out of scripts' reach.
    let r = b.get(c.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = crate::console_client::header(&r, SET_COOKIE).to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let form = text(r).await;
    let csrf = csrf_of(&form);
    // A login without the form's token, or with another, is refused.
    for token in ["", "forged"] {
        let r = b
            .post(c.url("/login"))
            .form(&[("user", "sub"), ("password", PASSWORD), ("csrf", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "token {token:?}");
    }
    let r = b
        .post(c.url("/login"))
        .form(&[
            ("user", "sub"),
            ("password", "wrong password!"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(text(r).await.contains("Wrong account name or password"));
    let r = b
        .post(c.url("/login"))
        .form(&[("user", "sub"), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/");
    let new_cookie = crate::console_client::header(&r, SET_COOKIE).to_owned();
    assert_ne!(new_cookie, cookie, "a login gets a new session id");

    let home = b.get(c.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let home = text(home).await;
    let token = csrf_of(&home);
    assert_ne!(token, csrf, "and a new token");
    assert!(home.contains("sub"));

    // Logging out needs the token too; a header does as well as a form field.
    let r = b.post(c.url("/logout")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = b
        .post(c.url("/logout"))
        .header("X-CSRF-Token", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = b
        .post(c.url("/logout"))
        .header("X-CSRF-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/login");
    let r = b.get(c.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the session is gone");

    // A disabled account's session ends on its next request.
    let appr = Person::log_in(&c, "appr").await;
    let off = run(w
        .bare()
        .args(["console", "users", "disable", "appr"])
        .arg("--state")
        .arg(&state));
    assert_eq!(off.code, 0, "{off:?}");
    let (s, _) = appr.get("/").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let r = login(&c, &browser(), "appr", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn five_failed_logins_in_a_row_slow_the_account_down() {
    let (_w, _state, c) = crate::console_client::tokenless(&[]);
    let b = browser();
    for _ in 0..5 {
        let r = login(&c, &b, "sub", "not the password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password now waits.
    let r = login(&c, &b, "sub", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(text(r).await.contains("try again in"));
    // Other accounts are not slowed down.
    let admin = Person::log_in(&c, "boss").await;
    let audit = admin.page("/audit").await;
    // Folded: one line for the account's failed logins of the day, saying how many.
    assert_eq!(audit.matches(">Login refused<").count(), 1, "{audit}");
    assert!(audit.contains("5 times, from "), "{audit}");
    assert!(audit.contains(">Login paused after failures<"), "{audit}");
}

/// A file with good rows, bad ones (one with HTML in it), a duplicate, and a
/// row on a payment an earlier batch refunded.
fn mixed_csv(refunded_payment: &str) -> String {
    format!(
        "payment_id;valor;currency;reference\n\
         1001;10,50;BRL;a\n\
         1002;full;BRL;b\n\
         1003;<script>alert(1)</script>;BRL;c\n\
         1004;1500;CLP;d\n\
         1001;10,50;BRL;a\n\
         {refunded_payment};2,00;BRL;again\n"
    )
}

#[tokio::test]
async fn an_upload_shows_what_plan_shows_escaped() {
    let (w, state) = crate::common::with_users();
    // An earlier batch in the same state file refunded this payment.
    let sb = sandbox();
    let earlier = w.write("earlier.csv", ordinary_csv(1, 7));
    let ran = run(w.mprefund(
        &sb,
        &crate::common::on_state(
            "run",
            earlier.to_str().unwrap(),
            state.to_str().unwrap(),
            &["-y"],
        ),
    ));
    assert_eq!(ran.code, 0, "{ran:?}");
    let refunded = read_csv(&w.path("earlier.results.csv"))[0]["payment_id"].clone();

    let secret = "TEST-console-never-shows-this-0123456789";
    let c = Console::start(&w, &state, &[("MP_ACCESS_TOKEN", secret)]);
    let sub = Person::log_in(&c, "sub").await;
    let name = "../../<img src=x onerror=alert(1)>.csv";
    let r = sub
        .upload(name, mixed_csv(&refunded).into_bytes(), true)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = batch_of(&r);
    assert_eq!(id.len(), 32);

    let page = sub.page(&format!("/batches/{id}")).await;
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{page}"
    );
    assert!(
        page.contains("&#60;img src=x onerror=alert(1)&#62;.csv"),
        "{page}"
    );
    for shown in [
        "semicolon (;)",
        "UTF-8",
        "<td>payment_id</td><td class=\"num\">1</td>",
        "<td>valor</td><td class=\"num\">2</td>",
        // BRL: 10,50 + 10,50 (the duplicate is bad) → 10.50 and one full; CLP 1500.
        // Shown in the page's language (English here), the plain sum beside it.
        "<tr><td>BRL</td><td class=\"num\">2</td><td class=\"num\" data-sum=\"12.50\">R$ 12.50</td><td class=\"num\">1</td></tr>",
        "<tr><td>CLP</td><td class=\"num\">1</td><td class=\"num\" data-sum=\"1500\">$ 1,500</td><td class=\"num\">0</td></tr>",
        "<td class=\"num\">4</td><td>amount",
        "<td class=\"num\">6</td><td>duplicates line 2",
        "Already refunded by an earlier batch (1)",
        // The earlier refund said in words: what, when, in which batch.
        " refunded on ",
        ", in batch “",
        "Bad lines will be skipped",
    ] {
        assert!(page.contains(shown), "{shown:?} not in {page}");
    }
    assert!(
        page.contains(&format!("<td class=\"num\">7</td><td>{refunded}</td>")),
        "{page}"
    );

    let json = sub.json(&id).await;
    assert_eq!(json["state"], "uploaded");
    assert_eq!(json["rows"], 6);
    assert_eq!(json["invalid"], 2);
    assert_eq!(
        json["file"], "<img src=x onerror=alert(1)>.csv",
        "the name only, no path"
    );
    let brl = json["money"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["currency"] == "BRL")
        .unwrap();
    assert_eq!(brl["sum"], "12.50");
    assert_eq!(brl["full_refunds"], 1);

    // Stored under its generated name, inside the uploads folder only.
    let stored: Vec<String> = std::fs::read_dir(w.path("state.db.uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(stored, [format!("{id}.csv")]);
    assert!(
        !w.dir
            .path()
            .parent()
            .unwrap()
            .join("<img src=x onerror=alert(1)>.csv")
            .exists()
    );

    // The batch is in the listing; an unknown one is 404, page or JSON.
    let home = sub.page("/").await;
    assert!(home.contains(&format!("href=\"/batches/{id}\"")), "{home}");
    for path in [
        "/batches/0123456789abcdef0123456789abcdef",
        "/batches/0123456789abcdef0123456789abcdef.json",
        "/batches/..%2F..%2Fstate.db",
        "/nowhere",
    ] {
        let (s, _) = sub.get(path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }

    // The access token reaches no page and no log line.
    let (audit_as_sub, _) = sub.get("/audit").await;
    assert_eq!(
        audit_as_sub,
        StatusCode::FORBIDDEN,
        "a submitter does not read the audit trail"
    );
    assert!(!page.contains(secret) && !home.contains(secret));
    assert!(!json.to_string().contains(secret));
    assert!(!c.log().contains(secret));
}

#[tokio::test]
async fn bad_uploads_get_a_clear_answer_and_nothing_is_kept() {
    let (w, _state, c) = crate::console_client::tokenless(&[]);
    let sub = Person::log_in(&c, "sub").await;
    let (b, csrf) = (&sub.b, &sub.csrf);
    let csv = b"payment_id,amount\n1001,1.00\n".to_vec();

    let workbook = b"PK\x03\x04\x14\0\x06\0rest".to_vec();
    let r = sub.upload("cb.xlsx", workbook, false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(r).await.contains("save it as CSV"));
    let r = sub.upload("empty.csv", Vec::new(), false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(r).await.contains("The file is empty"));
    let r = sub
        .upload("cols.csv", b"name,value\nx,1\n".to_vec(), false)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = text(r).await;
    assert!(body.contains("no payment id column"), "{body}");
    assert!(
        body.contains("payment_id, id_pagamento"),
        "the names to give it: {body}"
    );
    assert!(
        body.contains("cols.csv") && !body.contains("state.db.uploads"),
        "{body}"
    );

    // No token, a wrong one, or the wrong role: 403, and nothing kept.
    for csrf in [None, Some("forged")] {
        let r = sub.upload_with(csrf, "cb.csv", csv.clone(), false).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{csrf:?}");
    }
    let approver = Person::log_in(&c, "appr").await;
    let r = approver.upload("cb.csv", csv.clone(), false).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let kept = |w: &Work| {
        std::fs::read_dir(w.path("state.db.uploads"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert_eq!(kept(&w), 0);

    // Over the cap, told by Content-Length: 413 before the body is sent.
    let answer = raw(
        &c,
        &format!(
            "POST /batches HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nX-CSRF-Token: {csrf}\r\n\
         Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 2147483648\r\n\r\n--XX\r\n",
            session_cookie(b, &c)
        ),
        &[],
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Over the cap, streamed without a length: 413 as it comes, nothing kept.
    let mut chunks = Vec::new();
    let head = "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\npayment_id,amount\n";
    chunks.push(head.as_bytes().to_vec());
    let line = b"1001,1.00\n".repeat(100_000);
    // 60 MB: past the 50 MiB cap.
    for _ in 0..60 {
        chunks.push(line.clone());
    }
    let answer = raw(
        &c,
        &format!(
            "POST /batches HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nX-CSRF-Token: {csrf}\r\n\
         Content-Type: multipart/form-data; boundary=XX\r\nTransfer-Encoding: chunked\r\n\r\n",
            session_cookie(b, &c)
        ),
        &chunks,
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(kept(&w), 0);

    let admin = Person::log_in(&c, "boss").await;
    let audit = admin.page("/audit").await;
    assert_eq!(audit.matches(">Upload refused<").count(), 3, "{audit}");
    assert!(!audit.contains(">Uploaded a file<"), "{audit}");
}

#[tokio::test]
async fn the_audit_trail_records_each_step_and_downloads_neutralised() {
    let (w, _state, c) = crate::console_client::tokenless(&[]);
    let b = browser();
    let r = login(&c, &b, "=HYPERLINK(\"http://evil\")", "x").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let sub = Person::log_in(&c, "sub").await;
    let batch = sub.uploaded("payment_id,amount\n1001,1.00\n", false).await;

    let admin = Person::log_in(&c, "boss").await;
    let page = admin.page("/audit").await;
    for action in [">Logged in<", ">Login refused<", ">Uploaded a file<"] {
        assert!(page.contains(action), "{action} in {page}");
    }
    assert!(page.contains(&format!("/batches/{batch}")), "{page}");
    assert!(page.contains("127.0.0.1:"), "the remote address: {page}");

    let r = admin.fetch("/audit.csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(crate::console_client::header(&r, CONTENT_TYPE).starts_with("text/csv"));
    let body = text(r).await;
    let file = w.write("audit.csv", &body);
    let rows = read_csv(&file);
    assert_eq!(rows[0]["Account"], "'=HYPERLINK(\"http://evil\")", "{body}");
    assert_eq!(rows[0]["What"], "Login refused");
    assert_eq!(rows[0]["Code"], "login_failed");
    let up = rows
        .iter()
        .find(|r| r["Code"] == "upload")
        .expect("upload row");
    assert_eq!(
        (up["Account"].as_str(), up["Batch id"].as_str()),
        ("sub", batch.as_str())
    );
    assert!(up["From"].starts_with("127.0.0.1:"));
    assert_eq!(rows.last().unwrap()["Code"], "audit_download");

    // No route changes the trail.
    let token = csrf_of(&page);
    for method in [
        reqwest::Method::DELETE,
        reqwest::Method::PUT,
        reqwest::Method::POST,
    ] {
        let r = admin
            .b
            .request(method.clone(), c.url("/audit"))
            .header("X-CSRF-Token", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    let again = read_csv(&w.write("audit2.csv", admin.audit_csv().await));
    assert_eq!(
        again.len(),
        rows.len() + 1,
        "one more download, nothing less"
    );
}

/// The pages speak the browser's language: Portuguese,
/// Spanish or English from `Accept-Language`; `?lang=` for one page, changing
/// nothing; a `lang` cookie set by a form that needs the session's CSRF token;
/// amounts in the locale's format and times at `--time-zone`.
#[tokio::test]
async fn pages_speak_the_browsers_language_and_switch_on_request() {
    let (_w, _state, c) = crate::console_client::tokenless(&["--time-zone", "-03:00"]);
    let b = browser();
    let get =
        |path: &str, accept: &str| b.get(c.url(path)).header("accept-language", accept).send();
    let r = get("/login", "pt-BR,pt;q=0.9,en;q=0.5").await.unwrap();
    assert_eq!(r.headers()["content-language"], "pt-BR");
    let page = text(r).await;
    assert!(
        page.contains("<html lang=\"pt-BR\">") && page.contains("Senha"),
        "{page}"
    );
    let page = text(get("/login", "es-AR,es;q=0.9").await.unwrap()).await;
    assert!(page.contains("Contraseña"), "{page}");
    let page = text(get("/login", "de").await.unwrap()).await;
    assert!(page.contains("Password"), "{page}");
    // `?lang=` on a GET: that page only, nothing stored.
    let r = get("/login?lang=es", "pt-BR").await.unwrap();
    assert!(
        r.headers()
            .get(SET_COOKIE)
            .is_none_or(|v| !v.to_str().unwrap().contains("mprefund_lang"))
    );
    assert!(text(r).await.contains("Contraseña"));
    assert!(
        text(get("/login", "pt-BR").await.unwrap())
            .await
            .contains("Senha")
    );

    // The switch needs the session's token ...
    let csrf = csrf_of(&text(get("/login", "pt-BR").await.unwrap()).await);
    let post = |form: Vec<(&'static str, String)>| b.post(c.url("/lang")).form(&form).send();
    let r = post(vec![("lang", "es".into()), ("next", "/login".into())])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(vec![
        ("lang", "es".into()),
        ("next", "/login".into()),
        ("csrf", "forged".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // ... never sends the browser elsewhere ...
    let r = post(vec![
        ("lang", "es".into()),
        ("next", "//evil.example/".into()),
        ("csrf", csrf.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/");
    let cookie = crate::console_client::header(&r, SET_COOKIE).to_owned();
    assert!(
        cookie.contains("mprefund_lang=es") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // ... and is kept over what the browser prefers.
    assert!(
        text(get("/login", "pt-BR").await.unwrap())
            .await
            .contains("Contraseña")
    );

    // Logged in: money in the locale's format, times at the console's offset.
    let sub = Person::log_in(&c, "sub").await;
    let csv = b"payment_id;valor;moeda\n1001;1234,5;BRL\n1002;0,5;BRL\n".to_vec();
    let at = format!("/batches/{}", sub.uploaded_as("in.csv", csv, false).await);
    let page = sub.page_in(&at, "pt-BR").await;
    assert!(page.contains("R$ 1.235,00"), "{page}");
    assert!(
        page.contains("UTC-03:00") && page.contains("Valores por moeda"),
        "{page}"
    );
    let page = sub.page(&format!("{at}?lang=en")).await;
    assert!(
        page.contains("R$ 1,235.00") && page.contains("Money per currency"),
        "{page}"
    );
    // Every cause with its meaning and next step, in the language asked.
    let page = sub.page("/causes?lang=es").await;
    assert!(
        page.contains("2063") && page.contains("requiere una persona"),
        "{page}"
    );
}
