//! Command-line surface (SPEC "Commands"): clap definitions and the dispatch from a
//! parsed command to the library. Every command returns an [`Exit`]; errors carry
//! their own code (see [`Exit::from_result`]).

use clap::{Parser, Subcommand};

use crate::{sandbox, Exit};

#[derive(Parser, Debug)]
#[command(name = "mprefund", version, about = "Bulk, resumable, idempotent Mercado Pago refunds from a spreadsheet")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve a stateful local Mercado Pago refunds API, with fault injection.
    Sandbox(sandbox::SandboxArgs),
}

pub async fn execute(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Sandbox(args) => sandbox::serve_cli(args).await.map(|()| Exit::Ok),
    }
}
