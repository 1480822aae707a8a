//! The direction of imports, checked on the main crate's sources. `src/` is in folders by
//! layer, data flowing one way: `domain` ← `sheets`, `store`, `api` ← `engine`
//! ← `ops` ← `cli`, `web`. A module may name its own layer and those below;
//! layers side by side may name each other only where no circle forms. Every
//! path is read — `crate::m`, groups `crate::{a, b::c}`, `super::` — and a
//! name the crate root re-exports counts as an import of the module it comes
//! from. Any circle between modules fails, wherever it is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first; folders side by side share a rank.
const LAYERS: [(&str, u8); 8] = [
    ("domain", 0),
    ("sheets", 1),
    ("store", 1),
    ("api", 1),
    ("engine", 2),
    ("ops", 3),
    ("cli", 4),
    ("web", 4),
];

/// The crate root's own modules (files beside `lib.rs`) and the layer each
/// stands in: the markers every layer may put on an error (`error`), at the
/// bottom; the one exit boundary (`exit`), with the entry points.
const ROOT_MODULES: [(&str, u8); 2] = [("error", 0), ("exit", 4)];

fn rank(folder: &str) -> Option<u8> {
    LAYERS.iter().find(|(f, _)| *f == folder).map(|(_, r)| *r)
}

/// The layer a node stands in: its folder's, or a root module's own.
fn rank_of(node: &str) -> Option<u8> {
    folder_of(node).and_then(rank).or_else(|| {
        ROOT_MODULES
            .iter()
            .find(|(m, _)| *m == node)
            .map(|(_, r)| *r)
    })
}

/// Every `.rs` file under `dir`, with its path relative to `dir` and its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read src")
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                let rel = path.strip_prefix(root).expect("under src").to_path_buf();
                out.push((rel, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// A module as the check sees it: a layer folder and its module in it
/// (`engine::send`; `store::ledger` for every file of `store/ledger/`), or a
/// module of the crate root (`exit`).
type Node = String;

/// The node a file is: `engine/send.rs` → `engine::send`,
/// `store/ledger/claim.rs` → `store::ledger`, `engine/mod.rs` → `engine`,
/// `exit.rs` → `exit`.
fn node_of(file: &Path) -> Node {
    let parts: Vec<String> = file
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    match parts.as_slice() {
        [one] => one.clone(),
        [folder, m, ..] if m != "mod" => format!("{folder}::{m}"),
        [folder, ..] => folder.clone(),
        [] => String::new(),
    }
}

/// The code of `text` without comments, string literals' contents and its
/// test module, so neither a doc line, a test's sample text nor what a test
/// drives counts as an import.
fn code_of(text: &str) -> String {
    let text = text
        .find("#[cfg(test)]\nmod tests")
        .map_or(text, |at| &text[..at]);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if !in_str && c == '/' && chars.peek() == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\\' {
                in_str = !in_str;
                out.push('"');
            } else if !in_str {
                out.push(c);
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
        }
        out.push('\n');
    }
    out
}

/// What the crate root re-exports: the name, and the module it comes from
/// (`pub use error::Usage;` → `Usage` from `error`; `pub use
/// domain::ending::Exit;` → `Exit` from `domain::ending`).
fn reexports(lib: &str) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    for stmt in code_of(lib).split(';') {
        let stmt = stmt.trim();
        let Some(rest) = stmt
            .strip_prefix("pub use ")
            .or_else(|| stmt.strip_prefix("pub(crate) use "))
        else {
            continue;
        };
        for path in expand(rest) {
            if let [module, rest @ .., name] = path.as_slice() {
                let node = match rest.first() {
                    Some(m) if rank(module).is_some() => format!("{module}::{m}"),
                    _ => module.clone(),
                };
                out.insert(name.clone(), node);
            }
        }
    }
    out
}

/// The paths a `use` tree or a path names, groups expanded:
/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = Vec::new();
    fn go(prefix: &[String], s: &str, out: &mut Vec<Vec<String>>) {
        if let Some(open) = s.find('{') {
            let head: Vec<String> = s[..open]
                .split("::")
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            let mut base = prefix.to_vec();
            base.extend(head);
            let inner = &s[open + 1..s.rfind('}').unwrap_or(s.len())];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&base, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            go(&base, &inner[start..], out);
        } else if !s.is_empty() {
            let mut p = prefix.to_vec();
            let s = s.split(" as ").next().unwrap_or(s);
            p.extend(
                s.split("::")
                    .filter(|x| !x.is_empty() && *x != "self")
                    .map(str::to_owned),
            );
            out.push(p);
        }
    }
    go(&[], &tree, &mut out);
    out
}

