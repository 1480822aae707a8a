//! `mprefund demo`: the whole pipeline on the shipped samples against an in-process
//! sandbox, from any directory and with no token to set up. It shows the two
//! promises of the tool: every row of the chargeback spreadsheet ends with an
//! outcome and a cause, and the same spreadsheet re-exported (pt-BR: `;`, decimal
//! comma, BOM, other order and header names) and run again with a fresh state file
//! refunds nothing twice. The same again for a spreadsheet of orders of the
//! Orders API (with a payment among them) and its Spanish re-export. The demo
//! fails if that second promise is broken.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, ensure};
use clap::Args;
use mprefund_sandbox::{Faults, Sandbox, SandboxConfig, TEST_TOKEN};

use crate::api::client::Token;
use crate::ops::run::{RunRequest, RunResult};
use crate::ops::{self, OutputOptions, SendOptions};
use crate::sheets::input::InputOptions;
use crate::engine::progress::Mode;
use crate::engine::send::Stop;
use crate::domain::settings::{ClientSettings, Policy, RateSettings, Sending};
use crate::{Exit, api::client};

/// Each spreadsheet, then its re-export (what must refund nothing new).
const SAMPLES: [[(&str, &[u8]); 2]; 2] = [
    [
        (
            "chargebacks.csv",
            include_bytes!("../../samples/chargebacks.csv"),
        ),
        (
            "chargebacks-ptbr.csv",
            include_bytes!("../../samples/chargebacks-ptbr.csv"),
        ),
    ],
    [
        ("orders.csv", include_bytes!("../../samples/orders.csv")),
        ("orders-es.csv", include_bytes!("../../samples/orders-es.csv")),
    ],
];

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the samples' state and results [default: a new folder of yours in the system temporary folder, mprefund-demo-XXXXXX, named at the end]
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// Turn off the sandbox's injected faults (500s, 429s, cut connections).
    #[arg(long)]
    pub no_faults: bool,
}

pub(crate) async fn run(args: DemoArgs, mode: Mode) -> anyhow::Result<Exit> {
    let dir = match args.out_dir {
        Some(d) => {
            std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
            d
        }
        // A fresh folder of this user's (mode 0700, a name no one else can
        // guess or take first): kept, so the files it names can be read after.
        None => {
            use std::os::unix::fs::PermissionsExt;
            tempfile::Builder::new()
                .prefix("mprefund-demo-")
                .permissions(std::fs::Permissions::from_mode(0o700))
                .tempdir()
                .context("creating the demo's temporary folder")?
                .keep()
        }
    };
    let faults = if args.no_faults {
        Faults::default()
    } else {
        Faults {
            latency: Duration::from_millis(5),
            jitter: Duration::from_millis(20),
            error_500: 0.05,
            error_429: 0.03,
            retry_after_secs: 1,
            cut_after_commit: 0.05,
            html_502_after_commit: 0.03,
            ..Faults::default()
        }
    };
    let sandbox = Sandbox::start(SandboxConfig {
        faults,
        ..SandboxConfig::default()
    })?;
    println!("sandbox listening on {}", sandbox.base_url());
    let send = SendOptions {
        api_base: client::check_api_base(&sandbox.base_url())?,
        api_base_given: true,
        token: Token::new(TEST_TOKEN)?,
        sending: Sending {
            rate: RateSettings {
                rate: std::num::NonZeroU32::new(50).unwrap_or(std::num::NonZeroU32::MIN),
                start: None,
                adaptive: true,
            },
            policy: Policy {
                base: Duration::from_millis(50),
                ..Policy::default()
            },
            grace: Duration::from_secs(5),
            client: ClientSettings {
                request_timeout: Duration::from_secs(10),
                ..ClientSettings::default()
            },
            ..Sending::default()
        },
    };

    let mut refunds_after = Vec::new();
    for (name, bytes) in SAMPLES.into_iter().flatten() {
        let input = dir.join(name);
        std::fs::write(&input, bytes).with_context(|| format!("writing {}", input.display()))?;
        let stem = name.trim_end_matches(".csv");
        let opts = InputOptions {
            delimiter: None,
            allow_duplicates: false,
            namespace: "mprefund-demo".into(),
            limits: Default::default(),
        };
        println!("\n== mprefund plan {name}");
        ops::plan::plan(&crate::sheets::input::Spooled::read(&input)?, &opts, None, false)?
            .render(&mut std::io::stdout().lock(), send.sending.rate.rate)?;
        println!("\n== mprefund run {name}  (fresh state file {stem}.mprefund.db)");
        let state = dir.join(format!("{stem}.mprefund.db"));
        let reach = crate::domain::steps::Reach::new(None, None, Some(&state), None, None);
        let result = ops::run::run(
            RunRequest {
                input: input.clone(),
                state: Some(state.clone()),
                input_options: opts,
                skip_invalid: false,
                namespace_change: false,
                allow_more_refunds: false,
                earlier: None,
                preflight: None,
                guards: Default::default(),
                // The demo's sandbox moves no money: nothing to confirm.
                confirm: None,
                send: send.clone(),
                output: OutputOptions {
                    out: Some(dir.join(format!("{stem}.results.csv"))),
                    mode: Some(mode),
                    ..OutputOptions::default()
                },
            },
            Stop::new(),
        )
        .await?;
        if mode != Mode::Quiet {
            result.render(&mut std::io::stderr().lock(), &reach)?;
        }
        let exit = crate::exit::Ending::exit(&result);
        let refunds = sandbox.refunds().len() + sandbox.order_refunds().len();
        let failed = match &result {
            RunResult::Finished(f) => f.summary.count(crate::domain::Outcome::Failed),
            RunResult::Refused { .. } => 0,
        };
        println!(
            "run exit code {}; the sandbox now holds {refunds} refunds",
            exit.code()
        );
        if failed > 0 {
            println!(
                "the {failed} failed row(s) are on purpose: the samples name the sandbox's \
                 magic payment and order ids (ending 900-914: not found, too old, pending, \
                 partial unsupported, over the balance...), so every outcome and cause shows \
                 up in the results; exit code 1 means just that"
            );
        }
        ensure!(
            matches!(exit, Exit::Ok | Exit::SomeFailed),
            "the demo run stopped early ({exit})"
        );
        refunds_after.push(refunds);
    }
    for (pair, what) in [
        (0, "The pt-BR re-export of the same spreadsheet"),
        (2, "The Spanish re-export of the orders' spreadsheet"),
    ] {
        let created_again = refunds_after[pair + 1] - refunds_after[pair];
        println!("\n{what}, run with a fresh state file, created {created_again} new refunds.");
        ensure!(
            created_again == 0,
            "the re-export refunded {created_again} rows twice"
        );
    }
    println!("Results and state files are in {}", dir.display());
    println!(
        "The commands the summaries name are what you would run next; they name the demo's state files, whose sandbox ended with the demo."
    );
    Ok(Exit::Ok)
}
