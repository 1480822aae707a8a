//! The nights and the console as one installation: the shipped
//! crontab's lines send the console's approved batches, `run --approved` is
//! monitored like any run, a console without a token refuses to start (or
//! serves to look only), `--listen` takes host names, a night after an outage
//! names the batch it finished and the morning reconcile reads both back,
//! notifications reach a webhook, and the shipped units pass
//! `systemd-analyze verify`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use mprefund_sandbox::{Faults, TEST_TOKEN};
use reqwest::StatusCode;

use crate::common::*;
use crate::console_client::{Person, approved};

/// The shipped file `name` of `jobs/`.
fn shipped(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("jobs")
            .join(name),
    )
    .unwrap()
}

/// `text` with the installation's absolute paths moved under `root`, and the
/// binary named by its build path.
fn rooted(text: &str, root: &Path) -> String {
    let r = root.display();
    text.replace("/usr/local/bin/mprefund", env!("CARGO_BIN_EXE_mprefund"))
        .replace("/etc/mprefund", &format!("{r}/etc/mprefund"))
        .replace("/var/lib/", &format!("{r}/var/lib/"))
        .replace("/var/log/", &format!("{r}/var/log/"))
        .replace("/srv/", &format!("{r}/srv/"))
}

/// An installation as README's "Installing" makes it, under `root`: the
/// folders of the shipped tmpfiles.d file, the shipped job file (its API the
/// sandbox's), the token file.
fn install(root: &Path, api: &str) -> PathBuf {
    for line in shipped("mprefund.tmpfiles").lines() {
        if let Some(path) = line.strip_prefix('d').map(str::trim_start)
            && let Some(path) = path.split_whitespace().next()
        {
            std::fs::create_dir_all(rooted(path, root)).unwrap();
        }
    }
    let job = rooted(&shipped("nightly-chargebacks.toml"), root)
        .replace("https://api.mercadopago.com", api)
        .replace("max_total = \"250000.00:BRL\"", "");
    let path = root.join("etc/mprefund/jobs/nightly-chargebacks.toml");
    std::fs::write(&path, job).unwrap();
    let token = root.join("etc/mprefund/token");
    std::fs::write(&token, TEST_TOKEN).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o400)).unwrap();
    path
}

/// The schedule lines of the shipped crontab (the user's-crontab form): the
/// command of each, after its five time fields.
fn crontab_commands() -> Vec<String> {
    shipped("crontab")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().skip(5).collect::<Vec<_>>().join(" "))
        .collect()
}

/// `command` as cron runs it: `/bin/sh -c`, PATH=/usr/bin:/bin, nothing else.
fn as_cron(command: &str, home: &Path) -> Ran {
    run(Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("SHELL", "/bin/sh"))
}

