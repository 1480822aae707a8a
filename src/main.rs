//! `mprefund` binary: parse the command line, set up the process (its
//! allocator's arenas, its runtime), hand over to the library, and turn its
//! answer into the process exit code. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use mprefund::cli::Cli;

fn main() -> ExitCode {
    bound_malloc_arenas();
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

/// glibc gives each thread that allocates an arena of its own, up to eight a
/// core, and keeps in each what was freed there: a million-row run, its
/// collector, workers, reader and writer passing rows between them, held
/// about a third more memory than with one arena a core. The threads here are
/// the cores' workers and a few helpers; one arena a core serves them.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn bound_malloc_arenas() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = libc::c_int::try_from(cores.clamp(2, 8)).unwrap_or(8);
    // SAFETY: `mallopt` sets one of glibc's tunables; it is called here,
    // before any other thread of the process exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn bound_malloc_arenas() {}
