//! Benchmark (not a test): the console under the hostile load a sweep found —
//! 200 logins at once at one account with one anonymous form's token, then a
//! 20 MiB upload whose header has 10 million columns.
//!
//! Prints how many of the 200 guesses the console checked (argon2 run; the
//! lockout allows five), how the rest were answered, and the console
//! process's peak memory (VmHWM) after each: targets ≤ 256 MiB after the
//! logins and ≤ 200 MiB after the upload.
//!
//! `cargo bench --bench console_hostile`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

const PASSWORD: &str = "correct horse battery";
const LOGINS: usize = 200;
const COLUMNS: usize = 10_000_000;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn add_user(state: &Path, name: &str, role: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mprefund"))
        .args(["console", "users", "add", name, "--role", role])
        .args(["--password-stdin", "--state"])
        .arg(state)
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn users add");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "users add {name}");
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(Arc::new(reqwest::cookie::Jar::default()))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn csrf_of(html: &str) -> String {
    let mark = "name=\"csrf-token\" content=\"";
    let at = html.find(mark).expect("a csrf meta") + mark.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// The process's peak resident set (`VmHWM`), in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("hostile.mprefund.db");
    add_user(&state, "ana", "submitter");
    add_user(&state, "victim", "approver");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mprefund"))
        .args(["console", "--listen", "127.0.0.1:0", "--state"])
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn console");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let pid = child.id();
    let _console = Killed(child);
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .expect("listening on …")
        .trim_end_matches('/')
        .to_owned();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(hostile(&base, pid));
}

async fn hostile(base: &str, pid: u32) {
    let start_kib = peak_kib(pid);
    // The uploader logs in before the flood (the flood's address is then limited).
    let ana = client();
    let csrf = csrf_of(
        &ana.get(format!("{base}/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    let r = ana
        .post(format!("{base}/login"))
        .form(&[("user", "ana"), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "ana logs in");
    let ana_csrf = csrf_of(
        &ana.get(format!("{base}/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );

    // 200 guesses at once, one anonymous form's token.
    let guesser = client();
    let form = guesser.get(format!("{base}/login")).send().await.unwrap();
    let csrf = csrf_of(&form.text().await.unwrap());
    let started = Instant::now();
    let guesses = (0..LOGINS).map(|i| {
        let (guesser, csrf) = (&guesser, &csrf);
        async move {
            guesser
                .post(format!("{base}/login"))
                .form(&[
                    ("user", "victim"),
                    ("password", &format!("guess number {i}")),
                    ("csrf", csrf),
                ])
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let took = started.elapsed().as_secs_f64();
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for a in &answers {
        *by_status.entry(*a).or_default() += 1;
    }
    // Checked = the password was verified: a wrong one is 401, a right one 303.
    let checked =
        by_status.get(&401).copied().unwrap_or(0) + by_status.get(&303).copied().unwrap_or(0);
    let after_logins = peak_kib(pid);
    println!(
        "console_hostile: {LOGINS} parallel logins at one account in {took:.2} s: {checked} guesses checked; answers {by_status:?}"
    );
    println!(
        "console_hostile: peak memory after the logins {:.1} MiB (at start {:.1} MiB; target ≤ 256 MiB)",
        after_logins as f64 / 1024.0,
        start_kib as f64 / 1024.0
    );

    // A 20 MiB header of ten million columns.
    let mut wide = b"payment_id,amount".to_vec();
    wide.extend(std::iter::repeat_n(b",a".as_slice(), COLUMNS - 2).flatten());
    wide.extend_from_slice(b"\n7000001,1.00\n");
    let bytes = wide.len();
    let part = reqwest::multipart::Part::bytes(wide)
        .file_name("wide.csv")
        .mime_str("text/csv")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", ana_csrf)
        .part("file", part);
    let started = Instant::now();
    let r = ana
        .post(format!("{base}/batches"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let page = r.text().await.unwrap_or_default();
    let took = started.elapsed().as_secs_f64();
    let said = page
        .lines()
        .find(|l| l.contains("columns"))
        .map_or_else(String::new, |l| {
            let l = l.trim().trim_start_matches("<pre class=\"detail\">");
            l.replace("&#34;", "\"").chars().take(140).collect()
        });
    let after_upload = peak_kib(pid);
    println!(
        "console_hostile: upload of {:.1} MiB with {COLUMNS} columns answered {status} in {took:.2} s: {said}",
        bytes as f64 / 1_048_576.0
    );
    println!(
        "console_hostile: peak memory after the upload {:.1} MiB (target ≤ 200 MiB)",
        after_upload as f64 / 1024.0
    );
}
