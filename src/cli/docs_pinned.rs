//! The book (`docs/src/`) and the man pages (`docs/man/`) pinned to the code,
//! so the reference cannot drift from what the tool does: every exit code,
//! outcome, finding, prediction, results column, job-file key, cause code and
//! metric the code knows has its line in the book, and the book names none the
//! code no longer knows; every chapter is in `SUMMARY.md` and every link lands.
//!
//! Three parts are the code's own output rather than checked against it: the
//! cause-codes table and the job-file keys table (between `<!-- generated: … -->`
//! markers in their chapters) and the man pages (rendered from the clap
//! definitions by `clap_mangen`). After a change to the code they come from,
//! `MPREFUND_BLESS=1 cargo test --lib docs_pinned` writes them anew; without
//! it, a difference fails the test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use strum::IntoEnumIterator;

use crate::cli::settings::JOB_COMMANDS;
use crate::domain::books::{Finding, ReportFinding};
use crate::domain::ending::Exit;
use crate::domain::{CauseCode, Outcome, Prediction};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn bless() -> bool {
    std::env::var_os("MPREFUND_BLESS").is_some_and(|v| v == "1")
}

const BLESS: &str =
    "after a change to the code, `MPREFUND_BLESS=1 cargo test --lib docs_pinned` writes it anew";

/// Every file under `dir` (recursively) whose name ends in `ext`.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The part of a chapter under `heading` (a whole heading line, `## Outcomes`),
/// up to the next heading.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text
        .lines()
        .position(|l| l.trim_end() == heading)
        .unwrap_or_else(|| panic!("no heading `{heading}`"));
    let lines: Vec<&str> = text.lines().collect();
    let end = lines[start + 1..]
        .iter()
        .position(|l| {
            let hashes = l.chars().take_while(|c| *c == '#').count();
            hashes > 0 && l[hashes..].starts_with(' ')
        })
        .map_or(lines.len(), |i| start + 1 + i);
    let from = lines[..=start].iter().map(|l| l.len() + 1).sum::<usize>();
    let to = lines[..end].iter().map(|l| l.len() + 1).sum::<usize>();
    &text[from.min(text.len())..to.min(text.len())]
}

/// The first cell of every table row of `text` (header and rule rows aside),
/// without its backticks and bold marks.
fn first_cells(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut header_next = true;
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            header_next = true;
            continue;
        }
        let cell = line[1..].split('|').next().unwrap_or("").trim();
        if header_next || cell.starts_with("---") {
            header_next = false;
            continue;
        }
        out.insert(cell.replace(['`', '*'], ""));
    }
    out
}

/// Replaces what lies between `<!-- generated: NAME -->` and
/// `<!-- end generated: NAME -->` in `rel` with `body` when blessing, else
/// fails when they differ.
fn generated(rel: &str, name: &str, body: &str) {
    let text = read(rel);
    let open = format!("<!-- generated: {name} -->\n");
    let close = format!("<!-- end generated: {name} -->");
    let start = text
        .find(&open)
        .unwrap_or_else(|| panic!("{rel}: no `{}` marker", open.trim()))
        + open.len();
    let end = text[start..]
        .find(&close)
        .unwrap_or_else(|| panic!("{rel}: no `{close}` marker"))
        + start;
    if &text[start..end] == body {
        return;
    }
    if bless() {
        let new = format!("{}{body}{}", &text[..start], &text[end..]);
        std::fs::write(root().join(rel), new).unwrap();
        return;
    }
    panic!(
        "{rel}: the generated `{name}` table is out of date; {BLESS}\n--- in the book:\n{}\n--- from the code:\n{body}",
        &text[start..end]
    );
}

/// mdBook's id of a heading: lower case, spaces as `-`, punctuation dropped.
fn heading_id(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The ids of a chapter's headings (outside code blocks).
fn heading_ids(text: &str) -> BTreeSet<String> {
    prose_lines(text)
        .filter_map(|l| {
            let hashes = l.chars().take_while(|c| *c == '#').count();
            (hashes > 0 && l[hashes..].starts_with(' ')).then(|| heading_id(l[hashes..].trim()))
        })
        .collect()
}

/// The lines of a markdown text outside fenced code blocks.
fn prose_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut fenced = false;
    text.lines().filter(move |l| {
        if l.trim_start().starts_with("```") {
            fenced = !fenced;
            return false;
        }
        !fenced
    })
}

/// The targets of a markdown text's inline links and images, `[x](target)`,
/// outside code blocks and code spans.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose_lines(text) {
        // Code spans hold examples, not links.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = prose.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            let target = rest[..end].split_whitespace().next().unwrap_or("");
            out.push(target.to_owned());
            rest = &rest[end..];
        }
    }
    out
}

