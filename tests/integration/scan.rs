//! The input is read once per command: given a named pipe, which
//! can be read once only, `plan --online` and `run --preflight` (new batch, then
//! a resume) finish — a command that opened the input a second time would wait
//! for a writer that never comes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{Ran, Work, fresh, read_csv};

const INPUT: &str = "payment_id,amount,reference\n9400001,10,a\n9400002,5,b\n9400003,full,c\n";

/// A named pipe at `name` in `w`.
fn fifo(w: &Work, name: &str) -> PathBuf {
    let path = w.path(name);
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `c` is a NUL-terminated path that lives across the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(rc, 0, "mkfifo: {}", std::io::Error::last_os_error());
    path
}

/// Runs `cmd` with `content` written once into the pipe `pipe`; the command
/// must exit within a minute (killed, and the test failed, otherwise).
fn with_pipe(w: &Work, mut cmd: Command, pipe: &Path, content: &'static str) -> Ran {
    let feeder = {
        let pipe = pipe.to_owned();
        std::thread::spawn(move || {
            // Blocks until the command opens the pipe; written once, then closed.
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&pipe) {
                let _ = f.write_all(content.as_bytes());
            }
        })
    };
    let log = w.path("cmd.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut child = cmd
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("spawn mprefund");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "still running after 60 s: the input was opened more than once?\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // A feeder still waiting (the command never opened the pipe) is let go.
    let _ = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(pipe);
    feeder.join().unwrap();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    Ran {
        code: status.code().unwrap_or(-1),
        stdout: text.clone(),
        stderr: text,
    }
}

use std::os::unix::fs::OpenOptionsExt as _;

#[test]
fn plan_and_run_read_a_pipe_once() {
    let (sb, w) = fresh();

    let pipe = fifo(&w, "p.csv");
    let mut plan = w.bare();
    plan.env("MP_ACCESS_TOKEN", mprefund_sandbox::TEST_TOKEN)
        .args(["plan", "--online", "p.csv", "--api-base", &sb.base_url()]);
    let ran = with_pipe(&w, plan, &pipe, INPUT);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("valid:         3"), "{ran:?}");
    let predicted = read_csv(&w.path("p.plan.csv"));
    assert_eq!(predicted.len(), 3, "{predicted:?}");
    assert!(
        predicted.iter().all(|r| r["prediction"] == "ok"),
        "{predicted:?}"
    );

    let pipe = fifo(&w, "in.csv");
    let ran = with_pipe(
        &w,
        w.mprefund(&sb, &["run", "in.csv", "--preflight"]),
        &pipe,
        INPUT,
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(sb.refunds().len(), 3);
    // Again: the same bytes resume the finished batch, from the one read.
    let ran = with_pipe(&w, w.mprefund(&sb, &["run", "in.csv"]), &pipe, INPUT);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stderr.contains("nothing new tonight"), "{ran:?}");
    assert_eq!(sb.refunds().len(), 3);
    let results = read_csv(&w.path("in.results.csv"));
    assert!(
        results.iter().all(|r| r["outcome"] == "refunded"),
        "{results:?}"
    );
}