#[tokio::test]
async fn the_shipped_crontab_sends_an_approved_batch_and_monitors_it() {
    let (sb, w) = fresh();
    let root = w.path("root");
    let job = install(&root, &sb.base_url());
    let state = root.join("var/lib/mprefund/chargebacks.db");
    for (name, role) in [("sub", "submitter"), ("appr", "approver")] {
        let r = add_user(&w, &state, name, role);
        assert_eq!(r.code, 0, "{r:?}");
    }
    // Finance: uploaded, submitted, approved by someone else — for tonight.
    // As the shipped unit starts it: the job file, the token from a file.
    let mut cmd = w.bare();
    cmd.args(["console", "--listen", "127.0.0.1:0", "--job"])
        .arg(&job)
        .arg("--token-file")
        .arg(root.join("etc/mprefund/token"));
    let c = Console::spawn(&w, cmd);
    let sub = Person::log_in(&c, "sub").await;
    let appr = Person::log_in(&c, "appr").await;
    let id = sub.uploaded(&ordinary_csv(3, 3_010), false).await;
    approved(&sub, &appr, &id, "3.75").await;
    drop(c);
    assert!(sb.refunds().is_empty(), "approved, not sent");
    std::fs::write(
        root.join("srv/finance/chargebacks/tonight.csv"),
        ordinary_csv(2, 3_020),
    )
    .unwrap();

    let commands = crontab_commands();
    assert_eq!(commands.len(), 3, "{commands:?}");
    for command in &commands {
        let command = rooted(command, &root);
        assert!(command.contains(&job.display().to_string()), "{command}");
        let ran = as_cron(&command, &root);
        let logs: Vec<String> = std::fs::read_dir(root.join("var/log/mprefund"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        assert_eq!(ran.code, 0, "{command}\n{ran:?}\n{logs:#?}");
    }
    let mut paid: Vec<u64> = sb.refunds().iter().map(|r| r.payment_id).collect();
    paid.sort_unstable();
    assert_eq!(
        paid,
        [3_010_000, 3_010_001, 3_010_002, 3_020_000, 3_020_001]
    );
    let log = std::fs::read_to_string(root.join("var/log/mprefund/approved.log")).unwrap();
    assert!(log.contains(&format!("console batch {id}")), "{log}");

    // The approved batches' own metrics and summary, beside the nightly run's.
    let prom =
        std::fs::read_to_string(root.join("var/lib/node_exporter/textfile/mprefund_approved.prom"))
            .unwrap();
    assert!(
        prom.contains("mprefund_run_exit_code{run=\"approved\"} 0\n"),
        "{prom}"
    );
    assert!(
        prom.lines()
            .any(|l| l.starts_with("mprefund_rows{run=\"approved\",batch=")
                && l.contains("outcome=\"refunded\"} 3")),
        "{prom}"
    );
    let nightly = std::fs::read_to_string(
        root.join("var/lib/node_exporter/textfile/mprefund_chargebacks.prom"),
    )
    .unwrap();
    assert!(nightly.contains("mprefund_run_exit_code 0\n"), "{nightly}");
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("var/lib/mprefund/approved.summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["exit_code"], 0, "{summary}");
    assert_eq!(summary["outcomes"]["refunded"]["rows"], 3, "{summary}");
    assert_eq!(summary["earlier_batches"], serde_json::json!([]));

    // A night with nothing approved still says so in its files.
    let again = rooted(&commands[1], &root);
    let ran = as_cron(&again, &root);
    assert_eq!(ran.code, 0, "{ran:?}");
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("var/lib/mprefund/approved.summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["batch"], serde_json::Value::Null, "{summary}");
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(sb.refunds().len(), 5);
}

/// A sandbox in an outage, and a night's job on it ([`crate::common::night_job`])
/// that writes its metrics and summary files.
fn night_in_an_outage() -> (mprefund_sandbox::SandboxHandle, Work) {
    let sb = sandbox_with(outage());
    let w = Work::new();
    let files = "metrics_file = \"m.prom\"\nsummary_json = \"s.json\"\n";
    crate::common::night_job(&w, &sb.base_url(), files);
    (sb, w)
}
#[test]
fn a_console_without_a_token_refuses_to_start_unless_told_to_look_only() {
    let (w, state) = crate::common::with_users();
    let ran = run(w
        .bare()
        .args(["console", "--listen", "127.0.0.1:0", "--state"])
        .arg(&state))
    .exits(2);
    assert!(
        ran.stderr.contains("no usable access token") && ran.stderr.contains("--without-token"),
        "{ran:?}"
    );
    assert!(!ran.stdout.contains("listening on"), "{ran:?}");

    // Look only: it serves, and every page says nothing can be sent.
    let c = Console::start_with(&w, &state, &[], &["--without-token"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for (lang, says) in [
            ("en", "Look only"),
            ("pt-BR", "Somente consulta"),
            ("es", "Solo consulta"),
        ] {
            let b = Person::log_in(&c, "boss").await;
            let page = b.page(&format!("/?lang={lang}")).await;
            assert!(page.contains(says), "{lang}: {page}");
            let audit = b.page("/audit").await;
            assert!(audit.contains("Look only"), "{audit}");
        }
    });
}

#[test]
fn listen_takes_a_host_name() {
    let (w, state) = crate::common::with_users();
    // A free port: bound, then let go for the console to take.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = w.bare();
    cmd.env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .args([
            "console",
            "--listen",
            &format!("localhost:{port}"),
            "--state",
        ])
        .arg(&state);
    let c = Console::spawn(&w, cmd);
    assert!(c.base.ends_with(&format!(":{port}")), "{}", c.base);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let page = rt.block_on(async {
        let r = reqwest::get(format!("http://localhost:{port}/login"))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.text().await.unwrap()
    });
    assert!(page.contains("<form"), "{page}");
}

/// The files of `dir` whose names end with `suffix`.
fn ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    found.sort();
    found
}

#[test]
fn the_night_after_an_outage_names_the_batch_it_finished_and_the_morning_reads_both() {
    let (sb, w) = night_in_an_outage();
    let night = || run(w.mprefund(&sb, &["--quiet", "run", "--job", "job.toml"]));
    w.write("tonight.csv", ordinary_csv(5, 3_110));
    let ran = night();
    assert_eq!(ran.code, 3, "{ran:?}");
    let outage: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("s.json")).unwrap()).unwrap();
    let first = outage["batch"].as_str().unwrap().to_owned();
    // The cron log says how to resume it, reaching it through the job file;
    // a bare `retry` would refuse its pending rows (tests/integration/steps.rs
    // runs every such command).
    assert!(
        ran.stderr.contains(&format!(
            "next: `mprefund retry --job {} --batch {first} --include-pending`",
            w.path("job.toml").display()
        )),
        "{ran:?}"
    );

    sb.set_faults(Faults::default());
    w.write("tonight.csv", ordinary_csv(4, 3_120));
    let ran = night();
    assert_eq!(ran.code, 0, "{ran:?}");
    // The quiet log: one line per batch.
    let lines: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("batch ") || l.starts_with("earlier batch "))
        .collect();
    assert_eq!(lines.len(), 2, "{ran:?}");
    assert!(
        lines[0].starts_with(&format!("earlier batch {first}: 5 rows")),
        "{lines:?}"
    );
    let clean: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("s.json")).unwrap()).unwrap();
    let second = clean["batch"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let earlier = &clean["earlier_batches"];
    assert_eq!(earlier.as_array().map(Vec::len), Some(1), "{clean}");
    assert_eq!(earlier[0]["batch"], first.as_str());
    assert_eq!(earlier[0]["outcomes"]["refunded"]["rows"], 5, "{clean}");
    assert_eq!(
        earlier[0]["outcomes"]["refunded"]["refunded"][""],
        serde_json::json!("6.25"),
        "{clean}"
    );
    let prom = std::fs::read_to_string(w.path("m.prom")).unwrap();
    assert!(prom.contains("mprefund_earlier_batches 1\n"), "{prom}");
    assert!(
        prom.contains(&format!(
            "mprefund_earlier_rows{{batch=\"{first}\",outcome=\"refunded\"}} 5\n"
        )),
        "{prom}"
    );
    assert!(
        ending(w.dir.path(), ".lock").is_empty(),
        "finished batches leave no lock file: {:?}",
        ending(w.dir.path(), ".lock")
    );

    // The morning: both batches read back, each into a file of its own.
    let ran = w.ok(&sb, &["--quiet", "reconcile", "--job", "job.toml"]);
    let files = ending(w.dir.path(), ".reconcile.csv");
    assert_eq!(files.len(), 2, "{files:?} {ran:?}");
    for (id, rows) in [(&first, 5), (&second, 4)] {
        let f = files
            .iter()
            .find(|f| f.to_string_lossy().contains(&id[..12]))
            .unwrap_or_else(|| panic!("no file of {id}: {files:?}"));
        assert_eq!(read_csv(f).len(), rows, "{}", f.display());
        assert!(
            ran.stderr.contains(&format!("batch {id}: reconciled")),
            "{ran:?}"
        );
    }
    assert!(ending(w.dir.path(), ".lock").is_empty());
    // The next morning: only what was sent since (nothing new: tonight's again).
    let ran = w.ok(&sb, &["--quiet", "reconcile", "--job", "job.toml"]);
    assert_eq!(ran.stderr.matches("reconciled").count(), 1, "{ran:?}");
}

