//! Settings, resolved once in one order: flag, then job file, then the built-in
//! default. A job file (`jobs/*.toml`) holds the settings of a recurring run;
//! relative paths in it are relative to the job file, so cron can run it from
//! any directory.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::args::{
    BatchArgs, ConcurrencyArg, DEFAULT_API_BASE, DEFAULT_NAMESPACE, InputArgs, OutputArgs,
    SendArgs, parse_delimiter,
};
use crate::Usage;
use crate::client::{self, ClientSettings, Token};
use crate::commands::{self, OutputOptions, SendOptions};
use crate::input::InputOptions;
use crate::progress::Mode;
use crate::retry::Policy;
use crate::runner;
use crate::totals::Guard;

/// A job file's `concurrency`: a number or `"auto"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum JobConcurrency {
    Fixed(usize),
    Named(String),
}

/// A job file (`jobs/*.toml`): the settings of a recurring run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JobFile {
    pub(super) input: Option<PathBuf>,
    pub(super) state: Option<PathBuf>,
    pub(super) out: Option<PathBuf>,
    pub(super) rate: Option<NonZeroU32>,
    pub(super) rate_start: Option<NonZeroU32>,
    pub(super) fixed_rate: Option<bool>,
    pub(super) concurrency: Option<JobConcurrency>,
    pub(super) max_concurrency: Option<usize>,
    pub(super) namespace: Option<String>,
    pub(super) delimiter: Option<String>,
    pub(super) allow_duplicates: Option<bool>,
    pub(super) skip_invalid: Option<bool>,
    pub(super) allow_more_refunds: Option<bool>,
    /// A file holding the token.
    pub(super) token_file: Option<PathBuf>,
    /// The environment variable holding the token (default MP_ACCESS_TOKEN).
    pub(super) token_env: Option<String>,
    pub(super) api_base: Option<String>,
    pub(super) max_attempts: Option<u32>,
    pub(super) timeout: Option<u64>,
    pub(super) breaker: Option<u32>,
    pub(super) grace: Option<u64>,
    pub(super) metrics_file: Option<PathBuf>,
    pub(super) summary_json: Option<PathBuf>,
    pub(super) expect_rows: Option<u64>,
    /// `"1234.50:BRL"` or a list of them.
    pub(super) expect_total: Option<OneOrMany>,
    pub(super) max_total: Option<OneOrMany>,
    /// `run --job` finishes the job's earlier unfinished batches first (default);
    /// `false`: refuses (exit 7) naming them.
    pub(super) resume_earlier: Option<bool>,
    /// `--max-age`: in days.
    pub(super) max_age: Option<u64>,
}

/// `--max-age` unless the job file says otherwise.
pub(super) const DEFAULT_MAX_AGE_DAYS: u64 = 7;

/// A job-file setting given as one string or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The flags' guards if any were given, else the job file's.
pub(super) fn guards_of(
    flags: &[Guard],
    job: Option<&OneOrMany>,
    what: &str,
) -> anyhow::Result<Vec<Guard>> {
    if !flags.is_empty() {
        return Ok(flags.to_vec());
    }
    let texts = match job {
        None => return Ok(Vec::new()),
        Some(OneOrMany::One(t)) => std::slice::from_ref(t),
        Some(OneOrMany::Many(ts)) => ts.as_slice(),
    };
    texts
        .iter()
        .map(|t| {
            t.parse::<Guard>()
                .map_err(|e| Usage(format!("job file {what}: {e}")).into())
        })
        .collect()
}