/// Every chapter of the book is listed in `SUMMARY.md`, everything it lists
/// exists, and every relative link of the book, the README, the changelog and
/// the benchmarks' page lands on a file (and on a heading of it, when it names
/// one).
#[test]
fn the_book_lists_every_chapter_and_every_link_lands() {
    let src = root().join("docs/src");
    let summary = read("docs/src/SUMMARY.md");
    let listed: BTreeSet<PathBuf> = link_targets(&summary).iter().map(|t| src.join(t)).collect();
    let chapters: BTreeSet<PathBuf> = files(&src, ".md")
        .into_iter()
        .filter(|p| !p.ends_with("SUMMARY.md"))
        .collect();
    assert!(chapters.len() > 10, "{chapters:?}");
    same_sets(
        &chapters,
        &listed,
        "not in SUMMARY.md:",
        "SUMMARY.md lists what is not there:",
    );

    let mut pages: Vec<PathBuf> = chapters.into_iter().collect();
    for top in ["README.md", "CHANGELOG.md", "benches/README.md"] {
        pages.push(root().join(top));
    }
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let file = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            if !file.exists() {
                broken.push(format!("{}: {target} (no such file)", page.display()));
                continue;
            }
            if !anchor.is_empty() && file.extension().is_some_and(|e| e == "md") {
                let ids = heading_ids(&std::fs::read_to_string(&file).unwrap());
                if !ids.contains(anchor) {
                    broken.push(format!("{}: {target} (no such heading)", page.display()));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links that land nowhere:\n{}",
        broken.join("\n")
    );
}

/// Every exit code the process can end with; a variant added to [`Exit`]
/// fails to compile here until it is listed (and documented).
fn exits() -> Vec<Exit> {
    let all = [
        Exit::Ok,
        Exit::SomeFailed,
        Exit::Usage,
        Exit::Stopped,
        Exit::Locked,
        Exit::Damaged,
        Exit::NeedsPerson,
        Exit::EarlierUnfinished,
        Exit::Internal,
    ];
    for e in all {
        match e {
            Exit::Ok
            | Exit::SomeFailed
            | Exit::Usage
            | Exit::Stopped
            | Exit::Locked
            | Exit::Damaged
            | Exit::NeedsPerson
            | Exit::EarlierUnfinished
            | Exit::Internal => {}
        }
    }
    all.to_vec()
}

fn names<T: Into<&'static str>>(all: impl Iterator<Item = T>) -> BTreeSet<String> {
    all.map(|v| v.into().to_owned()).collect()
}

#[test]
fn every_exit_code_has_its_row() {
    let page = read("docs/src/reference/exit-codes.md");
    let want: BTreeSet<String> = exits().iter().map(|e| e.code().to_string()).collect();
    assert_eq!(first_cells(section(&page, "## Exit codes")), want);
}

#[test]
fn every_outcome_finding_and_prediction_has_its_row() {
    let page = read("docs/src/reference/outcomes.md");
    for (heading, want) in [
        ("## Outcomes", names(Outcome::iter())),
        ("## Reconcile findings", names(Finding::iter())),
        ("## Report-matching findings", names(ReportFinding::iter())),
        ("## Predictions", names(Prediction::iter())),
    ] {
        assert_eq!(first_cells(section(&page, heading)), want, "{heading}");
    }
    // The results columns' page lists the outcomes a row can have.
    let columns = read("docs/src/reference/results-columns.md");
    for o in Outcome::iter() {
        assert!(
            columns.contains(&format!("`{o}`")),
            "results-columns.md: {o}"
        );
    }
}

#[test]
fn every_results_column_is_described() {
    let page = read("docs/src/reference/results-columns.md");
    let tables: [(&str, &[&str]); 3] = [
        ("## The results CSV", &crate::sheets::report::RESULT_COLUMNS),
        (
            "## A batch with orders",
            &crate::sheets::report::ORDER_COLUMNS,
        ),
        (
            "## Mercado Pago's batch-refund columns",
            &crate::sheets::mpbatch::COLUMNS,
        ),
    ];
    for (heading, columns) in tables {
        let want: BTreeSet<String> = columns.iter().map(|c| c.to_string()).collect();
        assert_eq!(first_cells(section(&page, heading)), want, "{heading}");
    }
}