/// The nodes `file` (of node `me`) names: every `crate::…` path and group,
/// every `super::…` (read from the file's place), and every re-exported name
/// used as `crate::Name`.
fn imports(file: &Path, text: &str, reexported: &BTreeMap<String, Node>) -> BTreeSet<Node> {
    let code = code_of(text);
    let mut out = BTreeSet::new();
    let dir: Vec<String> = file
        .parent()
        .map(|p| p.iter().map(|s| s.to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    // `super::` from `folder/m.rs` is the folder; deeper files stay in their module.
    let super_prefix = match dir.as_slice() {
        [folder] if !file.ends_with("mod.rs") => Some(folder.clone()),
        _ => None,
    };
    let bytes = code.as_bytes();
    for (prefix, base) in [("crate::", None), ("super::", super_prefix)] {
        if prefix == "super::" && base.is_none() {
            continue;
        }
        for (at, _) in code.match_indices(prefix) {
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let rest = &code[at + prefix.len()..];
            let end = path_end(rest);
            for path in expand(&rest[..end]) {
                let mut full: Vec<String> = base.iter().cloned().collect();
                full.extend(path);
                if let Some(n) = node_for(&full, reexported) {
                    out.insert(n);
                }
            }
        }
    }
    out
}

/// Where a path (or a `use` tree) that starts `rest` ends.
fn path_end(rest: &str) -> usize {
    let mut depth = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => return i,
            _ => {}
        }
    }
    rest.len()
}

/// The node a full path from the crate root names, if it is one of ours.
fn node_for(path: &[String], reexported: &BTreeMap<String, Node>) -> Option<Node> {
    let first = path.first()?;
    if rank(first).is_some() {
        return Some(match path.get(1) {
            Some(m) if m.chars().next().is_some_and(char::is_lowercase) => format!("{first}::{m}"),
            _ => first.clone(),
        });
    }
    if ROOT_MODULES.iter().any(|(m, _)| m == first) {
        return Some(first.clone());
    }
    reexported.get(first).cloned()
}

/// The folder of a node (`engine::send` → `engine`), or `None` for the crate
/// root's own modules.
fn folder_of(node: &str) -> Option<&str> {
    let folder = node.split("::").next()?;
    rank(folder).map(|_| folder)
}

/// The import graph of `files` (paths relative to `src/`, with `lib.rs`).
fn graph(files: &[(PathBuf, String)]) -> BTreeMap<Node, BTreeSet<Node>> {
    let lib = files
        .iter()
        .find(|(p, _)| p == Path::new("lib.rs"))
        .map(|(_, t)| t.as_str())
        .unwrap_or_default();
    let reexported = reexports(lib);
    let mut g: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    for (path, text) in files {
        let me = node_of(path);
        if matches!(me.as_str(), "lib" | "main" | "layers") {
            continue;
        }
        let to = imports(path, text, &reexported);
        let entry = g.entry(me.clone()).or_default();
        for n in to {
            // A folder's own `mod.rs` declares its modules: that is not an import.
            if n != me && folder_of(&n) != Some(me.as_str()) {
                entry.insert(n);
            }
        }
    }
    g
}

/// Imports that reach a higher layer: `from → to`.
fn upward(g: &BTreeMap<Node, BTreeSet<Node>>) -> Vec<String> {
    let mut out = Vec::new();
    for (from, tos) in g {
        let Some(rf) = rank_of(from) else {
            continue;
        };
        for to in tos {
            if let Some(rt) = rank_of(to)
                && rt > rf
            {
                out.push(format!("{from} → {to}"));
            }
        }
    }
    out
}

