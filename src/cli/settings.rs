//! Settings, resolved once in one order: flag, then job file, then the built-in
//! default. A setting is defined once, as a field of a flag group (`args`) or of
//! a command's flags: its flag, its job-file key (the same name), its help. The
//! layers are merged generically ([`Layer`]), then resolved here into what the
//! library takes (`SendOptions`, `InputOptions`, `OutputOptions`). How requests
//! are sent is resolved into the one model, `crate::domain::settings::Sending`, which a
//! new batch stores as it is and the engine's parts borrow from.
//!
//! A job file (`jobs/*.toml`) holds the settings of a recurring job: at its top
//! level every command's, and in a table named after a command (`[reconcile]`)
//! that command's own, over the top level. The top-level `out`, `metrics_file`
//! and `summary_json` are the batch's files (`run`, `retry`, `report`): `plan`
//! and `reconcile` write other files, named in their own table. A key no command
//! knows is refused. Relative paths are relative to the job file, so cron can run
//! it from any directory.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::args::{
    BatchArgs, DEFAULT_API_BASE, DEFAULT_NAMESPACE, InputArgs, OutputArgs, SendArgs,
};
use crate::Usage;
use crate::api::client::{self, Token};
use crate::domain::settings::{self, Concurrency, RateSettings, Sending, Tuning};
use crate::domain::steps::{Reach, TokenFrom};
use crate::engine::progress::Mode;
use crate::ops::{OutputOptions, Pick, SendOptions};
use crate::sheets::input::InputOptions;

pub(crate) use super::args::Layer;

/// The settings a layer gives, by job-file key.
pub(crate) fn given(layer: &impl Layer) -> Vec<&'static str> {
    let mut out = Vec::new();
    layer.given("", &mut out);
    out
}

/// The settings of a group of flags, by job-file key.
pub(crate) fn keys_of<T: clap::Args>() -> Vec<String> {
    T::augment_args(clap::Command::new("group"))
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect()
}

/// Refuses flags that do not apply to what the command is about to do (exit 2,
/// nothing done): a flag is never silently ignored. `given`: the flags of the
/// command line, by key.
pub(crate) fn refuse_flags(
    given: &[&str],
    applies: impl Fn(&str) -> bool,
    why: &str,
) -> Result<(), Usage> {
    let wrong: Vec<String> = given
        .iter()
        .filter(|k| !applies(k))
        .map(|k| format!("--{}", k.replace('_', "-")))
        .collect();
    match wrong.len() {
        0 => Ok(()),
        1 => Err(Usage(format!(
            "{} does not apply: {why}; nothing was done",
            wrong[0]
        ))),
        _ => Err(Usage(format!(
            "{} do not apply: {why}; nothing was done",
            wrong.join(", ")
        ))),
    }
}

/// The commands that take `--job`: each may have its own table in a job file,
/// and its flags are job-file keys.
pub(crate) const JOB_COMMANDS: [&str; 7] = [
    "plan",
    "run",
    "retry",
    "status",
    "report",
    "reconcile",
    "console",
];

/// Settings only a job file gives (no flag), by command.
const JOB_ONLY: [(&str, &str); 1] = [("run", "resume_earlier")];

/// The batch's own files: at a job file's top level they are `run`'s, `retry`'s
/// and `report`'s; `plan` and `reconcile` write other files.
const BATCH_OUTPUTS: [&str; 3] = ["out", "metrics_file", "summary_json"];

/// The job-file keys `command` reads: its flags (`--job` aside), and the
/// settings only a job file gives.
pub(crate) fn job_keys(command: &str) -> BTreeSet<String> {
    let cli = super::Cli::command();
    let mut keys: BTreeSet<String> = cli
        .find_subcommand(command)
        .into_iter()
        .flat_map(|c| c.get_arguments())
        .filter(|a| !a.is_global_set())
        .map(|a| a.get_id().to_string())
        .filter(|id| !matches!(id.as_str(), "help" | "version" | "job"))
        .collect();
    keys.extend(
        JOB_ONLY
            .iter()
            .filter(|(c, _)| *c == command)
            .map(|(_, k)| (*k).to_owned()),
    );
    keys
}

