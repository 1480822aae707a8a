//! The console in a real browser: Debian's `chromium`, headless, driven
//! by its `chromedriver` over WebDriver (fantoccini), against the `mprefund
//! console` binary. Assertions are on what a person sees: the text of elements.
//!
//! Invariants: no test touches the network beyond 127.0.0.1 (Chromium starts with
//! every background connection off, a fresh profile each time); chromedriver and
//! the Chromium it starts are killed with their process group when a test ends,
//! passed or failed. A machine without the browser skips these tests with a loud
//! line on stderr, unless `MPREFUND_REQUIRE_BROWSER=1` (CI), where that fails
//! them. `MPREFUND_SCREENSHOTS=DIR` saves a PNG of each page a test names.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::{Console, PASSWORD, Work, state_with_users, wait_until};
use crate::console_client::until;

/// Set to `1` where a missing browser must fail the tests rather than skip them.
const REQUIRE: &str = "MPREFUND_REQUIRE_BROWSER";
/// A folder for the pages' screenshots, when set.
const SCREENSHOTS: &str = "MPREFUND_SCREENSHOTS";

/// How long a page may take to appear. Generous: it only bounds a hang.
const PAGE_WAIT: Duration = Duration::from_secs(60);

/// Chromium flags for a machine with no network: without them Chromium tries
/// to reach Google's services and hangs on the connections.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// The two programs the tests need.
#[derive(Debug)]
struct Programs {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

/// `chromium` and `chromedriver` on `path` (a `PATH` value), or what is missing
/// and how to get it.
fn locate(path: &OsStr) -> Result<Programs, String> {
    let find = |name: &str| {
        std::env::split_paths(path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    };
    match (find("chromium"), find("chromedriver")) {
        (Some(chromium), Some(chromedriver)) => Ok(Programs {
            chromium,
            chromedriver,
        }),
        (chromium, driver) => {
            let missing: Vec<&str> = [
                chromium.is_none().then_some("chromium"),
                driver.is_none().then_some("chromedriver"),
            ]
            .into_iter()
            .flatten()
            .collect();
            Err(format!(
                "{} not found on PATH; install Debian's packages: \
                 apt-get install chromium chromium-driver",
                missing.join(" and ")
            ))
        }
    }
}

/// The programs, or `None` after a loud "skipped" line on `loud`; a panic
/// instead when `required` (CI must never pass without having run the browser).
fn programs_or_skip(
    test: &str,
    found: Result<Programs, String>,
    required: bool,
    loud: &mut dyn Write,
) -> Option<Programs> {
    match found {
        Ok(p) => Some(p),
        Err(why) if required => {
            panic!("{REQUIRE}=1 and the browser test {test} cannot run: {why}")
        }
        Err(why) => {
            // libtest's own summary counts a skipped test as passed: the count
            // so far is said on every skip, so the last line gives the total.
            let n = SKIPPED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let _ = writeln!(
                loud,
                "\n*** skipped: browser test {test}: {why} (set {REQUIRE}=1 to fail instead) ***\n\
                 *** browser tests skipped so far: {n} (counted as passed by the summary below) ***\n"
            );
            None
        }
    }
}

/// Browser tests skipped in this process (see [`programs_or_skip`]).
static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn required() -> bool {
    std::env::var(REQUIRE).is_ok_and(|v| v == "1")
}

/// chromedriver on a port of 127.0.0.1, in its own process group (the Chromium
/// it starts joins it); the whole group is killed when dropped.
struct Driver {
    child: Child,
    port: u16,
    /// Its output, for the message of a test that fails to get a session.
    log: String,
}

impl Driver {
    fn start(w: &Work, exe: &Path) -> Driver {
        // chromedriver takes no --port=0: a port free a moment ago, and another
        // one should something take it before chromedriver binds it.
        let mut said = String::new();
        for attempt in 0..5 {
            let port = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
                l.local_addr().expect("addr").port()
            };
            let log = format!("chromedriver-{attempt}");
            let mut cmd = Command::new(exe);
            cmd.arg(format!("--port={port}")).stdin(Stdio::null());
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            let mut child = w.spawn(cmd, &log);
            let mut exited = false;
            wait_until("chromedriver to listen", PAGE_WAIT, || {
                exited = child.try_wait().expect("try_wait").is_some();
                exited || w.log(&log).contains("started successfully")
            });
            if !exited {
                return Driver { child, port, log };
            }
            // Reaped already: nothing of it to kill.
            said = w.log(&log);
        }
        panic!("chromedriver would not start; it said: {said}");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group this test started: its leader is
        // our child, unreaped until the wait below, so the id names no other group.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// A headless Chromium looking at one console.
struct Browser {
    client: Client,
    base: String,
    shots: Option<PathBuf>,
    // Dropped last: the session's browser goes with its driver's process group.
    _driver: Driver,
}

impl Browser {
    /// A fresh Chromium at `console`, or `None` (skipped) without one.
    async fn open(w: &Work, console: &Console) -> Option<Browser> {
        Browser::open_as(w, console, "en-US", 1280).await
    }

    /// [`Browser::open`] in language `lang` (`pt-BR`), `width` pixels wide.
    async fn open_as(w: &Work, console: &Console, lang: &str, width: u32) -> Option<Browser> {
        let height = if width < 500 { 860 } else { 1100 };
        Browser::open_sized(w, console, lang, width, height).await
    }

    /// [`Browser::open_as`], the window `height` pixels high (a tall one shows
    /// a whole page in one screenshot).
    async fn open_sized(
        w: &Work,
        console: &Console,
        lang: &str,
        width: u32,
        height: u32,
    ) -> Option<Browser> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        // libtest names the test's thread after the test. The line goes straight
        // to the process's stderr: the harness keeps a passing test's
        // `eprintln!` to itself, and a skip must not go unseen.
        let test = std::thread::current().name().unwrap_or("?").to_owned();
        let programs = programs_or_skip(&test, locate(&path), required(), &mut std::io::stderr())?;
        let driver = Driver::start(w, &programs.chromedriver);
        // Two browsers of one test each have a profile of their own.
        let profile = w.path(&format!("chromium-profile-{lang}-{width}"));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={width},{height}"));
        args.push(format!("--lang={lang}"));
        let mut caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": programs.chromium,
                "args": args,
                // The pages speak the browser's language.
                "prefs": { "intl.accept_languages": lang },
            },
        });
        // A window is at least 500 px wide: a phone's screen is emulated.
        if width < 500 {
            caps["goog:chromeOptions"]["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 },
            });
        }
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("no WebDriver session: {e}\n{}", w.log(&driver.log)));
        let shots = std::env::var_os(SCREENSHOTS).map(PathBuf::from);
        Some(Browser {
            client,
            base: console.base.clone(),
            shots,
            _driver: driver,
        })
    }

    /// Ends the session (Chromium exits); the driver goes when dropped.
    async fn quit(self) {
        let Browser {
            client, _driver, ..
        } = self;
        let _ = client.close().await;
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    /// The path of the page shown.
    async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_owned()
    }

    /// Waits for an element the next page has.
    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!(
                "no {css} on {}: {e}\n{}",
                self.path().await,
                self.client.source().await.unwrap_or_default()
            ),
        }
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    /// The text a person sees in the first element `css` selects.
    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// The text of every element `css` selects, in page order, its runs of white
    /// space (line breaks the layout makes) read as one space.
    async fn texts(&self, css: &str) -> Vec<String> {
        let found = self
            .client
            .execute(
                "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.replace(/\\s+/g, ' ').trim());",
                vec![json!(css)],
            )
            .await
            .expect("texts");
        serde_json::from_value(found).expect("strings")
    }

    /// The body rows of the table in the card headed `heading` (its h1 or h2
    /// starts so), each the text of its cells; `None` when there is no such card.
    async fn table(&self, heading: &str) -> Option<Vec<Vec<String>>> {
        let found = self
            .client
            .execute(
                "const card = [...document.querySelectorAll('section')].find(s => {\
                   const h = s.querySelector('h1, h2');\
                   return h && h.innerText.trim().startsWith(arguments[0]);\
                 });\
                 if (!card) return null;\
                 return [...card.querySelectorAll('tbody tr')]\
                   .map(tr => [...tr.cells].map(td => td.innerText.replace(/\\s+/g, ' ').trim()));",
                vec![json!(heading)],
            )
            .await
            .expect("table");
        serde_json::from_value(found).expect("rows")
    }

    /// Saves a PNG of what the window shows as `NAME.png` in the screenshots
    /// folder, when one is set.
    async fn screenshot(&self, name: &str) {
        let Some(dir) = &self.shots else { return };
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(dir).expect("screenshots dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// No script from the data ran: every cell and file name the tests inject
    /// sets `window.__pwned` if it runs. Nor is any of it an element of the page
    /// (an `onerror` yet to fire would still be there).
    async fn assert_no_script_ran(&self) {
        let seen = self
            .client
            .execute(
                "return [typeof window.__pwned, \
                   document.querySelectorAll('main img, main script, [onerror]').length];",
                vec![],
            )
            .await
            .expect("execute");
        assert_eq!(
            seen,
            json!(["undefined", 0]),
            "injected markup on {}",
            self.path().await
        );
    }

    /// Logs `user` in through the form; on the home page after.
    async fn login(&self, user: &str, password: &str) {
        self.goto("/login").await;
        self.wait_for("form[action='/login'] input[name=user]")
            .await
            .send_keys(user)
            .await
            .expect("type the account");
        self.find("form[action='/login'] input[name=password]")
            .await
            .send_keys(password)
            .await
            .expect("type the password");
        self.find("form[action='/login'] button[type=submit]")
            .await
            .click()
            .await
            .expect("log in");
        self.wait_for("form.who").await;
        assert_eq!(self.path().await, "/", "a login lands on the batches");
        assert!(
            self.text("form.who span").await.starts_with(user),
            "logged in as {user}"
        );
    }

    async fn logout(&self) {
        self.find("form.who button")
            .await
            .click()
            .await
            .expect("log out");
        self.wait_for("form[action='/login']").await;
    }

    /// Types `text` into the field `css` of the page and presses the button of
    /// its form; waits for the page after (its state label).
    async fn fill_and_press(&self, css: &str, text: &str) {
        self.wait_for(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
        self.press(&format!("form:has({css}) button[type=submit]"))
            .await;
    }

    /// Clicks the button `css` and waits for the page after (a batch page or
    /// a results page: each has a state label in its heading) — the next one:
    /// the page clicked on has such a label too.
    async fn press(&self, css: &str) {
        let before = self.find("html").await;
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
        let gone = || async { before.tag_name().await.is_err() };
        until(&format!("the page after {css}"), gone, |gone| *gone);
        self.wait_for("section.card h1 .state").await;
    }

    /// Fails when a table `css` selects scrolls sideways: its sentences
    /// wrap under its rows instead (a phone reads them without scrolling).
    async fn fits(&self, css: &str) {
        let wide = self
            .client
            .execute(
                "return [...document.querySelectorAll(arguments[0])]\
                 .filter(t => t.scrollWidth > t.clientWidth).map(t => t.id);",
                vec![json!(css)],
            )
            .await
            .expect("the tables");
        assert_eq!(wide, json!([]), "{css} scrolls sideways");
    }

    /// Batch `id`'s books read back from its reconciliation page: the
    /// findings shown (the page refreshes itself until they are).
    async fn read_books_back(&self, id: &str) {
        self.goto(&format!("/batches/{id}/reconcile")).await;
        self.wait_for(&format!("form[action='/batches/{id}/reconcile'] button"))
            .await
            .click()
            .await
            .expect("reconcile");
        self.wait_for("#findings").await;
    }

    /// Waits until the batch page's state label reads `state` (the progress
    /// script reloads the page when sending ends).
    fn wait_for_state(&self, state: &str) {
        let label = || async {
            self.client
                .execute(
                    "const e = document.querySelector('section.card h1 .state');\
                     return e ? e.innerText.trim() : '';",
                    vec![],
                )
                .await
                .unwrap_or(Value::Null)
        };
        let what = format!("the batch to read {state:?}");
        until(&what, label, |now| *now == json!(state));
    }

    /// What the page's own session downloads from `path` (a `fetch` in the
    /// page: the browser's cookie, as a click on the link would send it).
    /// The bytes as sent: a text decoder would drop a BOM.
    async fn download(&self, path: &str) -> Vec<u8> {
        let got = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 fetch(arguments[0]).then(r => r.arrayBuffer())\
                   .then(b => done(Array.from(new Uint8Array(b))), e => done('failed: ' + e));",
                vec![json!(path)],
            )
            .await
            .expect("download");
        serde_json::from_value(got.clone()).unwrap_or_else(|_| panic!("download {path}: {got}"))
    }

    /// Uploads `file` through the home page's form, ticking "skip the bad lines"
    /// when asked; the batch id of the plan page shown after.
    async fn upload(&self, file: &Path, skip_bad: bool) -> String {
        self.goto("/").await;
        let file = file.canonicalize().expect("file to upload");
        self.wait_for("form.upload input[type=file]")
            .await
            .send_keys(file.to_str().expect("utf-8 path"))
            .await
            .expect("choose the file");
        if skip_bad {
            self.find("form.upload input[name=skip_invalid]")
                .await
                .click()
                .await
                .expect("tick skip");
        }
        self.find("form.upload button[type=submit]")
            .await
            .click()
            .await
            .expect("upload");
        self.wait_for("section.card h1 .state").await;
        let path = self.path().await;
        path.strip_prefix("/batches/")
            .unwrap_or_else(|| panic!("the plan page, not {path}"))
            .to_owned()
    }
}

#[test]
fn a_missing_browser_is_named_and_fails_only_where_required() {
    let empty = tempfile::tempdir().unwrap();
    let why = locate(empty.path().as_os_str()).unwrap_err();
    assert!(why.contains("chromium and chromedriver"), "{why}");
    assert!(
        why.contains("apt-get install chromium chromium-driver"),
        "{why}"
    );
    let mut said = Vec::new();
    assert!(programs_or_skip("t", Err(why.clone()), false, &mut said).is_none());
    let said = String::from_utf8(said).unwrap();
    assert!(
        said.contains(&format!("*** skipped: browser test t: {why}"))
            && said.contains("*** browser tests skipped so far: "),
        "{said}"
    );
    let failed =
        std::panic::catch_unwind(|| programs_or_skip("t", Err(why.clone()), true, &mut Vec::new()))
            .expect_err("required: a failure");
    let said = failed.downcast_ref::<String>().unwrap();
    assert!(said.contains(REQUIRE) && said.contains(&why), "{said}");

    let bin = tempfile::tempdir().unwrap();
    std::fs::write(bin.path().join("chromium"), "").unwrap();
    let why = locate(bin.path().as_os_str()).unwrap_err();
    assert!(why.starts_with("chromedriver not found"), "{why}");
}

/// The sample with three bad lines, two of them carrying script.
fn sample_with_bad_lines() -> Vec<u8> {
    let mut bytes = std::fs::read(sample()).expect("the sample");
    bytes.extend_from_slice(
        "Olga Dias;doze reais;71829304018;Arrependimento;CB-2026-1116;BRL;;\r\n\
         <script>window.__pwned=2</script>;<img src=x onerror=window.__pwned=3>;71829304019;Fraude;CB-2026-1117;BRL;;\r\n\
         Paula Reis;<script>window.__pwned=4</script>;71829304020;Fraude;CB-2026-1118;BRL;;\r\n"
            .as_bytes(),
    );
    bytes
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/chargebacks-ptbr.csv")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_submitter_uploads_the_sample_and_an_approver_reads_the_audit_trail() {
    let w = Work::new();
    // An admin makes the accounts on the command line (`console users add
    // --password-stdin`): a submitter, an approver and an admin.
    let state = state_with_users(&w);
    let c = Console::start(&w, &state, &[]);
    let Some(b) = Browser::open(&w, &c).await else {
        return;
    };

    // Without a session the console shows the login form.
    b.goto("/").await;
    b.wait_for("form[action='/login']").await;
    assert_eq!(b.path().await, "/login");
    assert_eq!(b.text("h1").await, "Log in");
    b.screenshot("login").await;
    b.login("sub", PASSWORD).await;

    // The sample as finance gets it: the plan's figures and how it was read.
    let clean = b.upload(&sample(), false).await;
    assert!(b.text("h1").await.starts_with("chargebacks-ptbr.csv"));
    assert_eq!(b.text("h1 .state").await, "uploaded");
    assert_eq!(
        b.texts(".figures > div").await,
        [
            "15 rows",
            "15 good",
            "0 bad",
            "0 already refunded by earlier batches",
            "0 blank lines skipped"
        ]
    );
    assert_eq!(
        b.table("Money per currency").await.expect("money"),
        [["BRL", "14", "R$ 681.89", "1"]]
    );
    assert_eq!(b.table("Bad lines").await, None, "the sample has none");
    assert_eq!(
        b.texts("dl.facts dd").await,
        ["UTF-8 with BOM", "semicolon (;)", "8"]
    );
    let taken = b.table("How the file was read").await.expect("columns");
    for column in [
        ["payment id", "ID Pagamento", "3"],
        ["amount", "Valor", "2"],
    ] {
        assert!(
            taken.contains(&column.map(String::from).to_vec()),
            "{column:?} in {taken:?}"
        );
    }
    b.screenshot("plan").await;

    // Bad lines are listed with what to fix; script in a cell or in the file
    // name is shown as text and never runs.
    let poisoned = w.write(
        "<img src=x onerror=window.__pwned=1>.csv",
        sample_with_bad_lines(),
    );
    let bad = b.upload(&poisoned, true).await;
    assert_ne!(bad, clean);
    assert!(
        b.text("h1")
            .await
            .starts_with("<img src=x onerror=window.__pwned=1>.csv"),
        "the file name as text"
    );
    assert_eq!(
        b.texts(".figures > div").await[..3],
        ["18 rows", "15 good", "3 bad"]
    );
    assert!(
        b.text("section.card p.muted")
            .await
            .contains("Bad lines will be skipped.")
    );
    assert_eq!(
        b.table("Money per currency").await.expect("money"),
        [["BRL", "14", "R$ 681.89", "1"]],
        "the bad lines add nothing"
    );
    let lines = b.table("Bad lines (3)").await.expect("bad lines");
    let numbers: Vec<&str> = lines.iter().map(|l| l[0].as_str()).collect();
    assert_eq!(numbers, ["17", "18", "19"], "{lines:?}");
    for (line, cell) in lines.iter().zip([
        "doze reais",
        "<img src=x onerror=window.__pwned=3>",
        "<script>window.__pwned=4</script>",
    ]) {
        assert!(line[1].contains(cell), "{cell:?} shown in {line:?}");
    }
    b.assert_no_script_ran().await;
    b.screenshot("plan-bad-lines").await;
    b.logout().await;

    // The approver sees the same plan, and the audit trail of it all.
    b.login("appr", PASSWORD).await;
    b.goto(&format!("/batches/{bad}")).await;
    b.wait_for(".figures").await;
    assert_eq!(
        b.texts(".figures > div").await[..3],
        ["18 rows", "15 good", "3 bad"]
    );
    b.assert_no_script_ran().await;
    b.find("header nav a[href='/audit']")
        .await
        .click()
        .await
        .expect("to the audit trail");
    b.wait_for("h1").await;
    assert_eq!(b.text("h1").await, "Audit trail");
    let trail = b.table("Audit trail").await.expect("entries");
    // Newest first: When, Account, What, From, Batch, Detail.
    let steps: Vec<(&str, &str, &str)> = trail
        .iter()
        .map(|e| (e[1].as_str(), e[2].as_str(), e[4].as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("appr", "Logged in", ""),
            ("sub", "Logged out", ""),
            (
                "sub",
                "Uploaded a file",
                "<img src=x onerror=window.__pwned=1>.csv"
            ),
            ("sub", "Uploaded a file", "chargebacks-ptbr.csv"),
            ("sub", "Logged in", ""),
        ],
        "{trail:?}"
    );
    assert!(
        trail.iter().all(|e| e[3].starts_with("127.0.0.1:")),
        "{trail:?}"
    );
    b.assert_no_script_ran().await;
    b.screenshot("audit").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_four_eyes_send_results_retry_and_the_audit_trail_in_a_browser() {
    let (w, state) = crate::common::with_users();
    let sb = crate::common::sandbox();
    // One payment answers 500 until it is healed: its row fails, retryable.
    let sick = 71_829_304_012u64;
    sb.fail_payment(sick, 500);
    let base = sb.base_url();
    let c = Console::start_with(
        &w,
        &state,
        &[("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)],
        &["--api-base", &base, "--rate", "10", "--max-attempts", "2"],
    );
    let Some(b) = Browser::open(&w, &c).await else {
        return;
    };

    // A submitter uploads the sample, reads its totals, and submits them.
    b.login("sub", PASSWORD).await;
    let id = b.upload(&sample(), false).await;
    // The full row's payment read back (100.00 left): its money is in the total
    // to type (the page comes back by itself until it is read).
    assert_eq!(
        b.wait_for("#to-type").await.text().await.unwrap(),
        "R$ 781.89"
    );
    assert_eq!(
        b.table("Money per currency").await.expect("money"),
        [["BRL", "14", "R$ 681.89", "1"]]
    );
    assert_eq!(b.texts(".figures > div").await[2], "0 bad");
    b.fill_and_press("#submit-total", "781.89:BRL").await;
    assert_eq!(b.text("h1 .state").await, "submitted");
    b.screenshot("flow-submitted").await;
    b.logout().await;

    // An approver types the total again and approves; then sends.
    b.login("appr", PASSWORD).await;
    b.goto(&format!("/batches/{id}")).await;
    b.fill_and_press("#approve-total", "781.89:BRL").await;
    assert_eq!(b.text("h1 .state").await, "approved");
    b.press(&format!(
        "form[action='/batches/{id}/send']:not(:has(input[name=canary])) button"
    ))
    .await;
    b.wait_for("#progress").await;
    b.screenshot("flow-sending").await;
    b.wait_for_state("finished");
    // Every row done: the progress box says so once sending ended.
    assert_eq!(
        (b.text("#p-done").await, b.text("#p-total").await),
        ("15".to_owned(), "15".to_owned())
    );
    assert!(
        b.text("#p-money").await.contains("R$"),
        "money refunded shown"
    );
    b.screenshot("flow-finished").await;

    // The results: the failed rows filtered, one page of them.
    b.press("#results-link").await;
    b.press("a[data-filter=failed]").await;
    let rows = b.texts("#results tbody tr").await;
    assert_eq!(
        rows.len(),
        6,
        "five refused for good and the sick one: {rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.contains(&sick.to_string())),
        "{rows:?}"
    );
    b.screenshot("flow-results-failed").await;

    // Downloaded as the file came: BOM, semicolons, decimal commas.
    let bytes = b.download(&format!("/batches/{id}/results.csv")).await;
    let csv = String::from_utf8(bytes).expect("UTF-8");
    assert!(csv.starts_with('\u{feff}'), "{csv:.80}");
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains("ID Pagamento;") && header.contains(";outcome;"),
        "{header}"
    );
    assert!(csv.contains(";99,99;"), "decimal comma kept");

    // The payment heals; the failed rows are sent again, by retry's rules.
    sb.heal_payment(sick);
    b.press(&format!("form[action='/batches/{id}/retry'] button"))
        .await;
    b.wait_for_state("finished");
    b.goto(&format!("/batches/{id}/results?filter=failed"))
        .await;
    b.wait_for("section.card h1 .state").await;
    let rows = b.texts("#results tbody tr").await;
    assert_eq!(rows.len(), 5, "only the ones a person must see: {rows:?}");
    assert!(!rows.iter().any(|r| r.contains(&sick.to_string())));
    b.goto(&format!("/batches/{id}/results?filter=refunded"))
        .await;
    b.wait_for("section.card h1 .state").await;
    let refunded = b.texts("#results tbody tr").await;
    assert!(
        refunded.iter().any(|r| r.contains(&sick.to_string())),
        "{refunded:?}"
    );
    assert_eq!(
        crate::common::refunds_per_key(&sb).values().max(),
        Some(&1),
        "nothing refunded twice"
    );

    // The books read back from Mercado Pago: every row agrees.
    b.read_books_back(&id).await;
    let findings = b.texts("#findings tbody tr").await;
    assert!(!findings.is_empty(), "findings shown");
    b.assert_no_script_ran().await;
    b.screenshot("flow-reconcile").await;

    // The audit trail has every step, with who and which batch.
    b.goto("/audit").await;
    b.wait_for("h1").await;
    let trail = b.table("Audit trail").await.expect("entries");
    let steps: Vec<(&str, &str)> = trail
        .iter()
        .filter(|e| e[4] == "chargebacks-ptbr.csv")
        .map(|e| (e[1].as_str(), e[2].as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("appr", "Reconciled with Mercado Pago"),
            ("appr", "Retried the failed rows"),
            ("appr", "Downloaded results"),
            ("appr", "Sent"),
            ("appr", "Approved"),
            ("sub", "Asked for approval"),
            ("sub", "Uploaded a file"),
        ],
        "{trail:?}"
    );
    b.screenshot("flow-audit").await;
    b.quit().await;
}

/// On a phone (400 px) in pt-BR: no page is wider than the screen — the header
/// wraps, and a table scrolls inside its card — through the plan, the batch
/// being decided, and the results.
#[tokio::test(flavor = "multi_thread")]
async fn a_phone_reads_the_plan_and_the_results_in_portuguese() {
    let (w, state) = crate::common::with_users();
    let sb = crate::common::sandbox();
    let base = sb.base_url();
    let c = Console::start_with(
        &w,
        &state,
        &[("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)],
        &["--api-base", &base, "--rate", "50"],
    );
    let Some(b) = Browser::open_as(&w, &c, "pt-BR", 400).await else {
        return;
    };
    let fits = |name: &'static str| {
        let b = &b;
        async move {
            b.screenshot(name).await;
            let wide = b
                .client
                .execute(
                    "const d = document.documentElement; return [d.scrollWidth, d.clientWidth];",
                    vec![],
                )
                .await
                .expect("widths");
            let [page, screen]: [u64; 2] = serde_json::from_value(wide).expect("two widths");
            assert!(
                page <= screen,
                "{name}: the page is {page} px wide on a {screen} px screen"
            );
        }
    };
    b.login("sub", PASSWORD).await;
    fits("phone-home").await;
    // The role beside the name is a word of the page's language too.
    assert_eq!(b.text("header small").await, "solicitante");
    let id = b.upload(&sample(), false).await;
    let total = b.wait_for("#to-type").await.text().await.unwrap();
    fits("phone-plan").await;
    b.fill_and_press("#submit-total", &total).await;
    b.logout().await;
    b.login("appr", PASSWORD).await;
    b.goto(&format!("/batches/{id}")).await;
    b.fill_and_press("#approve-total", &total).await;
    fits("phone-approved").await;
    b.press(&format!(
        "form[action='/batches/{id}/send']:not(:has(input[name=canary])) button"
    ))
    .await;
    b.wait_for("#progress").await;
    b.wait_for_state("concluído");
    fits("phone-finished").await;
    b.press("#results-link").await;
    b.wait_for("#results").await;
    fits("phone-results").await;
    b.goto("/audit").await;
    b.wait_for("h1").await;
    fits("phone-audit").await;
    b.quit().await;
}

/// The catalogue `NAME.ftl`: each message's key and its text (continuation
/// lines joined), in file order.
fn catalogue(name: &str) -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("src/web/i18n/{name}.ftl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut messages: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if line.starts_with(' ') {
            if let Some((_, value)) = messages.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(" = ") {
            messages.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    messages
}

/// The English phrases a page in `lang` (`pt-BR`, `es`) must not show: from
/// each English message whose text is not that language's, its runs of two
/// or more plain words between placeables and punctuation — those of them
/// found nowhere in the language's own catalogue (names such as Mercado Pago,
/// codes, words both languages share), and none shorter than eight letters
/// (`no data` reads as Spanish too).
fn english_phrases(lang: &str) -> Vec<String> {
    let theirs = catalogue(lang);
    let their_text = theirs
        .iter()
        .map(|(_, v)| v.to_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    let mut phrases: Vec<String> = Vec::new();
    for (key, english) in catalogue("en") {
        let same = theirs.iter().any(|(k, v)| *k == key && *v == english);
        if same {
            continue;
        }
        // Placeables, a select's variant keys and variables are no words of the page.
        let mut plain = String::new();
        let mut depth = 0usize;
        let mut in_key = false;
        for ch in english.chars() {
            match ch {
                '{' => {
                    depth += 1;
                    plain.push('|');
                }
                '}' => {
                    depth = depth.saturating_sub(1);
                    plain.push('|');
                }
                '[' => {
                    in_key = true;
                    plain.push('|');
                }
                ']' => {
                    in_key = false;
                    plain.push('|');
                }
                _ if in_key => {}
                // A select's variants are words of the page: kept, split from their neighbours.
                _ if depth > 0 && (ch == '$' || ch == '-' || ch == '>' || ch == '*') => {
                    plain.push('|')
                }
                _ => plain.push(ch),
            }
        }
        // Names are the same in every language: a phrase stops at them.
        for name in NAMES {
            plain = plain.replace(name, "|");
        }
        for run in plain.split(|c: char| !(c.is_ascii_alphabetic() || c == ' ' || c == '\'')) {
            let words: Vec<&str> = run.split_whitespace().collect();
            let phrase = words.join(" ");
            let letters = phrase.chars().filter(char::is_ascii_alphabetic).count();
            if words.len() < 2 || letters < 8 {
                continue;
            }
            // A variable's name left by the split (`$count`) is not a word of the page.
            if words.iter().any(|w| {
                w.chars().all(|c| c.is_ascii_lowercase()) && english.contains(&format!("${w}"))
            }) {
                continue;
            }
            let lower = phrase.to_lowercase();
            if their_text.contains(&lower) || phrases.contains(&phrase) {
                continue;
            }
            phrases.push(phrase);
        }
    }
    phrases
}

/// Names a page shows in any language (the product, Mercado Pago, formats).
const NAMES: &[&str] = &[
    "Mercado Pago",
    "mprefund",
    "Excel",
    "Windows",
    "UTF",
    "CSV",
    "BOM",
    "Pix",
    "JSON",
];

/// `phrase` in `text` as words of it (not inside a longer word), regardless of case.
fn shows_phrase(text: &str, phrase: &str) -> bool {
    let text = text.to_lowercase();
    let phrase = phrase.to_lowercase();
    text.match_indices(&phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[test]
fn the_english_phrases_are_the_catalogues_english_only_ones() {
    for lang in ["pt-BR", "es"] {
        let phrases = english_phrases(lang);
        assert!(phrases.len() > 200, "{lang}: only {}", phrases.len());
        for english in [
            "already refunded by earlier batches",
            "Money per currency",
            "Bad lines",
        ] {
            assert!(
                phrases.iter().any(|p| p == english),
                "{lang}: {english:?} missing"
            );
        }
        for kept in ["Mercado Pago", "mprefund console"] {
            assert!(
                !phrases.iter().any(|p| p.contains(kept)),
                "{lang}: {kept:?}"
            );
        }
    }
    assert!(shows_phrase("0 already refunded.", "Already refunded"));
    assert!(!shows_phrase("not already refundedx", "already refunded"));
}

/// Her spreadsheet as Excel pt-BR saves it: Windows-1252, `;`, CRLF, the
/// Portuguese header, 41 rows. Planted: a blank amount (line 8), `12,5O`
/// (line 16) and a line repeated (line 26 repeats 25). Three amounts grouped
/// by thousands, on payments big enough for them; two payments Mercado Pago
/// refuses for good (approved too long ago, pending) and `sick`, which fails
/// until healed.
fn excel_pt_br_file(sick: u64) -> (Vec<u8>, Vec<u64>) {
    let mut big = Vec::new();
    let mut text = String::from("ID do pagamento;Valor;Motivo\r\n");
    for n in 1..=41u64 {
        let id = 71_829_310_000 + n;
        let (id, amount, why) = match n {
            3 | 11 | 21 => {
                big.push(id);
                let amount = match n {
                    3 => "1.234,56",
                    11 => "2.045,10",
                    _ => "1.100,00",
                };
                (id, amount.to_owned(), "Cobrança duplicada")
            }
            7 => (id, String::new(), "Produto não recebido"),
            15 => (id, "12,5O".to_owned(), "Arrependimento"),
            25 => (70_000_000_000 + 24, "10,24".to_owned(), "Devolução"),
            30 => (71_829_304_901, "15,00".to_owned(), "Fraude"),
            31 => (71_829_304_903, "20,00".to_owned(), "Produto com defeito"),
            32 => (sick, "30,00".to_owned(), "Cobrança duplicada"),
            24 => (70_000_000_000 + 24, "10,24".to_owned(), "Devolução"),
            _ => (id, format!("{},{:02}", 10 + n, n), "Devolução"),
        };
        text.push_str(&format!("{id};{amount};{why}\r\n"));
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    (bytes.into_owned(), big)
}

/// Where the analyst's day saves its screenshots: `MPREFUND_SCREENSHOTS`
/// when set, else `target/shots/` (never committed): they are looked at.
fn day_shots() -> PathBuf {
    std::env::var_os(SCREENSHOTS)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/shots"))
}

/// One person at two screens: a desk (1280 px) that takes the steps and a
/// phone (400 px) that reads each page after it; every page read is saved
/// and checked to be in the language and as wide as the screen at most.
struct TwoScreens {
    desk: Browser,
    phone: Browser,
    lang: &'static str,
    english: Vec<String>,
}

impl TwoScreens {
    async fn log_in(&self, user: &str) {
        self.desk.login(user, PASSWORD).await;
        self.phone.login(user, PASSWORD).await;
    }

    async fn log_out(&self) {
        self.desk.logout().await;
        self.phone.logout().await;
    }

    /// The desk's page, and the same page on the phone: each saved as
    /// `LANG-WIDTH-NAME.png`, and each fails the test when it is a bare text
    /// page, shows an English phrase of the catalogue, or (the phone) is
    /// wider than its screen.
    async fn look(&self, name: &str) {
        let url = self.desk.client.current_url().await.expect("url");
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        self.check(&self.desk, 1280, name).await;
        self.phone.goto(&path).await;
        self.phone.wait_for("main > *").await;
        self.check(&self.phone, 400, name).await;
    }

    async fn check(&self, b: &Browser, width: u32, name: &str) {
        let name = format!("{}-{width}-{name}", self.lang);
        let shown = b
            .client
            .execute(
                "const d = document.documentElement;\
                 const text = document.body ? document.body.innerText : '';\
                 return [document.contentType, text, d.scrollWidth, d.clientWidth];",
                vec![],
            )
            .await
            .expect("the page");
        let (kind, text, page, screen): (String, String, u64, u64) =
            serde_json::from_value(shown).expect("kind, text, widths");
        let png = b.client.screenshot().await.expect("screenshot");
        let dir = day_shots();
        std::fs::create_dir_all(&dir).expect("screenshots dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
        assert_eq!(kind, "text/html", "{name}: a bare page: {text}");
        self.in_language(&name, &text);
        assert!(
            page <= screen,
            "{name}: the page is {page} px wide on a {screen} px screen"
        );
    }

    /// Fails when `text` (a page, a download) shows any of the catalogue's
    /// English-only phrases.
    fn in_language(&self, name: &str, text: &str) {
        let seen: Vec<&String> = self
            .english
            .iter()
            .filter(|p| shows_phrase(text, p))
            .collect();
        assert!(seen.is_empty(), "{name} shows English: {seen:?}\n{text}");
    }
}

/// The analyst's day, in her language: her Excel file uploaded, its plan
/// read, submitted, approved by a colleague, sent; the finished batch, its
/// results and their download, the failed row sent again, the audit trail —
/// each page at 1280 px and at 400 px, saved, and free of English.
async fn a_day_in(lang: &'static str) {
    let (w, state) = crate::common::with_users();
    let sb = crate::common::sandbox();
    let sick = 71_829_310_032u64;
    let (file, big) = excel_pt_br_file(sick);
    for id in big {
        sb.declare_payment(mprefund_sandbox::PaymentSpec {
            amount: rust_decimal::Decimal::new(500_000, 2),
            ..mprefund_sandbox::PaymentSpec::ordinary(id)
        });
    }
    sb.fail_payment(sick, 500);
    let c = crate::console_client::console_on(
        &w,
        &state,
        &sb,
        &["--rate", "50", "--max-attempts", "2"],
    );
    let Some(desk) = Browser::open_sized(&w, &c, lang, 1280, 2000).await else {
        return;
    };
    let Some(phone) = Browser::open_sized(&w, &c, lang, 400, 2000).await else {
        return;
    };
    let s = TwoScreens {
        desk,
        phone,
        lang,
        english: english_phrases(lang),
    };
    // Her colleague's view, over HTTP: to wait for the console's background work.
    let watch = crate::console_client::Person::log_in(&c, "appr").await;

    s.log_in("sub").await;
    s.look("upload").await;
    let path = w.write("devolucoes-marco.csv", &file);
    let id = s.desk.upload(&path, true).await;
    let total = s.desk.wait_for("#to-type").await.text().await.unwrap();
    let figures = s.desk.texts(".figures > div").await;
    for (i, n) in [(0, "41 "), (1, "38 "), (2, "3 ")] {
        assert!(figures[i].starts_with(n), "{lang}: {figures:?}");
    }
    let bad = s.desk.texts("section.card table tbody tr").await;
    for planted in ["8 ", "16 ", "26 "] {
        assert!(
            bad.iter().any(|r| r.starts_with(planted)),
            "{planted}: {bad:?}"
        );
    }
    s.look("plan").await;

    s.desk.fill_and_press("#submit-total", &total).await;
    s.look("submitted").await;
    s.log_out().await;

    s.log_in("appr").await;
    s.desk.goto(&format!("/batches/{id}")).await;
    s.desk.wait_for("#approve-total").await;
    s.look("to-approve").await;
    s.desk.fill_and_press("#approve-total", &total).await;
    s.look("approved").await;
    s.desk
        .press(&format!(
            "form[action='/batches/{id}/send']:not(:has(input[name=canary])) button"
        ))
        .await;
    s.look("sending").await;
    let j = watch.settled(&id);
    assert_eq!(j["state"], "finished", "{j}");
    s.desk.goto(&format!("/batches/{id}")).await;
    s.desk.wait_for("section.card h1 .state").await;
    s.look("finished").await;
    s.phone.fits("#summary table").await;

    // Her books read back: each finding by its name in her language.
    s.desk.read_books_back(&id).await;
    s.look("reconcile").await;

    s.desk.goto(&format!("/batches/{id}/results")).await;
    s.desk.wait_for("#results").await;
    s.look("results").await;
    s.desk
        .goto(&format!("/batches/{id}/results?filter=failed"))
        .await;
    s.desk.wait_for("#results").await;
    let failed = s.desk.texts("#results tbody tr").await;
    // The three bad lines, two refused for good, and the sick one, whose
    // answer (a 500) leaves it perhaps refunded.
    assert_eq!(failed.len(), 6, "{failed:?}");
    s.look("results-failed").await;
    let sheet = s
        .desk
        .download(&format!("/batches/{id}/results/download?filter=failed"))
        .await;
    let sheet = String::from_utf8(sheet).expect("UTF-8");
    assert!(
        sheet.starts_with('\u{feff}') && sheet.contains("\r\n"),
        "{sheet:.200}"
    );
    assert_eq!(sheet.lines().count(), 7, "the filter's rows: {sheet}");
    s.in_language(&format!("{lang}-download"), &sheet);

    // The sick payment heals; her colleague sends the failed rows again.
    sb.heal_payment(sick);
    s.desk
        .press(&format!("form[action='/batches/{id}/retry'] button"))
        .await;
    s.look("retried").await;
    watch.settled(&id);
    s.desk
        .goto(&format!("/batches/{id}/results?filter=failed"))
        .await;
    s.desk.wait_for("#results").await;
    let failed = s.desk.texts("#results tbody tr").await;
    assert_eq!(failed.len(), 5, "the sick one refunded: {failed:?}");
    s.look("results-after-retry").await;
    assert_eq!(
        crate::common::refunds_per_key(&sb).values().max(),
        Some(&1),
        "nothing refunded twice"
    );

    s.desk.goto("/causes").await;
    s.desk.wait_for("main > *").await;
    s.look("causes").await;
    s.desk.goto("/audit").await;
    s.desk.wait_for("main > *").await;
    // Every detail a step wrote is said in her words too.
    s.look("audit").await;
    s.phone.fits("#audit").await;
    s.desk.goto("/").await;
    s.desk.wait_for("main > *").await;
    s.look("batches").await;
    let TwoScreens { desk, phone, .. } = s;
    desk.quit().await;
    phone.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_analysts_day_in_portuguese_at_two_widths() {
    a_day_in("pt-BR").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_analysts_day_in_spanish_at_two_widths() {
    a_day_in("es").await;
}
