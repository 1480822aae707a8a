//! The console's test client: a person at the console over HTTP — a browser of
//! their own (cookies kept, redirects not followed, so the tests see them),
//! logged in with a session and its CSRF token, uploading spreadsheets,
//! taking a batch's steps, reading its pages and its JSON, and waiting (by
//! `wait_until`) for what the console does in the background. Every console
//! test speaks through it.
//!
//! A wait blocks the test's thread while it asks again: a test that waits runs
//! on a multi-threaded runtime (`#[tokio::test(flavor = "multi_thread")]`).

use std::future::Future;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mprefund_sandbox::{SandboxHandle, TEST_TOKEN};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, LOCATION};

use crate::common::{Console, PASSWORD, Work, sandbox, wait_until_seen};

/// How long a test waits for the console's background work (a send, a
/// reading back, payments read): generous, never a timing assertion.
pub(crate) const PATIENCE: Duration = Duration::from_secs(120);

/// A browser: its own cookies, redirects not followed.
pub(crate) struct Browser {
    http: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

impl std::ops::Deref for Browser {
    type Target = reqwest::Client;

    fn deref(&self) -> &reqwest::Client {
        &self.http
    }
}

pub(crate) fn browser() -> Browser {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Browser { http, jar }
}

/// The `<meta name="csrf-token">` of a page.
pub(crate) fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf-token\" content=\"")
        .unwrap_or_else(|| panic!("no csrf meta in {html}"))
        + "name=\"csrf-token\" content=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// Fails unless `page` (named `what` in the failure) shows every one of
/// `said` and none of `unsaid`, naming the phrase that fails.
pub(crate) fn shows(what: &str, page: &str, said: &[&str], unsaid: &[&str]) {
    for s in said {
        assert!(page.contains(s), "{what}: {s:?} not in {page}");
    }
    for s in unsaid {
        assert!(!page.contains(s), "{what}: {s:?} in {page}");
    }
}