/// A webhook of our own on 127.0.0.1:0: it keeps each JSON body it accepts,
/// and refuses the first `refused` requests (503), which the tool must try again.
pub(crate) struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    pub(crate) fn start(refused: usize) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
        let kept = got.clone();
        std::thread::spawn(move || {
            use std::io::{BufRead, BufReader, Read, Write};
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let status = if n < refused {
                    "503 Service Unavailable"
                } else {
                    "200 OK"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                if n >= refused {
                    kept.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&body).into_owned());
                }
            }
        });
        Receiver { url, got }
    }

    /// The `text` of every notification accepted so far, each checked to be
    /// the one JSON shape the chat webhooks take: `{"text": "..."}`.
    pub(crate) fn texts(&self) -> Vec<String> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|b| {
                let body: serde_json::Value = serde_json::from_str(b).unwrap();
                let fields = body.as_object().unwrap();
                assert_eq!(fields.len(), 1, "{body}");
                body["text"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    /// Waits for a notification that says `what`, and returns it.
    pub(crate) fn wait_for(&self, what: &str) -> String {
        let said = std::cell::RefCell::new(None);
        let waited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_until(
                &format!("a notification saying {what:?}"),
                std::time::Duration::from_secs(60),
                || {
                    *said.borrow_mut() = self.texts().into_iter().find(|t| t.contains(what));
                    said.borrow().is_some()
                },
            );
        }));
        assert!(
            waited.is_ok(),
            "no notification says {what:?}: {:#?}",
            self.texts()
        );
        said.into_inner().unwrap()
    }
}

