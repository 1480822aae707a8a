//! Shared by the integration tests: a temporary work directory, the `mprefund`
//! binary pointed at an in-process sandbox, CSV-level readers for its output, and
//! a stub server for answers the sandbox would never give, and the web console
//! (its accounts and its process) for the HTTP and the browser tests.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode};

use mprefund_sandbox::{Faults, Sandbox, SandboxConfig, SandboxHandle, TEST_TOKEN};

pub struct Work {
    pub dir: tempfile::TempDir,
}

impl Work {
    pub fn new() -> Work {
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).expect("write file");
        p
    }

    /// Starts `cmd` in the background, its output going to `NAME.log` in this
    /// directory (read it with [`Work::log`] when an assertion fails).
    pub fn spawn(&self, mut cmd: Command, name: &str) -> std::process::Child {
        let log = std::fs::File::create(self.path(&format!("{name}.log"))).expect("log file");
        let log2 = log.try_clone().expect("log file");
        cmd.stdout(log)
            .stderr(log2)
            .spawn()
            .expect("spawn mprefund")
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(&format!("{name}.log"))).unwrap_or_default()
    }

    /// The binary run in this directory, its state directory (the account's
    /// default state file) inside it: see [`ACCOUNT_STATE`].
    pub fn bare(&self) -> Command {
        let mut c = bare();
        c.current_dir(self.dir.path())
            .env("XDG_STATE_HOME", self.dir.path().join("xdg"));
        c
    }

    /// `mprefund ARGS` in this directory, with the sandbox's token and API base.
    pub fn mprefund(&self, sandbox: &SandboxHandle, args: &[&str]) -> Command {
        let mut c = self.bare();
        c.env("MP_ACCESS_TOKEN", TEST_TOKEN)
            .args(args)
            .args(["--api-base", &sandbox.base_url()]);
        c
    }

    /// `mprefund run INPUT --state s.db MORE…` against `sandbox`, run: the
    /// run most tests make, on the state file beside its input.
    pub fn run_on(&self, sandbox: &SandboxHandle, input: &str, more: &[&str]) -> Ran {
        run(self.mprefund(sandbox, &on_state("run", input, "s.db", more)))
    }

    /// `mprefund ARGS` as [`Work::mprefund`] runs it, which must exit 0: its
    /// output, or a failure that shows the whole of it.
    #[track_caller]
    pub fn ok(&self, sandbox: &SandboxHandle, args: &[&str]) -> Ran {
        run(self.mprefund(sandbox, args)).exits(0)
    }
}

/// `CMD INPUT --state STATE MORE…`: a command line as most tests write one,
/// its input and state file first, for [`Work::mprefund`] and the like.
pub fn on_state<'a>(
    cmd: &'a str,
    input: &'a str,
    state: &'a str,
    more: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![cmd, input, "--state", state];
    args.extend_from_slice(more);
    args
}

/// The account's default state file, relative to a [`Work`] directory, for the
/// default namespace.
pub const ACCOUNT_STATE: &str = "xdg/mprefund/mprefund.db";