/// Every circle of `g`, as the modules in it (strongly connected components of
/// more than one module, by Tarjan's algorithm), and the circles between
/// folders side by side.
fn circles(g: &BTreeMap<Node, BTreeSet<Node>>) -> Vec<Vec<Node>> {
    struct T<'g> {
        g: &'g BTreeMap<Node, BTreeSet<Node>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on: BTreeSet<&'g str>,
        next: usize,
        out: Vec<Vec<Node>>,
    }
    impl<'g> T<'g> {
        fn visit(&mut self, v: &'g str) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on.insert(v);
            for w in self.g.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.g.contains_key(w) {
                    continue;
                }
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut scc = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    scc.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if scc.len() > 1 {
                    scc.sort();
                    self.out.push(scc);
                }
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    // Folders side by side: their own graph must have no circle either.
    let mut folders: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    for (from, tos) in g {
        if let Some(ff) = folder_of(from) {
            let e = folders.entry(ff.to_owned()).or_default();
            for to in tos {
                if let Some(ft) = folder_of(to)
                    && ft != ff
                {
                    e.insert(ft.to_owned());
                }
            }
        }
    }
    let mut out = t.out;
    if g.len() != folders.len() || g.keys().ne(folders.keys()) {
        out.extend(circles(&folders));
    }
    out
}

#[test]
fn no_layer_reaches_up_and_no_module_is_in_a_circle() {
    let files = sources(&src());
    let g = graph(&files);
    assert!(g.len() > 40, "the modules are found: {}", g.len());
    let up = upward(&g);
    assert!(up.is_empty(), "imports that reach up:\n{}", up.join("\n"));
    let found = circles(&g);
    assert!(
        found.is_empty(),
        "import circles:\n{}",
        found
            .iter()
            .map(|c| c.join(" ↔ "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn src_holds_at_most_a_dozen_entries_and_the_layers_are_its_folders() {
    let entries: Vec<String> = std::fs::read_dir(src())
        .expect("read src")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(entries.len() <= 12, "src/ holds {entries:?}");
    for (folder, _) in LAYERS {
        assert!(entries.iter().any(|e| e == folder), "no {folder}/ in src/");
    }
}

/// The check on sources written here: it hears every form of import, and a
/// planted circle or upward import fails it.
#[test]
fn the_check_finds_a_planted_circle_and_an_upward_import() {
    let lib = "pub use error::{Damaged, Usage};\npub use domain::ending::Exit;\nmod engine;\n";
    let files = |extra: &[(&str, &str)]| -> Vec<(PathBuf, String)> {
        let mut v = vec![
            (PathBuf::from("lib.rs"), lib.to_owned()),
            (PathBuf::from("error.rs"), String::new()),
            (PathBuf::from("exit.rs"), String::new()),
            (PathBuf::from("domain/ending.rs"), String::new()),
            (
                PathBuf::from("engine/send.rs"),
                "use crate::api::client::Client;\nuse crate::Usage;\n".to_owned(),
            ),
            (
                PathBuf::from("api/client.rs"),
                "use crate::domain::money;\n// use crate::ops::x;\nlet s = \"crate::web::x\";\n"
                    .to_owned(),
            ),
            (PathBuf::from("domain/money.rs"), String::new()),
        ];
        v.extend(
            extra
                .iter()
                .map(|(p, t)| (PathBuf::from(p), (*t).to_owned())),
        );
        v
    };
    let clean = graph(&files(&[]));
    assert_eq!(
        clean["engine::send"],
        ["api::client", "error"].map(String::from).into(),
        "a re-exported name is its module"
    );
    assert_eq!(
        clean["api::client"],
        ["domain::money".to_owned()].into(),
        "comments and strings are not imports"
    );
    assert!(upward(&clean).is_empty() && circles(&clean).is_empty());

    // A circle inside a layer, through a group and `super::`.
    let planted = graph(&files(&[
        (
            "engine/rate.rs",
            "use crate::{Exit, engine::{send::Sender}};\n",
        ),
        ("engine/night.rs", "fn f(e: crate::Exit) {}\n"),
        ("engine/retry.rs", "use super::rate;\n"),
        ("engine/send2.rs", ""),
    ]));
    let mut with_circle = planted.clone();
    with_circle
        .entry("engine::send".into())
        .or_default()
        .insert("engine::retry".into());
    assert_eq!(
        circles(&with_circle),
        [vec!["engine::rate", "engine::retry", "engine::send"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()]
    );
    // Folders side by side naming each other.
    let sideways = graph(&files(&[
        ("domain/key.rs", ""),
        ("store/paths.rs", "use crate::api::client;\n"),
        ("api/token.rs", "use crate::store::paths;\n"),
    ]));
    assert!(
        circles(&sideways).iter().any(|c| c == &["api", "store"]),
        "{:?}",
        circles(&sideways)
    );
    assert!(
        planted["engine::night"].contains("domain::ending"),
        "a name re-exported from deep in a folder is its module"
    );
    // Reaching up, to a layer or to the exit boundary.
    let up = graph(&files(&[
        ("domain/key.rs", "use crate::engine::send;\n"),
        ("ops/run.rs", "use crate::exit::of_error;\n"),
    ]));
    assert_eq!(
        upward(&up),
        ["domain::key → engine::send", "ops::run → exit"]
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