/// The job-file keys whose values are paths (relative to the job file).
fn path_keys() -> BTreeSet<String> {
    let cli = super::Cli::command();
    cli.get_subcommands()
        .filter(|c| JOB_COMMANDS.contains(&c.get_name()))
        .flat_map(|c| c.get_arguments())
        .filter(|a| a.get_value_hint() == clap::ValueHint::AnyPath)
        .map(|a| a.get_id().to_string())
        .collect()
}

/// A job file, read and checked: every key known, paths made absolute.
#[derive(Debug, Default)]
pub(crate) struct JobFile {
    path: Option<PathBuf>,
    table: toml::Table,
}

/// What a command over an existing batch takes from a job file besides its
/// flags: the job's input picks tonight's batch, its namespace the state file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct JobCommon {
    pub input: Option<PathBuf>,
    pub namespace: Option<String>,
}

impl JobFile {
    /// No `--job`: an empty job file.
    pub(crate) fn load_opt(path: Option<&Path>) -> Result<JobFile, Usage> {
        path.map_or_else(|| Ok(JobFile::default()), JobFile::load)
    }

    fn load(path: &Path) -> Result<JobFile, Usage> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Usage(format!("cannot read the job file {}: {e}", path.display())))?;
        JobFile::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<JobFile, Usage> {
        let wrong = |e: String| Usage(format!("job file {}: {e}", path.display()));
        let mut table: toml::Table = toml::from_str(text).map_err(|e| wrong(e.to_string()))?;
        let all: BTreeSet<String> = JOB_COMMANDS.iter().flat_map(|c| job_keys(c)).collect();
        for (key, value) in &table {
            match value {
                toml::Value::Table(own) if is_section(key, value) => {
                    let keys = job_keys(key);
                    if let Some(k) = own.keys().find(|k| !keys.contains(*k)) {
                        return Err(wrong(format!("[{key}] has no setting `{k}`")));
                    }
                }
                _ if all.contains(key) => {}
                _ if JOB_COMMANDS.contains(&key.as_str()) => {
                    return Err(wrong(format!("`{key}` must be a table: [{key}]")));
                }
                _ => return Err(wrong(format!("unknown key `{key}`"))),
            }
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let paths = path_keys();
        relative_to(&mut table, base, &paths);
        for command in JOB_COMMANDS {
            if let Some(toml::Value::Table(own)) = table.get_mut(command) {
                relative_to(own, base, &paths);
            }
        }
        Ok(JobFile {
            path: Some(path.to_owned()),
            table,
        })
    }

    /// The job's settings for `command`, as a layer of its flags `T`: its table
    /// over the top level.
    pub(crate) fn layer<T: DeserializeOwned + Default>(&self, command: &str) -> Result<T, Usage> {
        let Some(path) = &self.path else {
            return Ok(T::default());
        };
        let mut merged: toml::Table = self
            .table
            .iter()
            .filter(|(k, v)| !is_section(k, v))
            .filter(|(k, _)| {
                matches!(command, "run" | "retry" | "report")
                    || !BATCH_OUTPUTS.contains(&k.as_str())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(toml::Value::Table(own)) = self.table.get(command) {
            merged.extend(own.clone());
        }
        toml::Value::Table(merged)
            .try_into()
            .map_err(|e| Usage(format!("job file {}: {e}", path.display())))
    }

    /// The job's input and namespace, for a command over an existing batch.
    pub(crate) fn common(&self, command: &str) -> Result<JobCommon, Usage> {
        self.layer(command)
    }
}

/// What the command line itself named: the commands a command prints reach
/// its batches the same way (what a job file gave comes with `--job`).
#[derive(Debug, Default)]
pub(crate) struct Flagged {
    pub job: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub token: Option<TokenFrom>,
    pub api_base: Option<String>,
}

impl Flagged {
    /// How the commands it prints reach the batches of `state`.
    pub(crate) fn reach(&self, state: Option<&Path>) -> Reach {
        Reach::new(
            self.job.as_deref(),
            self.state.as_deref(),
            state,
            self.token.clone(),
            self.api_base.as_deref(),
        )
    }
}

/// The start of `command`, a command over an existing batch (its
/// `--state`/`--batch`/`--job` in `batch`): its flags over its job file's
/// settings, the job's input and namespace, and what the command line named
/// (`token`, for a command that reads the API).
pub(crate) fn over_job<A: Layer + DeserializeOwned + Default>(
    flags: A,
    batch: fn(&A) -> &BatchArgs,
    command: &str,
    token: Option<TokenFrom>,
) -> Result<(A, JobCommon, Flagged), Usage> {
    let named = batch(&flags);
    let job = JobFile::load_opt(named.job.as_deref())?;
    let flagged = Flagged {
        job: named.job.clone(),
        state: named.state.clone(),
        token,
        api_base: None,
    };
    Ok((
        flags.over(job.layer(command)?),
        job.common(command)?,
        flagged,
    ))
}

/// A command's own table (`[reconcile]`); `report = [...]` at the top level is
/// `reconcile`'s setting, `[report]` the `report` command's table.
fn is_section(key: &str, value: &toml::Value) -> bool {
    value.is_table() && JOB_COMMANDS.contains(&key)
}

/// Makes the relative paths among `table`'s values relative to `base`.
fn relative_to(table: &mut toml::Table, base: &Path, paths: &BTreeSet<String>) {
    let fix = |v: &mut toml::Value| {
        if let toml::Value::String(s) = v
            && Path::new(s.as_str()).is_relative()
        {
            *s = base.join(&*s).display().to_string();
        }
    };
    for (key, value) in table.iter_mut() {
        if !paths.contains(key) {
            continue;
        }
        match value {
            toml::Value::Array(items) => items.iter_mut().for_each(fix),
            v => fix(v),
        }
    }
}

/// `--max-age` unless the job file says otherwise.
pub(crate) const DEFAULT_MAX_AGE_DAYS: u64 = 7;

/// Everything a command that calls the API needs, from its merged flags.
pub(crate) fn send_options(s: &SendArgs) -> anyhow::Result<SendOptions> {
    let api_base = s.api_base.clone().unwrap_or(DEFAULT_API_BASE.into());
    let token = match (&s.token.token_file, &s.token.token_env) {
        (Some(f), _) => Token::from_env_or_file(Some(f))?,
        (None, Some(var)) => {
            let raw = std::env::var(var).map_err(|_| {
                Usage(format!(
                    "no access token: token_env names ${var}, which is not set"
                ))
            })?;
            Token::new(&raw)?
        }
        (None, None) => Token::from_env_or_file(None)?,
    };
    let in_range = |n: usize, flag: &str| {
        if (1..=1024).contains(&n) {
            Ok(n)
        } else {
            Err(Usage(format!("{flag} must be between 1 and 1024")))
        }
    };
    let concurrency = match s.concurrency.unwrap_or_default() {
        Concurrency::Auto { .. } => Concurrency::Auto {
            max: in_range(
                s.max_concurrency
                    .unwrap_or(settings::DEFAULT_MAX_CONCURRENCY),
                "--max-concurrency",
            )?,
        },
        Concurrency::Fixed(n) => Concurrency::Fixed(in_range(n, "--concurrency")?),
    };
    let ceiling = rate_of(s);
    if s.rate_start.is_some_and(|start| start > ceiling) {
        return Err(Usage(format!("--rate-start must not be above --rate ({ceiling})")).into());
    }
    let rate = RateSettings {
        rate: ceiling,
        start: s.rate_start,
        adaptive: !s.fixed_rate,
    };
    let tuning = Tuning {
        max_attempts: s.max_attempts.map(|n| n.max(1)),
        timeout: s.timeout.map(|t| t.max(1)),
        breaker: s.breaker,
        grace: s.grace,
        settle_after: s.settle_after,
    };
    Ok(SendOptions {
        api_base: client::check_api_base(&api_base)?,
        api_base_given: s.api_base.is_some(),
        token,
        sending: Sending::new(rate, concurrency, tuning),
    })
}

/// Where notifications go (`notify_url`), checked: https, or http to this
/// machine, and never holding the token `send` reads.
pub(crate) fn notifier(
    n: &super::args::NotifyArg,
    send: &SendArgs,
) -> Result<Option<crate::engine::notify::Notifier>, Usage> {
    let Some(url) = n.notify_url.as_deref() else {
        return Ok(None);
    };
    let token = send_options(send).ok().map(|s| s.token);
    crate::engine::notify::Notifier::new(Some(url), token.as_ref())
}

/// `--rate`, else its default.
pub(crate) fn rate_of(s: &SendArgs) -> NonZeroU32 {
    s.rate.unwrap_or(RateSettings::default().rate)
}

pub(crate) fn output_options(s: &OutputArgs, mode: Mode) -> OutputOptions {
    OutputOptions {
        out: s.out.out.clone(),
        metrics_file: s.metrics_file.clone(),
        summary_json: s.summary_json.clone(),
        mode: Some(mode),
        results_format: s.format.results_format,
        live: None,
    }
}

pub(crate) fn input_options(s: &InputArgs) -> InputOptions {
    let d = crate::sheets::lines::Limits::default();
    let size = |v: Option<u64>, default: usize| {
        v.map_or(default, |n| usize::try_from(n).unwrap_or(usize::MAX).max(1))
    };
    InputOptions {
        delimiter: s.delimiter,
        allow_duplicates: s.allow_duplicates,
        namespace: namespace_of(s.namespace.as_deref()).to_owned(),
        limits: crate::sheets::lines::Limits {
            columns: size(s.max_columns, d.columns),
            field_bytes: size(s.max_field_bytes, d.field_bytes),
            record_bytes: size(s.max_record_bytes, d.record_bytes),
        },
    }
}

/// The batch a command over an existing batch works on: `--batch`, else the
/// latest made from the job's input.
pub(crate) fn pick_of(batch: Option<&str>, job: &JobCommon) -> Pick {
    Pick {
        id: batch.map(str::to_owned),
        input: job.input.clone(),
    }
}

/// `--state`, else the job's, else the account's (see `state_home`), for a
/// command over batches already made.
pub(crate) fn state_of(state: Option<&Path>, job: &JobCommon) -> Result<PathBuf, Usage> {
    match state {
        Some(s) => Ok(s.to_owned()),
        // Over batches already made: nothing new is keyed.
        None => crate::store::state_home::default_state(
            job.input.as_deref(),
            namespace_of(job.namespace.as_deref()),
            true,
        ),
    }
}

/// Where the token comes from, as the command line (not a job file) gave it.
pub(crate) fn token_from(t: &super::args::TokenArgs) -> Option<TokenFrom> {
    match (&t.token_file, &t.token_env) {
        (Some(f), _) => Some(TokenFrom::File(f.clone())),
        (None, Some(v)) => Some(TokenFrom::Env(v.clone())),
        (None, None) => None,
    }
}

/// `--namespace`, else the default.
pub(crate) fn namespace_of(given: Option<&str>) -> &str {
    given.unwrap_or(DEFAULT_NAMESPACE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::commands::console::ConsoleSettings;
    use crate::cli::commands::{
        plan::PlanArgs, reconcile::ReconcileArgs, report::ReportArgs, retry::RetryArgs,
        run::RunArgs, status::StatusArgs,
    };

    fn job(text: &str) -> Result<JobFile, Usage> {
        JobFile::parse(text, Path::new("/etc/mprefund/jobs/x.toml"))
    }

    /// A value for each job-file key, as a job file would write it. A flag added
    /// without one fails [`every_flag_has_a_job_file_key`]: give it a sample,
    /// and the job file its key.
    const SAMPLES: &[(&str, &str)] = &[
        ("input", r#""in.csv""#),
        ("state", r#""state.db""#),
        ("out", r#""out.csv""#),
        ("metrics_file", r#""m.prom""#),
        ("summary_json", r#""s.json""#),
        ("results_format", r#""mp-batch""#),
        ("delimiter", r#""tab""#),
        ("allow_duplicates", "true"),
        ("namespace", r#""acme""#),
        ("api_base", r#""http://127.0.0.1:1""#),
        ("token_file", r#""token""#),
        ("token_env", r#""MP_TOKEN""#),
        ("rate", "20"),
        ("rate_start", "5"),
        ("fixed_rate", "true"),
        ("concurrency", "4"),
        ("max_concurrency", "10"),
        ("max_attempts", "3"),
        ("timeout", "30"),
        ("breaker", "7"),
        ("grace", "5"),
        ("settle_after", "600"),
        ("skip_invalid", "true"),
        ("namespace_change", "true"),
        ("allow_more_refunds", "true"),
        ("preflight", "true"),
        ("approved", "true"),
        ("yes", "true"),
        ("expect_rows", "12"),
        ("expect_total", r#""10.00:BRL""#),
        ("max_total", r#"["10.00:BRL", "5.00:ARS"]"#),
        ("refund_window_days", "90"),
        ("max_age", "3"),
        ("resume_earlier", "false"),
        ("online", "true"),
        ("batch", r#""abc""#),
        ("all_failed", "true"),
        ("include_pending", "true"),
        ("failed", "true"),
        ("report", r#"["settlement.csv"]"#),
        ("date_window", "5"),
        ("fetch_report", r#""release""#),
        ("from", r#""2026-11-01""#),
        ("to", r#""2026-11-02""#),
        ("fetch_timeout", "60"),
        ("max_report_bytes", r#""1MiB""#),
        ("listen", r#""0.0.0.0:8443""#),
        ("behind_proxy", "true"),
        ("tls_cert", r#""console.crt""#),
        ("tls_key", r#""console.key""#),
        ("idle_timeout", "15"),
        ("approval_days", "3"),
        ("time_zone", r#""-03:00""#),
        ("currency", r#""BRL""#),
        ("without_token", "true"),
        ("notify_url", r#""https://hooks.example.com/x""#),
        ("max_columns", "2000"),
        ("max_field_bytes", r#""128KiB""#),
        ("max_record_bytes", r#""4MiB""#),
        ("upload_days", "60"),
    ];

    /// The settings `command` read from a job file holding `key = value` in the
    /// command's own table.
    fn read_back(command: &str, key: &str, value: &str) -> Vec<&'static str> {
        let j = job(&format!("[{command}]\n{key} = {value}\n"))
            .unwrap_or_else(|e| panic!("{command}: {key} = {value}: {e}"));
        let got = match command {
            "plan" => j.layer::<PlanArgs>(command).map(|l| given(&l)),
            "run" => j.layer::<RunArgs>(command).map(|l| given(&l)),
            "retry" => j.layer::<RetryArgs>(command).map(|l| given(&l)),
            "status" => j.layer::<StatusArgs>(command).map(|l| given(&l)),
            "report" => j.layer::<ReportArgs>(command).map(|l| given(&l)),
            "reconcile" => j.layer::<ReconcileArgs>(command).map(|l| given(&l)),
            "console" => j.layer::<ConsoleSettings>(command).map(|l| given(&l)),
            other => panic!("no command {other}"),
        };
        got.unwrap_or_else(|e| panic!("{command}: {key} = {value}: {e}"))
    }

    /// Every flag of every command that takes `--job` is a job-file key, and the
    /// job file's value lands in that very setting.
    #[test]
    fn every_flag_has_a_job_file_key() {
        let cli = crate::cli::Cli::command();
        for command in JOB_COMMANDS {
            let sub = cli.find_subcommand(command).expect(command);
            assert!(
                sub.get_arguments().any(|a| a.get_id() == "job"),
                "{command}"
            );
            for key in job_keys(command) {
                let Some((_, value)) = SAMPLES.iter().find(|(k, _)| *k == key) else {
                    panic!(
                        "`{command} --{key}` has no job-file sample: give it one (and the shipped job file its key)"
                    );
                };
                let got = read_back(command, &key, value);
                assert!(
                    got.contains(&key.as_str()),
                    "`{command}`: job-file key `{key}` was not read into its setting (got {got:?})"
                );
            }
        }
        // The four the issue names, and the console's, by flag.
        for command in ["run", "retry", "reconcile", "plan", "console"] {
            let keys = job_keys(command);
            for arg in cli.find_subcommand(command).unwrap().get_arguments() {
                let id = arg.get_id().as_str();
                // The console's global `--state` (shared with `console users`)
                // is the top-level `state`, every command's.
                if !matches!(id, "help" | "version" | "job") && !arg.is_global_set() {
                    assert!(keys.contains(id), "{command} --{id} has no job-file key");
                }
            }
        }
    }

    /// Every key any command reads is named in the shipped job file, set or
    /// commented out.
    #[test]
    fn the_shipped_job_file_names_every_key() {
        let text = include_str!("../../jobs/nightly-chargebacks.toml");
        let named: BTreeSet<&str> = text
            .lines()
            .map(|l| l.trim_start_matches('#').trim())
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
            .collect();
        for command in JOB_COMMANDS {
            for key in job_keys(command) {
                assert!(
                    named.contains(key.as_str()),
                    "jobs/nightly-chargebacks.toml does not name `{key}` ({command})"
                );
            }
        }
    }

    /// The job files `jobs/` ships are ones the tool reads, guards included.
    #[test]
    fn the_shipped_job_files_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            seen += 1;
            let j = JobFile::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for command in JOB_COMMANDS {
                match command {
                    "plan" => drop(j.layer::<PlanArgs>(command).expect(command)),
                    "run" => drop(j.layer::<RunArgs>(command).expect(command)),
                    "retry" => drop(j.layer::<RetryArgs>(command).expect(command)),
                    "status" => drop(j.layer::<StatusArgs>(command).expect(command)),
                    "report" => drop(j.layer::<ReportArgs>(command).expect(command)),
                    "console" => drop(j.layer::<ConsoleSettings>(command).expect(command)),
                    _ => drop(j.layer::<ReconcileArgs>(command).expect(command)),
                }
            }
        }
        assert!(seen > 0, "no job file in {}", dir.display());
        let j = JobFile::load(&dir.join("nightly-chargebacks.toml")).unwrap();
        let run: RunArgs = j.layer("run").unwrap();
        assert_eq!(run.max_total.len(), 1);
        assert_eq!(run.max_total[0].to_string(), "250000.00:BRL");
        assert!(run.input.is_some() && run.state.is_some());
        assert_eq!(run.sending.send.concurrency, Some(Concurrency::default()));
    }

    #[test]
    fn unknown_keys_and_misplaced_ones_are_refused() {
        let e = job("rate = 5\nrat = 6").unwrap_err();
        assert!(e.0.contains("unknown key `rat`"), "{e}");
        let e = job("[run]\nreport = [\"x.csv\"]").unwrap_err();
        assert!(e.0.contains("[run] has no setting `report`"), "{e}");
        let e = job("run = 5").unwrap_err();
        assert!(e.0.contains("must be a table"), "{e}");
    }

    #[test]
    fn flag_over_command_table_over_top_level_over_default() {
        let j = job("rate = 5\nout = \"results.csv\"\n[reconcile]\nrate = 7\nout = \"rec.csv\"")
            .unwrap();
        let top: RetryArgs = j.layer("retry").unwrap();
        assert_eq!(top.sending.send.rate.map(NonZeroU32::get), Some(5));
        assert_eq!(
            top.sending.output.out.out.as_deref(),
            Some(Path::new("/etc/mprefund/jobs/results.csv"))
        );
        let own: ReconcileArgs = j.layer("reconcile").unwrap();
        assert_eq!(own.send.rate.map(NonZeroU32::get), Some(7));
        assert_eq!(
            own.out.out.as_deref(),
            Some(Path::new("/etc/mprefund/jobs/rec.csv"))
        );
        // The batch's results are not plan's nor reconcile's CSV.
        let plan: PlanArgs = j.layer("plan").unwrap();
        assert_eq!(plan.out.out, None);
        let flags = SendArgs {
            rate: NonZeroU32::new(9),
            ..SendArgs::default()
        };
        let merged = flags.over(own.send);
        assert_eq!(merged.rate.map(NonZeroU32::get), Some(9));
        assert_eq!(rate_of(&SendArgs::default()).get(), settings::DEFAULT_RATE);
    }

    #[test]
    fn a_token_source_given_by_flag_beats_the_job_files_other_one() {
        let j = job("token_file = \"token\"").unwrap();
        let under: RunArgs = j.layer("run").unwrap();
        let flags = crate::cli::args::TokenArgs {
            token_env: Some("MINE".into()),
            token_file: None,
        };
        let t = flags.over(under.sending.send.token);
        assert_eq!(t.token_env.as_deref(), Some("MINE"));
        assert_eq!(t.token_file, None);
    }

    #[test]
    fn rate_and_concurrency_settings_from_a_job_file() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "TEST-x").unwrap();
        let settings = |text: &str| -> anyhow::Result<Sending> {
            let mut s: SendArgs = job(text)?.layer("run")?;
            s.token.token_file = Some(token.clone());
            Ok(send_options(&s)?.sending)
        };
        let r = settings("rate = 20\nrate_start = 5\nconcurrency = \"auto\"\nmax_concurrency = 10")
            .unwrap();
        assert_eq!(r.rate.rate.get(), 20);
        assert_eq!(r.rate.start.map(NonZeroU32::get), Some(5));
        assert!(r.rate.adaptive);
        assert_eq!(r.concurrency, Concurrency::Auto { max: 10 });
        let r = settings("concurrency = 3\nfixed_rate = true").unwrap();
        assert_eq!(r.concurrency, Concurrency::Fixed(3));
        assert!(!r.rate.adaptive);
        let e = settings("concurrency = \"lots\"").unwrap_err();
        assert!(e.to_string().contains("neither a number nor `auto`"), "{e}");
        let e = settings("rate = 5\nrate_start = 6").unwrap_err();
        assert!(e.to_string().contains("--rate-start"), "{e}");
        assert!(settings("concurrency = 0").is_err());
        let e = job("delimiter = \"|\"")
            .unwrap()
            .layer::<InputArgs>("run")
            .unwrap_err();
        assert!(e.0.contains("not one of"), "{e}");
    }

    #[test]
    fn flags_that_do_not_apply_are_named() {
        assert!(refuse_flags(&["rate"], |_| true, "x").is_ok());
        let e = refuse_flags(&["rate", "api_base", "out"], |k| k == "out", "why").unwrap_err();
        assert_eq!(
            e.0,
            "--rate, --api-base do not apply: why; nothing was done"
        );
    }
}