/// The binary with a clean environment as far as the tool is concerned: no token,
/// and no state directory (a command that would fall back to the user's real
/// one fails instead; [`Work::bare`] gives it one inside the test's folder).
pub fn bare() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mprefund"));
    c.env_remove("MP_ACCESS_TOKEN")
        .env_remove("RUST_LOG")
        .env_remove("XDG_STATE_HOME")
        .env_remove("HOME")
        .stdin(Stdio::null());
    // The machine's proxies are not the test's.
    for proxy in [
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        c.env_remove(proxy);
    }
    c
}

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(mut cmd: impl std::borrow::BorrowMut<Command>) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.borrow_mut().output().expect("run mprefund");
    Ran {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

impl Ran {
    /// Itself, once its exit code is `code`; else a failure showing its output.
    #[track_caller]
    pub fn exits(self, code: i32) -> Ran {
        assert_eq!(self.code, code, "{self:?}");
        self
    }
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A results (or any) CSV as header-keyed records, in file order.
pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let delimiter = if bytes
        .iter()
        .take_while(|b| **b != b'\n')
        .filter(|b| **b == b';')
        .count()
        > 0
    {
        b';'
    } else {
        b','
    };
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(bytes.as_slice());
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Polls `cond` until it holds (the tests' only way to wait for a running child).
pub fn wait_until(what: &str, limit: Duration, cond: impl FnMut() -> bool) {
    wait_until_seen(what, limit, cond, String::new);
}

/// As [`wait_until`]; a timeout says `seen()` too: what the last poll saw.
pub fn wait_until_seen(
    what: &str,
    limit: Duration,
    mut cond: impl FnMut() -> bool,
    seen: impl FnOnce() -> String,
) {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() >= limit {
            panic!("timed out waiting for {what}: {}", seen());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `payment_id,amount,reference` rows for ordinary sandbox payments.
pub fn ordinary_csv(rows: usize, first_id: u64) -> String {
    let mut s = String::from("payment_id,amount,reference\n");
    for i in 0..rows as u64 {
        // Spread over ordinary ids (suffix 000–899) so no payment's balance runs out.
        let id = first_id * 1000 + (i / 900) * 1000 + i % 900;
        s.push_str(&format!("{id},1.25,ref-{i}\n"));
    }
    s
}

/// Every refund in the sandbox, counted by idempotency key.
pub fn refunds_per_key(sandbox: &SandboxHandle) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in sandbox.refunds() {
        *m.entry(r.idempotency_key).or_default() += 1;
    }
    m
}

/// A request as a stub saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub key: String,
}

/// An HTTP server on 127.0.0.1:0 that answers the `n`-th request (0-based) as
/// `answer` says and remembers every request.
pub struct Stub {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Stub {
    pub fn start(
        answer: impl Fn(usize, &HeaderMap) -> (StatusCode, Vec<(&'static str, String)>, Body)
        + Send
        + Sync
        + 'static,
    ) -> Stub {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let log = seen.clone();
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let app = axum::Router::new().fallback(move |headers: HeaderMap| {
                    let log = log.clone();
                    let answer = answer.clone();
                    async move {
                        let n = {
                            let mut log = log.lock().unwrap();
                            log.push(Seen {
                                at: Instant::now(),
                                key: headers
                                    .get("x-idempotency-key")
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or_default()
                                    .to_owned(),
                            });
                            log.len() - 1
                        };
                        let (status, extra, body) = answer(n, &headers);
                        let mut resp = Response::builder().status(status);
                        for (k, v) in extra {
                            resp = resp.header(k, v);
                        }
                        resp.body(body).unwrap()
                    }
                });
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        Stub {
            addr,
            seen,
            _stop: stop,
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

pub fn json(status: u16, body: &str) -> (StatusCode, Vec<(&'static str, String)>, Body) {
    (
        StatusCode::from_u16(status).unwrap(),
        vec![("content-type", "application/json".into())],
        Body::from(body.to_owned()),
    )
}

/// A pseudo-terminal: the child gets the slave side as stdin, stdout and stderr;
/// the test reads and types on the master side.
pub struct Pty {
    pub master: std::fs::File,
    pub slave: OwnedFd,
}

pub fn pty() -> Pty {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the given ints, which are
    // owned from here on; the name, termios and size arguments may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and nothing else owns them.
    unsafe {
        Pty {
            master: std::fs::File::from(OwnedFd::from_raw_fd(master)),
            slave: OwnedFd::from_raw_fd(slave),
        }
    }
}

/// Runs `cmd` on a terminal, answering `answer` once it asks `[y/N]`; returns the
/// exit code and everything the terminal showed.
pub fn on_terminal(mut cmd: Command, answer: &str) -> (i32, String) {
    let Pty { master, slave } = pty();
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let mut child = cmd.spawn().expect("spawn on a terminal");
    // The parent's copies of the slave side must close, or the master never sees EOF.
    drop(cmd);
    let shown = Arc::new(Mutex::new(String::new()));
    let mut reader = master.try_clone().unwrap();
    let reading = {
        let shown = shown.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // EIO once the child closed the terminal: the end of its output.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                shown
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    wait_until("the question", Duration::from_secs(60), || {
        shown.lock().unwrap().contains("[y/N]") || child.try_wait().unwrap().is_some()
    });
    (&master).write_all(answer.as_bytes()).unwrap();
    let status = child.wait().unwrap();
    drop(master);
    reading.join().unwrap();
    let shown = shown.lock().unwrap().clone();
    (status.code().unwrap_or(-1), shown)
}

/// A sandbox on 127.0.0.1:0 that answers every request the ordinary way.
/// A sandbox and an empty working directory: where most tests start.
pub fn fresh() -> (SandboxHandle, Work) {
    (sandbox(), Work::new())
}

/// As [`fresh`], with the input `name` written in the directory: how most
/// tests of a run begin.
pub fn fresh_with(name: &str, content: impl AsRef<[u8]>) -> (SandboxHandle, Work) {
    let (sb, w) = fresh();
    w.write(name, content);
    (sb, w)
}

/// As [`fresh_with`], with the input run once (`run NAME`), which must
/// go through: where a second look at a file begins.
pub fn ran_first(name: &str, content: impl AsRef<[u8]>) -> (SandboxHandle, Work) {
    let (sb, w) = fresh_with(name, content);
    w.ok(&sb, &["run", name]);
    (sb, w)
}

/// A spreadsheet of `payment_id,amount,reference` with `rows` under its header.
pub fn refs(rows: &str) -> String {
    format!("payment_id,amount,reference\n{rows}")
}

/// `mprefund reconcile ARGS` with the token and no `--api-base`: reconcile
/// reads where the batch was sent.
pub fn reconcile_sent(w: &Work, args: &[&str]) -> Ran {
    run(w
        .bare()
        .env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .arg("reconcile")
        .args(args))
}

/// The reconciliation CSV `csv`: each line's finding by its row number (""
/// for a line no row made).
pub fn findings_by_row<C: FromIterator<(String, String)>>(w: &Work, csv: &str) -> C {
    columns(w, csv, "row", "finding")
}

/// Fails unless the plan CSV `csv` predicts each `(reference, prediction)`,
/// naming the reference that does not.
pub fn predicts(w: &Work, csv: &str, want: &[(&str, &str)]) {
    let plan: HashMap<String, String> = columns(w, csv, "reference", "prediction");
    for (reference, prediction) in want {
        assert_eq!(plan[*reference], *prediction, "{reference}: {plan:?}");
    }
}

/// Each line of the CSV `csv` as its `key` column's cell and its `value`'s.
pub fn columns<C: FromIterator<(String, String)>>(
    w: &Work,
    csv: &str,
    key: &str,
    value: &str,
) -> C {
    read_csv(&w.path(csv))
        .into_iter()
        .map(|r| (r[key].clone(), r[value].clone()))
        .collect()
}

/// Faults under which every request is answered 500: an outage.
pub fn outage() -> Faults {
    Faults {
        error_500: 1.0,
        ..Faults::default()
    }
}

pub fn sandbox() -> SandboxHandle {
    sandbox_with(Faults::default())
}

/// A sandbox on 127.0.0.1:0 that injects `faults`.
pub fn sandbox_with(faults: Faults) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        faults,
        ..SandboxConfig::default()
    })
    .expect("sandbox")
}

/// A working directory whose state file has the console's three accounts
/// ([`state_with_users`]): where every console test begins.
pub fn with_users() -> (Work, PathBuf) {
    let w = Work::new();
    let state = state_with_users(&w);
    (w, state)
}

/// A file's or folder's permission bits.
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// A night's job file, `job.toml`: tonight's input, the state file `s.db`,
/// the API at `base`, a breaker of 3, then `more` (keys, one a line).
pub fn night_job(w: &Work, base: &str, more: &str) -> PathBuf {
    w.write(
        "job.toml",
        format!(
            "input = \"tonight.csv\"\nstate = \"s.db\"\napi_base = \"{base}\"\nbreaker = 3\n{more}"
        ),
    )
}

/// The password of every console account the tests make.
pub const PASSWORD: &str = "correct horse battery";

/// `console users add NAME --role ROLE --password-stdin` on `state`.
pub fn add_user(w: &Work, state: &Path, name: &str, role: &str) -> Ran {
    add_user_by(w.bare(), name, role, Some(state))
}

/// `cmd` (the binary) running `console users add NAME --role ROLE
/// --password-stdin` on `state` (none: the account's), the tests'
/// [`PASSWORD`] typed on its standard input.
pub fn add_user_by(mut cmd: Command, name: &str, role: &str, state: Option<&Path>) -> Ran {
    cmd.args(["console", "users", "add", name, "--role", role])
        .arg("--password-stdin");
    if let Some(state) = state {
        cmd.arg("--state").arg(state);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn users add");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A `mprefund console` process on 127.0.0.1:0; killed when dropped.
pub struct Console {
    child: Child,
    pub base: String,
    log: PathBuf,
}

impl Console {
    pub fn start(w: &Work, state: &Path, env: &[(&str, &str)]) -> Console {
        Console::start_with(w, state, env, &[])
    }

    /// As [`Console::start`], with more `console` flags.
    pub fn start_with(w: &Work, state: &Path, env: &[(&str, &str)], args: &[&str]) -> Console {
        let mut cmd = w.bare();
        cmd.arg("console")
            .arg("--state")
            .arg(state)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied());
        Console::spawn(w, cmd)
    }

    /// `cmd` (a `mprefund console …` of the test's making: a job file, another
    /// listen address) started, and its first line read: the URL it serves.
    ///
    /// A console given no token (no MP_ACCESS_TOKEN, no --token-file or
    /// --token-env) is started to look only (`--without-token`): without it,
    /// it would refuse to start.
    pub fn spawn(w: &Work, mut cmd: Command) -> Console {
        let has_token = cmd
            .get_envs()
            .any(|(k, v)| k == "MP_ACCESS_TOKEN" && v.is_some())
            || cmd.get_args().any(|a| {
                ["--token-file", "--token-env", "--without-token"]
                    .iter()
                    .any(|t| a == *t)
            });
        if !has_token {
            cmd.arg("--without-token");
        }
        let log = w.path(&format!(
            "console-{}.log",
            w.dir.path().read_dir().unwrap().count()
        ));
        cmd.stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut child = cmd.spawn().expect("spawn console");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "first line {first:?}; log: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            })
            .trim_end_matches('/')
            .to_owned();
        Console { child, base, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The console's process id (its memory is read from /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Where its log is written.
    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A state file with three accounts, one of each role.
pub fn state_with_users(w: &Work) -> PathBuf {
    let state = w.path("state.db");
    for (name, role) in [
        ("sub", "submitter"),
        ("appr", "approver"),
        ("boss", "admin"),
    ] {
        let r = add_user(w, &state, name, role);
        assert_eq!(r.code, 0, "{r:?}");
    }
    state
}

/// The id of the latest batch of the state file `state` (relative to `w`) made
/// from the input named `input`, as a command asked to choose among the
/// batches lists them; `None` before there is one.
pub fn batch_of(w: &Work, state: &str, input: &str) -> Option<String> {
    let list = run(w.bare().args(["status", "--state", state, "--batch", "-"]));
    list.stderr
        .lines()
        .rfind(|l| l.trim_end().ends_with(&format!("/{input}")))
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_owned)
}