#[test]
fn notifications_reach_a_webhook_and_a_failed_one_is_tried_again() {
    // The first is refused: the tool tries again.
    let hook = Receiver::start(1);
    let url = hook.url.clone();
    let (sb, w) = fresh();
    // A night that needs a person: the token refused (exit 6).
    w.write("in.csv", ordinary_csv(2, 3_210));
    let ran = run(w
        .bare()
        .env("MP_ACCESS_TOKEN", "WRONG-s3cr3t-t0ken-value")
        .args([
            "run",
            "in.csv",
            "--api-base",
            &sb.base_url(),
            "--notify-url",
            &url,
        ]))
    .exits(6);
    let said = hook.wait_for("exit 6");
    assert!(
        said.contains("exit 6") && said.contains("a person must fix"),
        "{said}"
    );
    assert!(!said.contains("WRONG-s3cr3t"), "{said}");
    assert!(ran.stderr.contains("notification not delivered"), "{ran:?}");

    // The console: a batch submitted, its approver is told.
    let state = state_with_users(&w);
    let c = Console::start_with(
        &w,
        &state,
        &[("MP_ACCESS_TOKEN", TEST_TOKEN)],
        &["--api-base", &sb.base_url(), "--notify-url", &url],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let id = rt.block_on(async {
        let sub = Person::log_in(&c, "sub").await;
        let id = sub.uploaded(&ordinary_csv(1, 3_220), false).await;
        sub.stepped(&id, "submit", &[("expect_total", "1.25")])
            .await;
        id
    });
    let submitted = hook.wait_for(&id);
    assert!(submitted.contains("waits for an approver"), "{submitted}");

    // Only https, or http to this machine.
    let ran = run(w.mprefund(
        &sb,
        &[
            "run",
            "in.csv",
            "--notify-url",
            "http://hooks.example.com/x",
        ],
    ))
    .exits(2);
    assert!(
        ran.stderr.contains("notify_url must be an https:// URL"),
        "{ran:?}"
    );
}

#[test]
fn the_shipped_units_pass_systemd_analyze_verify() {
    let Some(analyze) = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        eprintln!(
            "\n*** skipped: systemd-analyze verify of jobs/*.service: no systemd-analyze on this machine (apt-get install systemd) ***\n"
        );
        return;
    };
    let w = Work::new();
    let jobs = Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
    let mut units = Vec::new();
    for entry in std::fs::read_dir(&jobs).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".service") || name.ends_with(".timer") {
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(w.path(&name), rooted(&text, Path::new(""))).unwrap();
            units.push(name);
        }
    }
    assert!(units.len() >= 8, "{units:?}");
    let ran = run(Command::new(analyze)
        .current_dir(w.dir.path())
        .arg("verify")
        .arg("--man=no")
        .args(&units))
    .exits(0);
    // Every key known to the systemd here (252, Debian 12, and later): the
    // newer ones live in the drop-in, installed only where they are known.
    assert!(
        !ran.stderr.contains("Unknown key") && !ran.stderr.contains("Unknown section"),
        "{ran:?}"
    );
}

