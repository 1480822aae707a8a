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
    let sb = sandbox();
    let w = Work::new();
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

#[test]
fn a_console_without_a_token_refuses_to_start_unless_told_to_look_only() {
    let w = Work::new();
    let state = state_with_users(&w);
    let ran = run(w
        .bare()
        .args(["console", "--listen", "127.0.0.1:0", "--state"])
        .arg(&state));
    assert_eq!(ran.code, 2, "{ran:?}");
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
    let w = Work::new();
    let state = state_with_users(&w);
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
    let sb = sandbox_with(Faults {
        error_500: 1.0,
        ..Faults::default()
    });
    let w = Work::new();
    w.write(
        "job.toml",
        format!(
            "input = \"tonight.csv\"\nstate = \"s.db\"\napi_base = \"{}\"\nbreaker = 3\n\
             metrics_file = \"m.prom\"\nsummary_json = \"s.json\"\n",
            sb.base_url()
        ),
    );
    let night = || run(w.mprefund(&sb, &["--quiet", "run", "--job", "job.toml"]));
    w.write("tonight.csv", ordinary_csv(5, 3_110));
    let ran = night();
    assert_eq!(ran.code, 3, "{ran:?}");
    let outage: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("s.json")).unwrap()).unwrap();
    let first = outage["batch"].as_str().unwrap().to_owned();
    assert!(
        !ran.stderr.contains("mprefund retry`)") && !ran.stderr.contains("next: retry"),
        "pending rows are the run's to resume, not retry's: {ran:?}"
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
    let ran = run(w.mprefund(&sb, &["--quiet", "reconcile", "--job", "job.toml"]));
    assert_eq!(ran.code, 0, "{ran:?}");
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
    let ran = run(w.mprefund(&sb, &["--quiet", "reconcile", "--job", "job.toml"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stderr.matches("reconciled").count(), 1, "{ran:?}");
}

#[test]
fn notifications_reach_a_webhook_and_a_failed_one_is_tried_again() {
    // A receiver of our own: it keeps each JSON body.
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
            // The first is refused: the tool tries again.
            let status = if n == 0 {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            if n > 0 {
                kept.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&body).into_owned());
            }
        }
    });
    let sb = sandbox();
    let w = Work::new();
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
        ]));
    assert_eq!(ran.code, 6, "{ran:?}");
    wait_until(
        "the notification",
        std::time::Duration::from_secs(60),
        || !got.lock().unwrap().is_empty(),
    );
    let body: serde_json::Value = serde_json::from_str(&got.lock().unwrap()[0]).unwrap();
    let said = body["text"].as_str().unwrap();
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
    wait_until(
        "the submission's notification",
        std::time::Duration::from_secs(60),
        || got.lock().unwrap().iter().any(|b| b.contains(&id)),
    );
    let all = got.lock().unwrap().clone();
    let submitted = all.iter().find(|b| b.contains(&id)).unwrap();
    let body: serde_json::Value = serde_json::from_str(submitted).unwrap();
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("waits for an approver"),
        "{body}"
    );

    // Only https, or http to this machine.
    let ran = run(w.mprefund(
        &sb,
        &[
            "run",
            "in.csv",
            "--notify-url",
            "http://hooks.example.com/x",
        ],
    ));
    assert_eq!(ran.code, 2, "{ran:?}");
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
        .args(&units));
    assert_eq!(ran.code, 0, "{ran:?}");
    // Every key known to the systemd here (252, Debian 12, and later): the
    // newer ones live in the drop-in, installed only where they are known.
    assert!(
        !ran.stderr.contains("Unknown key") && !ran.stderr.contains("Unknown section"),
        "{ran:?}"
    );
}
