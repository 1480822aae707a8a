//! `mprefund` binary: parse the command line, build the runtime, hand over to the
//! library, and turn its answer into the process exit code. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use mprefund::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let exit = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => {
            let exit = mprefund::exit_code(rt.block_on(mprefund::cli::execute(cli)));
            // A question left unanswered (a signal while `run` asked) still holds a
            // thread reading the terminal: do not wait for it.
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            exit
        }
        Err(e) => mprefund::exit_code(Err(anyhow::Error::new(e).context("starting the runtime"))),
    };
    ExitCode::from(exit.code())
}
