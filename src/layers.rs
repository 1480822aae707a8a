//! The direction of imports, checked on the sources: data flows input → domain
//! → ledger → engine → report, and the commands sit on top of it all (only the
//! command line and the demo, which drive them, may name them). A module that
//! reaches up makes an import circle, which these tests refuse.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read source");
            out.push((path, text));
        }
    }
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The statements of `text` (comments left out) that name any of `modules`
/// right after `crate::` — `crate::m::x`, `crate::m`, or inside a group
/// `crate::{a, m::x}` (the top-level names of a group only).
fn imports_of(text: &str, modules: &[&str]) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for stmt in code.split(';') {
        let mut names = Vec::new();
        for (at, _) in stmt.match_indices("crate::") {
            let rest = &stmt[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // Top-level names of the group: depth 0 between commas.
                let mut depth = 0;
                let mut start = true;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => start = true,
                        c if c.is_whitespace() => {}
                        _ if start && depth == 0 => {
                            names.push(ident(&group[i..]));
                            start = false;
                        }
                        _ => {}
                    }
                }
            } else {
                names.push(ident(rest));
            }
        }
        if names.iter().any(|n| modules.contains(&n.as_str())) {
            found.push(stmt.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    found
}

#[test]
fn nothing_below_the_commands_imports_them() {
    let root = src();
    // The drivers of the commands (the command line, the console, the demo),
    // and this file (its examples).
    let drivers = [
        root.join("demo.rs"),
        root.join("main.rs"),
        root.join("layers.rs"),
    ];
    let driver_dirs = [
        root.join("commands"),
        root.join("cli"),
        root.join("console"),
    ];
    let mut up = Vec::new();
    for (path, text) in sources(&root) {
        if driver_dirs.iter().any(|d| path.starts_with(d)) || drivers.contains(&path) {
            continue;
        }
        for line in imports_of(&text, &["commands"]) {
            up.push(format!("{}: {}", path.display(), line.trim()));
        }
    }
    assert!(
        up.is_empty(),
        "imports of the commands from below:\n{}",
        up.join("\n")
    );
}

#[test]
fn the_ledger_imports_nothing_above_it() {
    let above = [
        "commands", "cli", "runner", "lookup", "send", "client", "network", "report", "metrics",
        "totals", "progress", "rate", "throttle", "books",
    ];
    let mut up = Vec::new();
    for (path, text) in sources(&src().join("ledger")) {
        for line in imports_of(&text, &above) {
            up.push(format!("{}: {}", path.display(), line.trim()));
        }
    }
    assert!(up.is_empty(), "the ledger reaches up:\n{}", up.join("\n"));
}

#[test]
fn the_send_loop_sits_below_the_runner_and_the_lookups() {
    // Refunds (runner) and payment reads (lookup) both stand on the one send
    // loop; neither reaches into the other, and the loop knows neither.
    let checks: [(&str, &[&str]); 4] = [
        ("send.rs", &["runner", "lookup", "commands", "cli"]),
        ("lookup.rs", &["runner", "commands", "cli"]),
        ("runner.rs", &["lookup", "commands", "cli"]),
        ("rate.rs", &["send", "runner", "lookup", "commands", "cli"]),
    ];
    let mut up = Vec::new();
    for (file, above) in checks {
        let text = std::fs::read_to_string(src().join(file)).expect("read source");
        for line in imports_of(&text, above) {
            up.push(format!("{file}: {}", line.trim()));
        }
    }
    assert!(up.is_empty(), "the send loop's layers:\n{}", up.join("\n"));
}

#[test]
fn the_check_sees_an_import() {
    // The checks above pass on silence; this one says they can hear.
    let commands = |text: &str| imports_of(text, &["commands"]);
    assert_eq!(
        commands("use crate::commands::reconcile::Finding;\n// crate::commands::x;"),
        ["use crate::commands::reconcile::Finding"]
    );
    assert_eq!(commands("use crate::{Exit, commands};").len(), 1);
    assert_eq!(
        commands("use crate::{\n    Exit,\n    commands::run,\n};").len(),
        1
    );
    assert_eq!(
        commands("let x = crate::commands::plan::plan(a)?;").len(),
        1
    );
    // Names that only start alike, or sit deeper in a path, are not the module.
    assert!(commands("use crate::{report::commands, commands_like};").is_empty());
    assert!(commands("use crate::domain::{Cause, CauseCode};").is_empty());
    assert!(
        sources(&src())
            .iter()
            .any(|(p, t)| p.starts_with(src().join("cli"))
                && !imports_of(t, &["commands"]).is_empty()),
        "cli/ drives the commands: the check must find it"
    );
}

#[test]
fn the_settings_sit_below_the_ledger() {
    // The ledger stores the one settings model; the engine's parts borrow it.
    // It names none of them, nor the edge that resolves it.
    let above = [
        "ledger", "commands", "cli", "console", "runner", "lookup", "send", "client", "rate",
        "retry", "throttle", "network", "report", "metrics",
    ];
    let text = std::fs::read_to_string(src().join("settings.rs")).expect("read source");
    let up = imports_of(&text, &above);
    assert!(up.is_empty(), "settings.rs reaches up:\n{}", up.join("\n"));
}

#[test]
fn money_sits_on_the_domain_alone() {
    // Every per-currency total (summary, metrics, plan, reconciliation) sums
    // through `money`; it stays the domain's money module, below them all.
    let root = src();
    let others: Vec<String> = std::fs::read_dir(&root)
        .expect("read src")
        .filter_map(|e| {
            let p = e.expect("dir entry").path();
            let name = p.file_stem()?.to_string_lossy().into_owned();
            (name != "domain" && name != "money").then_some(name)
        })
        .collect();
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    let text = std::fs::read_to_string(root.join("money.rs")).expect("read source");
    let up = imports_of(&text, &others);
    assert!(
        up.is_empty(),
        "money reaches past the domain:\n{}",
        up.join("\n")
    );
}

#[test]
fn the_sandbox_knows_nothing_of_the_engine() {
    // The stand-in speaks the wire format on its own terms: a type shared with
    // the client would carry the client's mistakes into the stand-in unseen.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sandbox");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("read manifest");
    let depends: Vec<&str> = manifest
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("mprefund ") || l.starts_with("mprefund="))
        .collect();
    assert!(
        depends.is_empty(),
        "sandbox/Cargo.toml depends on the engine: {depends:?}"
    );
    let mut reaches = Vec::new();
    let files = sources(&root.join("src"));
    assert!(files.len() > 5, "the sandbox's sources are found");
    for (path, text) in files {
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or_default();
            if code.contains("mprefund::") {
                reaches.push(format!("{}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(
        reaches.is_empty(),
        "the sandbox imports the engine:\n{}",
        reaches.join("\n")
    );
}