/// The command a notification says to run next.
fn next_in(said: &str) -> Vec<String> {
    said.split("next: `")
        .skip(1)
        .filter_map(|rest| rest.split('`').next())
        .map(|c| {
            c.strip_prefix("mprefund ")
                .unwrap_or_else(|| panic!("{c}"))
                .to_owned()
        })
        .collect()
}

/// `retry` and `reconcile` tell too: a batch that ends with failed rows, a
/// read-back that finds rows still in doubt, an end a person must see (exit 2
/// or more) — each with the command to run next, which works as told.
#[test]
fn retry_and_reconcile_notify_what_a_person_must_see() {
    let hook = Receiver::start(0);
    let sb = sandbox_with(outage());
    let w = Work::new();
    w.write(
        "job.toml",
        format!(
            "input = \"in.csv\"\nstate = \"s.db\"\napi_base = \"{}\"\nnotify_url = \"{}\"\n\
             max_attempts = 1\nbreaker = 100\n",
            sb.base_url(),
            hook.url
        ),
    );
    w.write(
        "in.csv",
        "payment_id,amount,reference\n3310001,1.25,a\n3310002,1.25,b\n3310903,1.25,c\n",
    );
    let mprefund = |args: &[&str]| {
        let mut c = w.bare();
        c.env("MP_ACCESS_TOKEN", TEST_TOKEN).args(args);
        run(c)
    };
    // Every answer a 500: the rows are in doubt.
    let ran = mprefund(&["run", "--job", "job.toml"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    hook.wait_for("0 failed and 3 in doubt");

    // Read back during the outage: the payments unreadable, said with the
    // read-back to do later.
    let read = mprefund(&["reconcile", "--job", "job.toml"]);
    assert_eq!(read.code, 1, "{read:?}");
    let said = hook.wait_for("Mercado Pago disagrees");
    assert!(said.contains("unreadable 3"), "{said}");
    let job = w.path("job.toml").display().to_string();
    assert!(
        said.contains(&format!(
            "next: read back again later: `mprefund reconcile --job {job} --batch "
        )),
        "{said}"
    );

    // A retry the breaker stops (exit 3): told, with the command that resumes.
    let stopped = mprefund(&["retry", "--job", "job.toml", "--breaker", "1"]);
    assert_eq!(stopped.code, 3, "{stopped:?}");
    let said = hook.wait_for("the retry: exit 3");
    let [resume] = next_in(&said).try_into().expect("one step");
    assert!(resume.ends_with("--include-pending"), "{said}");

    // The outage over, the command told. The 2063 row stays in doubt (its
    // payment refuses a refund it may have made itself), and is told.
    sb.set_faults(Faults::default());
    let resumed = mprefund(
        &crate::steps::shell_words(&resume)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(resumed.code, 1, "{resume}: {resumed:?}");
    let said = hook.wait_for("0 failed and 1 in doubt");
    assert!(said.contains("next: `mprefund status --job "), "{said}");

    // A retry refused (exit 2) is told too.
    let refused = mprefund(&["retry", "--job", "job.toml", "--batch", "nope"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    let said = hook.wait_for("the retry: exit 2");
    assert!(said.contains("no batch nope"), "{said}");
    assert!(hook.texts().iter().all(|t| !t.contains(TEST_TOKEN)));
}

/// `run --approved` tells of the console's batches as a nightly run does: one
/// stopped by an outage is told with the command that sends it.
#[tokio::test]
async fn run_approved_tells_of_a_stopped_console_batch() {
    let hook = Receiver::start(0);
    let (sb, w) = fresh();
    let state = state_with_users(&w);
    let c = Console::start_with(
        &w,
        &state,
        &[("MP_ACCESS_TOKEN", TEST_TOKEN)],
        &["--api-base", &sb.base_url()],
    );
    let sub = Person::log_in(&c, "sub").await;
    let appr = Person::log_in(&c, "appr").await;
    let id = sub.uploaded(&ordinary_csv(3, 3_320), false).await;
    sub.stepped(&id, "submit", &[("expect_total", "3.75")])
        .await;
    appr.stepped(&id, "approve", &[("expect_total", "3.75")])
        .await;
    drop((sub, appr));
    drop(c);
    sb.set_faults(outage());
    let night = |extra: &[&str]| {
        let mut cmd = w.bare();
        cmd.env("MP_ACCESS_TOKEN", TEST_TOKEN)
            .args(["run", "--approved", "--state"])
            .arg(&state)
            .args(extra);
        run(cmd)
    };
    let ran = night(&["--breaker", "1", "--notify-url", &hook.url]);
    assert_eq!(ran.code, 3, "{ran:?}");
    let said = hook.wait_for("the night's run: exit 3");
    let [again] = next_in(&said).try_into().expect("one step");
    assert!(
        again.starts_with(&format!("run --approved --state {}", state.display())),
        "{said}"
    );
    sb.set_faults(Faults::default());
    let mut cmd = w.bare();
    cmd.env("MP_ACCESS_TOKEN", TEST_TOKEN)
        .args(crate::steps::shell_words(&again));
    let sent = run(cmd);
    assert_eq!(sent.code, 0, "{again}: {sent:?}");
    assert_eq!(sb.refunds().len(), 3);
    // Finished: no lock file of its batch remains beside the state file.
    let locks = ending(state.parent().unwrap(), ".lock");
    assert!(locks.is_empty(), "{locks:?}");
}

/// A night's files under umask 022, as cron and systemd leave it: the state
/// file and the lock a stopped batch leaves beside it are private (0600); the
/// results and the monitoring files keep the umask, for people and
/// collectors; the lock goes once its batch finishes, by whichever command
/// finishes it.
#[test]
fn a_nights_files_are_private_under_umask_022_and_locks_go_with_their_batch() {
    use std::os::unix::process::CommandExt;
    let (sb, w) = night_in_an_outage();
    w.write("tonight.csv", ordinary_csv(4, 3_910));
    let mprefund = |args: &[&str]| {
        let mut c = w.bare();
        c.env("MP_ACCESS_TOKEN", TEST_TOKEN).args(args);
        // SAFETY: umask is async-signal-safe; it only sets the child's mask.
        unsafe {
            c.pre_exec(|| {
                libc::umask(0o022);
                Ok(())
            });
        }
        run(c)
    };
    let ran = mprefund(&["run", "--job", "job.toml"]);
    assert_eq!(ran.code, 3, "{ran:?}");
    let locks = ending(w.dir.path(), ".lock");
    let [lock] = locks.as_slice() else {
        panic!("one lock, of the stopped batch: {locks:?}")
    };
    assert_eq!(mode(lock), 0o600, "{}", lock.display());
    assert_eq!(mode(&w.path("s.db")), 0o600);
    for companion in ["s.db-wal", "s.db-shm"] {
        let p = w.path(companion);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{companion}");
        }
    }
    for people in ["tonight.results.csv", "m.prom", "s.json"] {
        assert_eq!(mode(&w.path(people)), 0o644, "{people}");
    }

    // Finished by a retry: its lock goes.
    sb.set_faults(Faults::default());
    let done = mprefund(&["retry", "--job", "job.toml", "--include-pending"]);
    assert_eq!(done.code, 0, "{done:?}");
    assert!(
        ending(w.dir.path(), ".lock").is_empty(),
        "{:?}",
        ending(w.dir.path(), ".lock")
    );
    // A read-back of a finished batch leaves none either.
    let read = mprefund(&["reconcile", "--job", "job.toml"]);
    assert_eq!(read.code, 0, "{read:?}");
    assert!(ending(w.dir.path(), ".lock").is_empty());
    assert_eq!(mode(&w.path("s.db")), 0o600);
}