/// Whether a line of `text` (an audit CSV) holds every one of `parts`.
pub(crate) fn has_line(text: &str, parts: &[&str]) -> bool {
    text.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

/// The answer's header `name`, as text ("" when it is not one).
pub(crate) fn header(r: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    r.headers()[name].to_str().unwrap_or_default()
}

pub(crate) async fn text(r: reqwest::Response) -> String {
    r.text().await.unwrap()
}

/// The status and the body of an answer.
pub(crate) async fn answer(r: reqwest::Response) -> (StatusCode, String) {
    (r.status(), text(r).await)
}

/// The login form's session and token in `b`.
pub(crate) async fn form_token(c: &Console, b: &reqwest::Client) -> String {
    csrf_of(&text(b.get(c.url("/login")).send().await.unwrap()).await)
}

/// `POST /login` with the form's own token `csrf`.
pub(crate) async fn try_login(
    c: &Console,
    b: &reqwest::Client,
    csrf: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    b.post(c.url("/login"))
        .form(&[("user", user), ("password", password), ("csrf", csrf)])
        .send()
        .await
        .unwrap()
}

/// Logs `user` in with `password`, the form's token fetched first: the answer.
pub(crate) async fn login(
    c: &Console,
    b: &reqwest::Client,
    user: &str,
    password: &str,
) -> reqwest::Response {
    let csrf = form_token(c, b).await;
    try_login(c, b, &csrf, user, password).await
}

/// The first event of a progress stream (`GET /batches/{id}/events`): its data.
pub(crate) async fn first_event(mut r: reqwest::Response) -> serde_json::Value {
    let mut seen = String::new();
    while !seen.contains("\n\n") {
        let chunk = r.chunk().await.unwrap().expect("an event");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = seen
        .lines()
        .find_map(|l| l.strip_prefix("data:"))
        .expect("data line");
    serde_json::from_str(data.trim()).unwrap()
}

/// The batch a redirect goes to (`Location: /batches/{id}`).
pub(crate) fn batch_of(r: &reqwest::Response) -> String {
    let to = r.headers()[LOCATION].to_str().unwrap();
    let id = to
        .strip_prefix("/batches/")
        .unwrap_or_else(|| panic!("not to a batch: {to}"));
    // `?said=…`: what the step did, said on the page.
    id.split('?').next().unwrap_or(id).to_owned()
}

/// The `Cookie` header the browser sends the console (for raw requests).
pub(crate) fn session_cookie(b: &Browser, c: &Console) -> String {
    use reqwest::cookie::CookieStore;
    let url = c.url("/").parse().unwrap();
    let cookies = b.jar.cookies(&url).expect("a session cookie");
    cookies.to_str().unwrap().to_owned()
}

/// Sends `head` and then each of `chunks` as HTTP chunks (stopping when the
/// server hangs up), and returns what the server answered.
pub(crate) fn raw(c: &Console, head: &str, chunks: &[Vec<u8>]) -> String {
    let mut s = std::net::TcpStream::connect(c.addr()).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    for chunk in chunks {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if s.write_all(&framed).is_err() {
            break;
        }
    }
    if !chunks.is_empty() {
        let _ = s.write_all(b"0\r\n\r\n");
    }
    // The status line and headers are the answer: the server may keep the
    // connection open after them, waiting for the rest of a body never sent.
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(n @ 1..) => answer.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// Asks `ask` again, by `wait_until`, until `done` holds of its answer; that
/// answer. A timeout names `what` and the last answer seen.
pub(crate) fn until<T: std::fmt::Debug, F: Future<Output = T>>(
    what: &str,
    ask: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    until_said(what, ask, done, String::new)
}

/// As [`until`]; a timeout says `said()` too (the console's log).
fn until_said<T: std::fmt::Debug, F: Future<Output = T>>(
    what: &str,
    mut ask: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
    said: impl Fn() -> String,
) -> T {
    let rt = tokio::runtime::Handle::current();
    let mut last: Option<T> = None;
    let seen = std::cell::RefCell::new(String::new());
    tokio::task::block_in_place(|| {
        wait_until_seen(
            what,
            PATIENCE,
            || {
                let got = rt.block_on(ask());
                let ok = done(&got);
                *seen.borrow_mut() = format!("{got:?}");
                last = Some(got);
                ok
            },
            || format!("{}\n{}", seen.borrow(), said()),
        )
    });
    last.expect("asked at least once")
}

/// A multipart form: `csrf` when given, `skip_invalid`, the file.
fn file_form(
    csrf: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
    skip: bool,
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    if let Some(t) = csrf {
        form = form.text("csrf", t.to_owned());
    }
    if skip {
        form = form.text("skip_invalid", "1");
    }
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("text/csv")
        .unwrap();
    form.part("file", part)
}

/// A person at the console: their browser and, logged in, the CSRF token of
/// their session. It outlives the console process (a test may restart it).
pub(crate) struct Person {
    base: String,
    log: PathBuf,
    pub b: Browser,
    pub csrf: String,
}

impl Person {
    /// Logged in as `user` (the tests' [`PASSWORD`]).
    pub(crate) async fn log_in(c: &Console, user: &str) -> Person {
        let b = browser();
        let r = login(c, &b, user, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", text(r).await);
        let home = text(b.get(c.url("/")).send().await.unwrap()).await;
        let csrf = csrf_of(&home);
        Person::of(c, b, csrf)
    }

    /// A browser with no session.
    pub(crate) fn nobody(c: &Console) -> Person {
        Person::of(c, browser(), String::new())
    }

    fn of(c: &Console, b: Browser, csrf: String) -> Person {
        Person {
            base: c.base.clone(),
            log: c.log_path().to_owned(),
            b,
            csrf,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What the console logged so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET path`: the answer as it came (its headers, its bytes).
    pub(crate) async fn fetch(&self, path: &str) -> reqwest::Response {
        self.b.get(self.url(path)).send().await.unwrap()
    }

    /// `GET path`: status and body.
    pub(crate) async fn get(&self, path: &str) -> (StatusCode, String) {
        answer(self.b.get(self.url(path)).send().await.unwrap()).await
    }

    /// `GET path` read in `lang` (`Accept-Language`).
    pub(crate) async fn get_in(&self, path: &str, lang: &str) -> reqwest::Response {
        let r = self.b.get(self.url(path)).header(ACCEPT_LANGUAGE, lang);
        r.send().await.unwrap()
    }

    /// The body of `GET path` read in `lang`, whatever its status.
    pub(crate) async fn page_in(&self, path: &str, lang: &str) -> String {
        text(self.get_in(path, lang).await).await
    }

    /// The body of `GET path`, whatever its status.
    pub(crate) async fn page(&self, path: &str) -> String {
        self.get(path).await.1
    }

    /// `GET /batches/{id}.json`.
    pub(crate) async fn json(&self, id: &str) -> serde_json::Value {
        let r = self.b.get(self.url(&format!("/batches/{id}.json")));
        r.send().await.unwrap().json().await.unwrap()
    }

    /// `audit.csv`, as this person downloads it.
    pub(crate) async fn audit_csv(&self) -> String {
        self.page("/audit.csv").await
    }

    /// `POST path` with `fields` and the session's token.
    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        self.post_with(Some(&self.csrf), path, fields).await
    }

    /// `POST path` with `fields` and `csrf` (none, forged, another's).
    pub(crate) async fn post_with(
        &self,
        csrf: Option<&str>,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if let Some(t) = csrf {
            form.push(("csrf", t));
        }
        answer(
            self.b
                .post(self.url(path))
                .form(&form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `POST path` with `fields` and the session's token, read in `lang`.
    pub(crate) async fn post_in(
        &self,
        path: &str,
        lang: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &self.csrf));
        let r = self.b.post(self.url(path)).header(ACCEPT_LANGUAGE, lang);
        r.form(&form).send().await.unwrap()
    }

    /// `POST /batches/{id}/{step}` with `fields` and the session's token.
    pub(crate) async fn step(
        &self,
        id: &str,
        step: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        self.post(&format!("/batches/{id}/{step}"), fields).await
    }

    /// [`Person::step`], which must go through (303, to the batch).
    pub(crate) async fn stepped(&self, id: &str, step: &str, fields: &[(&str, &str)]) {
        let (s, body) = self.step(id, step, fields).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{step}: {body}");
    }

    /// As [`Person::step`], with `csrf` instead of the session's token.
    pub(crate) async fn step_with(
        &self,
        csrf: Option<&str>,
        id: &str,
        step: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let path = format!("/batches/{id}/{step}");
        self.post_with(csrf, &path, fields).await
    }

    /// `POST /batches/{id}/{step}` with a typed total, read in `lang`.
    pub(crate) async fn step_in(
        &self,
        id: &str,
        step: &str,
        total: &str,
        lang: &str,
    ) -> reqwest::Response {
        let path = format!("/batches/{id}/{step}");
        self.post_in(&path, lang, &[("expect_total", total)]).await
    }

    /// `POST /batches` with `bytes` as the file `name` and the session's token.
    pub(crate) async fn upload(&self, name: &str, bytes: Vec<u8>, skip: bool) -> reqwest::Response {
        self.upload_with(Some(&self.csrf), name, bytes, skip).await
    }

    /// As [`Person::upload`], with `csrf` instead of the session's token.
    pub(crate) async fn upload_with(
        &self,
        csrf: Option<&str>,
        name: &str,
        bytes: Vec<u8>,
        skip: bool,
    ) -> reqwest::Response {
        let form = file_form(csrf, name, bytes, skip);
        let r = self.b.post(self.url("/batches")).multipart(form);
        r.send().await.unwrap()
    }

    /// `POST /batches/{id}/report` with `bytes` as the file `name` and `csrf`:
    /// the status, and where it goes (else the body).
    pub(crate) async fn report(
        &self,
        csrf: Option<&str>,
        id: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, String) {
        let form = file_form(csrf, name, bytes, false);
        let path = format!("/batches/{id}/report");
        let r = self.b.post(self.url(&path)).multipart(form);
        let r = r.send().await.unwrap();
        match r.headers().get(LOCATION) {
            Some(to) => (r.status(), to.to_str().unwrap().to_owned()),
            None => answer(r).await,
        }
    }

    /// Uploaded as the file `name`: the new batch's id.
    pub(crate) async fn uploaded_as(&self, name: &str, bytes: Vec<u8>, skip: bool) -> String {
        let r = self.upload(name, bytes, skip).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", text(r).await);
        batch_of(&r)
    }

    /// `csv` uploaded as `cb.csv`: the new batch's id.
    pub(crate) async fn uploaded(&self, csv: &str, skip: bool) -> String {
        self.uploaded_as("cb.csv", csv.as_bytes().to_vec(), skip)
            .await
    }

    /// The reading-back page once no reading is under way.
    pub(crate) fn read_back(&self, id: &str) -> String {
        let path = format!("/batches/{id}/reconcile");
        let done = |(s, page): &(StatusCode, String)| {
            assert_eq!(*s, StatusCode::OK, "{page}");
            !page.contains("data-working")
        };
        until("the reconciliation", || self.get(&path), done).1
    }

    /// `POST /batches/{id}/reconcile`, then the findings page once it is done.
    pub(crate) async fn reconciled(&self, id: &str) -> String {
        self.stepped(id, "reconcile", &[]).await;
        self.read_back(id)
    }

    /// The batch's JSON once `done` holds of it.
    pub(crate) fn wait_for(
        &self,
        id: &str,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let what = format!("batch {id}: {what}");
        until_said(&what, || self.json(id), done, || self.log())
    }

    /// The batch's JSON once it is no longer being sent.
    pub(crate) fn settled(&self, id: &str) -> serde_json::Value {
        self.wait_for(id, "the send to end", |j| j["state"] != "sending")
    }

    /// The batch's JSON once it reads `state`.
    pub(crate) fn in_state(&self, id: &str, state: &str) -> serde_json::Value {
        self.wait_for(id, state, |j| j["state"] == state)
    }

    /// The batch's JSON once the total to type is known (its `full` rows'
    /// payments, or the account's currency, read).
    pub(crate) fn to_type(&self, id: &str) -> serde_json::Value {
        self.wait_for(id, "the total to type", |j| !j["to_type"].is_null())
    }
}

/// A console on `state` that sends to the sandbox `sb` with its token;
/// `more`: its other flags.
pub(crate) fn console_on(w: &Work, state: &Path, sb: &SandboxHandle, more: &[&str]) -> Console {
    let base = sb.base_url();
    let mut args = vec!["--api-base", base.as_str()];
    args.extend_from_slice(more);
    Console::start_with(w, state, &[("MP_ACCESS_TOKEN", TEST_TOKEN)], &args)
}

/// A console without a token (it reads and decides, sends nothing) on a
/// state file with the three accounts of [`state_with_users`]; `more`: its
/// other flags.
pub(crate) fn tokenless(more: &[&str]) -> (Work, PathBuf, Console) {
    let (w, state) = crate::common::with_users();
    let c = Console::start_with(&w, &state, &[], more);
    (w, state, c)
}

/// Two of the same step at once (a double click, two approvers): exactly one
/// goes through, the other is told it is too late.
pub(crate) fn exactly_one(a: &(StatusCode, String), b: &(StatusCode, String)) {
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(
        codes,
        [StatusCode::SEE_OTHER, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
}

/// Submitted by `sub` and approved by `appr`, both typing `total`.
pub(crate) async fn approved(sub: &Person, appr: &Person, id: &str, total: &str) {
    for (who, what) in [(sub, "submit"), (appr, "approve")] {
        who.stepped(id, what, &[("expect_total", total)]).await;
    }
}

/// A console with the three accounts of `state_with_users` on a fresh state
/// file, sending to a sandbox of its own, and `sub` and `appr` logged in.
pub(crate) struct Desk {
    pub w: Work,
    pub state: PathBuf,
    pub sb: SandboxHandle,
    pub c: Console,
    pub sub: Person,
    pub appr: Person,
}

/// A [`Desk`]; `more`: the console's other flags.
pub(crate) async fn desk(more: &[&str]) -> Desk {
    let (w, state) = crate::common::with_users();
    let sb = sandbox();
    let c = console_on(&w, &state, &sb, more);
    let sub = Person::log_in(&c, "sub").await;
    let appr = Person::log_in(&c, "appr").await;
    Desk {
        w,
        state,
        sb,
        c,
        sub,
        appr,
    }
}

/// `bytes` uploaded by `sub` as `name` (bad lines skipped), then submitted and
/// approved by `appr` with the total the batch page gives to type: its id.
pub(crate) async fn approved_upload(
    sub: &Person,
    appr: &Person,
    name: &str,
    bytes: Vec<u8>,
) -> String {
    let id = sub.uploaded_as(name, bytes, true).await;
    let j = sub.to_type(&id);
    let total = j["to_type"].as_str().expect("a total to type").to_owned();
    approved(sub, appr, &id, &total).await;
    id
}

/// As [`sent_upload`], for a file whose rows earlier batches refunded: the
/// submitter confirms it is meant (`repeat_confirmed`).
pub(crate) async fn sent_again(
    sub: &Person,
    appr: &Person,
    name: &str,
    bytes: Vec<u8>,
) -> (String, serde_json::Value) {
    let id = sub.uploaded_as(name, bytes, true).await;
    let j = sub.to_type(&id);
    let total = j["to_type"].as_str().expect("a total to type").to_owned();
    let typed = [("expect_total", total.as_str()), ("repeat_confirmed", "1")];
    sub.stepped(&id, "submit", &typed).await;
    appr.stepped(&id, "approve", &[("expect_total", &total)])
        .await;
    appr.stepped(&id, "send", &[]).await;
    let j = appr.settled(&id);
    (id, j)
}

/// As [`approved_upload`], then sent now by `appr`: the id, and the batch's
/// JSON once its send ended.
pub(crate) async fn sent_upload(
    sub: &Person,
    appr: &Person,
    name: &str,
    bytes: Vec<u8>,
) -> (String, serde_json::Value) {
    let id = approved_upload(sub, appr, name, bytes).await;
    appr.stepped(&id, "send", &[]).await;
    let j = appr.settled(&id);
    (id, j)
}

/// A settlement report of the batch's refunds, as Mercado Pago writes it.
pub(crate) fn settlement(sb: &mprefund_sandbox::SandboxHandle) -> String {
    let today = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let mut s = String::from(
        "SOURCE_ID;TRANSACTION_TYPE;TRANSACTION_AMOUNT;TRANSACTION_CURRENCY;TRANSACTION_DATE;METADATA\n",
    );
    for r in sb.refunds() {
        s.push_str(&format!(
            "{};REFUND;-{};BRL;{today};\"{{\"\"refund_id\"\": {}}}\"\n",
            r.payment_id, r.amount, r.id
        ));
    }
    s
}