impl JobFile {
    fn load(path: &Path) -> anyhow::Result<JobFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Usage(format!("cannot read the job file {}: {e}", path.display())))?;
        let mut job: JobFile = toml::from_str(&text)
            .map_err(|e| Usage(format!("job file {}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut job.input,
            &mut job.state,
            &mut job.out,
            &mut job.token_file,
            &mut job.metrics_file,
            &mut job.summary_json,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(job)
    }

    pub(super) fn load_opt(path: Option<&Path>) -> anyhow::Result<JobFile> {
        path.map_or_else(|| Ok(JobFile::default()), JobFile::load)
    }
}

pub(super) fn send_options(a: &SendArgs, job: &JobFile) -> anyhow::Result<SendOptions> {
    let api_base = a
        .api_base
        .clone()
        .or(job.api_base.clone())
        .unwrap_or(DEFAULT_API_BASE.into());
    let token = match (&a.token_file, &job.token_file, &job.token_env) {
        (Some(f), _, _) | (None, Some(f), _) => Token::from_env_or_file(Some(f))?,
        (None, None, Some(var)) => {
            let raw = std::env::var(var).map_err(|_| {
                Usage(format!(
                    "no access token: the job file names ${var}, which is not set"
                ))
            })?;
            Token::new(&raw)?
        }
        (None, None, None) => Token::from_env_or_file(None)?,
    };
    let defaults = Policy::default();
    let job_concurrency = match &job.concurrency {
        None => None,
        Some(JobConcurrency::Fixed(n)) => Some(ConcurrencyArg::Fixed(*n)),
        Some(JobConcurrency::Named(s)) => Some(
            s.parse()
                .map_err(|e| Usage(format!("job file concurrency: {e}")))?,
        ),
    };
    let in_range = |n: usize, flag: &str| {
        if (1..=1024).contains(&n) {
            Ok(n)
        } else {
            Err(Usage(format!("{flag} must be between 1 and 1024")))
        }
    };
    let max = in_range(
        a.max_concurrency
            .or(job.max_concurrency)
            .unwrap_or(runner::DEFAULT_MAX_CONCURRENCY),
        "--max-concurrency",
    )?;
    let concurrency = match a.concurrency.or(job_concurrency) {
        None | Some(ConcurrencyArg::Auto) => crate::rate::Concurrency::Auto { max },
        Some(ConcurrencyArg::Fixed(n)) => {
            crate::rate::Concurrency::Fixed(in_range(n, "--concurrency")?)
        }
    };
    let ceiling = a.rate.or(job.rate).unwrap_or(runner_rate_default());
    let start = a.rate_start.or(job.rate_start);
    if start.is_some_and(|s| s > ceiling) {
        return Err(Usage(format!("--rate-start must not be above --rate ({ceiling})")).into());
    }
    let client_defaults = ClientSettings::default();
    let runner_defaults = runner::Settings::default();
    Ok(SendOptions {
        api_base: client::check_api_base(&api_base)?,
        api_base_given: a.api_base.is_some() || job.api_base.is_some(),
        token,
        client: ClientSettings {
            request_timeout: a
                .timeout
                .or(job.timeout)
                .map_or(client_defaults.request_timeout, |s| {
                    Duration::from_secs(s.max(1))
                }),
            ..client_defaults
        },
        runner: runner::Settings {
            rate: crate::rate::RateSettings {
                rate: ceiling,
                start,
                adaptive: !(a.fixed_rate || job.fixed_rate.unwrap_or(false)),
            },
            concurrency,
            policy: Policy {
                max_attempts: a
                    .max_attempts
                    .or(job.max_attempts)
                    .unwrap_or(defaults.max_attempts)
                    .max(1),
                ..defaults
            },
            breaker_threshold: a
                .breaker
                .or(job.breaker)
                .unwrap_or(runner_defaults.breaker_threshold),
            grace: a
                .grace
                .or(job.grace)
                .map_or(runner_defaults.grace, Duration::from_secs),
        },
    })
}

pub(super) fn runner_rate_default() -> NonZeroU32 {
    runner::Settings::default().rate.rate
}

pub(super) fn output_options(a: &OutputArgs, job: &JobFile, mode: Mode) -> OutputOptions {
    OutputOptions {
        out: a.out.out.clone().or(job.out.clone()),
        metrics_file: a.metrics_file.clone().or(job.metrics_file.clone()),
        summary_json: a.summary_json.clone().or(job.summary_json.clone()),
        mode: Some(mode),
    }
}

pub(super) fn input_options(a: &InputArgs, job: &JobFile) -> anyhow::Result<InputOptions> {
    let delimiter = match (a.delimiter, &job.delimiter) {
        (Some(d), _) => Some(d),
        (None, Some(d)) => Some(parse_delimiter(d).map_err(Usage)?),
        (None, None) => None,
    };
    Ok(InputOptions {
        delimiter,
        allow_duplicates: a.allow_duplicates || job.allow_duplicates.unwrap_or(false),
        namespace: a
            .namespace
            .clone()
            .or(job.namespace.clone())
            .unwrap_or(DEFAULT_NAMESPACE.into()),
    })
}

pub(super) fn pick_of(b: &BatchArgs, job: &JobFile) -> commands::Pick {
    commands::Pick {
        id: b.batch.clone(),
        input: job.input.clone(),
    }
}

/// `--state`, else the job's, else the account's (see `state_home`).
pub(super) fn state_of(b: &BatchArgs, job: &JobFile) -> Result<PathBuf, Usage> {
    match b.state.clone().or(job.state.clone()) {
        Some(s) => Ok(s),
        // Over batches already made: nothing new is keyed.
        None => {
            crate::state_home::default_state(job.input.as_deref(), namespace_of(None, job), true)
        }
    }
}

/// `--namespace`, else the job's, else the default.
pub(super) fn namespace_of<'a>(flag: Option<&'a str>, job: &'a JobFile) -> &'a str {
    flag.or(job.namespace.as_deref())
        .unwrap_or(DEFAULT_NAMESPACE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The job file `jobs/` ships is one the tool reads, guards included.
    #[test]
    fn the_shipped_job_file_parses() {
        let job: JobFile =
            toml::from_str(include_str!("../../jobs/nightly-chargebacks.toml")).expect("job file");
        let caps = guards_of(&[], job.max_total.as_ref(), "max_total").expect("max_total");
        assert_eq!(caps.len(), 1);
        assert_eq!(caps[0].to_string(), "250000.00:BRL");
        assert!(job.input.is_some() && job.state.is_some());
        assert!(matches!(&job.concurrency, Some(JobConcurrency::Named(s)) if s == "auto"));
    }

    #[test]
    fn rate_and_concurrency_settings_from_a_job_file() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "TEST-x").unwrap();
        let job = |text: &str| -> anyhow::Result<runner::Settings> {
            let mut job: JobFile = toml::from_str(text)?;
            job.token_file = Some(token.clone());
            Ok(send_options(&SendArgs::default(), &job)?.runner)
        };
        let r =
            job("rate = 20\nrate_start = 5\nconcurrency = \"auto\"\nmax_concurrency = 10").unwrap();
        assert_eq!(r.rate.rate.get(), 20);
        assert_eq!(r.rate.start.map(NonZeroU32::get), Some(5));
        assert!(r.rate.adaptive);
        assert_eq!(r.concurrency, crate::rate::Concurrency::Auto { max: 10 });
        let r = job("concurrency = 3\nfixed_rate = true").unwrap();
        assert_eq!(r.concurrency, crate::rate::Concurrency::Fixed(3));
        assert!(!r.rate.adaptive);
        let e = job("concurrency = \"lots\"").unwrap_err();
        assert!(e.to_string().contains("neither a number nor `auto`"), "{e}");
        let e = job("rate = 5\nrate_start = 6").unwrap_err();
        assert!(e.to_string().contains("--rate-start"), "{e}");
        assert!(job("concurrency = 0").is_err());
    }
}