/// Which group of the cause-codes page a code belongs to; a variant added to
/// [`CauseCode`] fails to compile here until it has one.
fn group(code: &CauseCode) -> &'static str {
    match code {
        CauseCode::UnknownOutcome
        | CauseCode::RefundStatus
        | CauseCode::RefundRejected
        | CauseCode::AmountDiffers
        | CauseCode::PaymentDiffers
        | CauseCode::InvalidInput
        | CauseCode::PaymentHasRefunds
        | CauseCode::PaymentInDoubt
        | CauseCode::OrderHasRefunds
        | CauseCode::OrderInDoubt
        | CauseCode::TransactionNeeded => "The tool's own",
        CauseCode::Order(_) => "The Orders API's codes",
        CauseCode::Net(_) => "No answer at all",
        CauseCode::Http(_) => "An HTTP status without a cause of its own",
        CauseCode::Predicted(_) => "Kept back by `run --preflight`",
        CauseCode::Other(_) => "Mercado Pago's own codes",
    }
}

/// Every cause code the tool knows a meaning of (`causes::known`).
fn cause_codes() -> Vec<CauseCode> {
    crate::domain::causes::known()
}

/// Text for a table cell: a `|` would end the cell, a `<name>` would be HTML.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The cause-codes table, group by group, each code with what it means and
/// what to do next: `causes::meaning`'s own words.
#[test]
fn the_cause_codes_table_is_the_codes_own() {
    let mut groups: BTreeMap<usize, (&str, Vec<CauseCode>)> = BTreeMap::new();
    let order = [
        "The tool's own",
        "No answer at all",
        "An HTTP status without a cause of its own",
        "Mercado Pago's own codes",
        "The Orders API's codes",
        "Kept back by `run --preflight`",
    ];
    for code in cause_codes() {
        let g = group(&code);
        let at = order.iter().position(|o| *o == g).unwrap();
        groups.entry(at).or_insert((g, Vec::new())).1.push(code);
    }
    let mut body = String::new();
    for (_, (name, mut codes)) in groups {
        if name == "Mercado Pago's own codes" {
            codes.sort_by_key(|c| c.as_str().parse::<u64>().unwrap_or(u64::MAX));
        }
        body.push_str(&format!(
            "\n### {name}\n\n| code | what it means | what to do next |\n| --- | --- | --- |\n"
        ));
        for code in codes {
            let m = crate::domain::causes::meaning(&code).unwrap();
            body.push_str(&format!(
                "| `{}` | {} | {} |\n",
                code.as_str(),
                cell(m.what),
                cell(m.next.as_str())
            ));
        }
    }
    body.push('\n');
    generated("docs/src/reference/cause-codes.md", "cause codes", &body);
}

/// The sandbox's table of payment ids with a behaviour of their own.
#[test]
fn the_sandbox_ids_table_is_the_sandboxs_own() {
    let body = format!("\n{}\n", mprefund_sandbox::magic_ids_markdown());
    generated("docs/src/sandbox.md", "magic ids", &body);
}

/// The sandbox's table of order ids with a behaviour of their own.
#[test]
fn the_sandbox_orders_table_is_the_sandboxs_own() {
    let body = format!("\n{}\n", mprefund_sandbox::magic_orders_markdown());
    generated("docs/src/sandbox.md", "magic orders", &body);
}

/// What the settings only a job file gives (no flag, so no help) set.
const JOB_ONLY_HELP: &[(&str, &str)] = &[(
    "resume_earlier",
    "With `false`, `run --job` refuses (exit 7, nothing sent) when earlier batches of the job are unfinished, instead of finishing them first [default: true]",
)];

/// The job-file keys table: every key any command reads, the commands that
/// read it, and its flag's help.
#[test]
fn the_job_keys_table_is_the_flags_own() {
    let cli = crate::cli::Cli::command();
    let with_job: BTreeSet<&str> = cli
        .get_subcommands()
        .filter(|c| c.get_arguments().any(|a| a.get_id() == "job"))
        .map(|c| c.get_name())
        .collect();
    assert_eq!(
        with_job,
        BTreeSet::from(JOB_COMMANDS),
        "commands with --job"
    );
    // A key's help is its flag's on the first of these commands that has it:
    // `run`'s words before `plan`'s ("the spreadsheet to check").
    let by_preference = [
        "run",
        "retry",
        "reconcile",
        "report",
        "status",
        "console",
        "plan",
    ];
    let mut keys: BTreeMap<String, (Vec<&str>, Option<String>)> = BTreeMap::new();
    for command in by_preference {
        let sub = cli.find_subcommand(command).unwrap();
        for key in crate::cli::settings::job_keys(command) {
            let help = sub
                .get_arguments()
                .find(|a| a.get_id() == key.as_str())
                .and_then(|a| a.get_help().or(a.get_long_help()))
                .map(|h| h.to_string());
            let entry = keys.entry(key).or_insert((Vec::new(), None));
            entry.0.push(command);
            entry.1 = entry.1.take().or(help);
        }
    }
    let mut body = String::from("\n| key | read by | what it sets |\n| --- | --- | --- |\n");
    for (key, (mut commands, help)) in keys {
        commands.sort_by_key(|c| JOB_COMMANDS.iter().position(|j| j == c));
        let help = help
            .or_else(|| {
                JOB_ONLY_HELP
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, h)| format!("{h} (a job file only: no flag)"))
            })
            .unwrap_or_else(|| {
                panic!("job-file key `{key}` has no flag: give it a line in JOB_ONLY_HELP")
            });
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let by = if commands.len() == JOB_COMMANDS.len() {
            "every command".to_owned()
        } else {
            commands.join(", ")
        };
        body.push_str(&format!("| `{key}` | {by} | {} |\n", cell(&help)));
    }
    body.push('\n');
    generated("docs/src/reference/job-keys.md", "job keys", &body);
}

/// Every metric a metrics file can hold is described, and the page describes
/// no other.
#[test]
fn every_metric_is_described() {
    let mut written = BTreeSet::new();
    for file in files(&root().join("src"), "metrics.rs") {
        let text = std::fs::read_to_string(&file).unwrap();
        written.extend(metric_names(&text));
    }
    assert!(written.len() > 20, "{written:?}");
    let page = read("docs/src/operations/metrics.md");
    let described = metric_names(&page);
    same_sets(
        &written,
        &described,
        "metrics.md misses",
        "metrics.md names what no file holds:",
    );
}

/// `code` and `book` hold the same names: what only the code holds fails
/// with `only_code`, what only the book holds with `only_book`.
fn same_sets<T: Ord + std::fmt::Debug>(
    code: &BTreeSet<T>,
    book: &BTreeSet<T>,
    only_code: &str,
    only_book: &str,
) {
    let unsaid: Vec<_> = code.difference(book).collect();
    assert!(unsaid.is_empty(), "{only_code} {unsaid:?}");
    let unknown: Vec<_> = book.difference(code).collect();
    assert!(unknown.is_empty(), "{only_book} {unknown:?}");
}

fn metric_names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("mprefund_") {
        let name: String = rest[i..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[i + name.len()..];
        // A name's prefix alone (`mprefund_{}` in a format string) is none.
        if name.len() > "mprefund_".len() && !name.ends_with('_') {
            out.insert(name);
        }
    }
    out
}

/// The man pages: `mprefund.1` and one per subcommand, rendered from the clap
/// definitions; none shipped that the command line no longer has.
#[test]
fn the_man_pages_are_the_clap_definitions_own() {
    fn render(cmd: clap::Command, out: &mut BTreeMap<String, Vec<u8>>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            render(sub.clone(), out);
        }
        let man = clap_mangen::Man::new(cmd);
        let mut page = Vec::new();
        man.render(&mut page).unwrap();
        out.insert(man.get_filename(), page);
    }
    let mut cmd = crate::cli::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = BTreeMap::new();
    render(cmd, &mut pages);
    assert!(pages.contains_key("mprefund.1") && pages.contains_key("mprefund-run.1"));
    let dir = root().join("docs/man");
    let shipped: BTreeSet<String> = files(&dir, ".1")
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    if bless() {
        std::fs::create_dir_all(&dir).unwrap();
        for stale in shipped.iter().filter(|n| !pages.contains_key(*n)) {
            std::fs::remove_file(dir.join(stale)).unwrap();
        }
        for (name, page) in &pages {
            if std::fs::read(dir.join(name)).ok().as_ref() != Some(page) {
                std::fs::write(dir.join(name), page).unwrap();
            }
        }
        return;
    }
    let want: BTreeSet<String> = pages.keys().cloned().collect();
    assert_eq!(shipped, want, "docs/man/: {BLESS}");
    for (name, page) in &pages {
        let theirs = std::fs::read(dir.join(name)).unwrap();
        assert!(&theirs == page, "docs/man/{name} is out of date; {BLESS}");
    }
}

#[test]
fn headings_get_mdbooks_ids_and_links_are_found_outside_code() {
    assert_eq!(
        heading_id("Predicting with `plan --online`"),
        "predicting-with-plan---online"
    );
    assert_eq!(
        heading_id("When an answer never comes"),
        "when-an-answer-never-comes"
    );
    let text = "see [a](x.md#y) and `[b](no.md)`\n```\n[c](no.md)\n```\n![s](../p.png)";
    assert_eq!(link_targets(text), ["x.md#y", "../p.png"]);
    let page = "# T\n\n## A\n\n| x | y |\n| --- | --- |\n| `a` | 1 |\n| **2** | 2 |\n\n## B\n\n| x |\n| --- |\n| c |\n";
    assert_eq!(
        first_cells(section(page, "## A")),
        BTreeSet::from(["a".to_owned(), "2".to_owned()])
    );
    assert_eq!(
        first_cells(section(page, "## B")),
        BTreeSet::from(["c".to_owned()])
    );
}
