//! `mprefund` binary: parse the command line, set up the process (its
//! allocator, its runtime), hand over to the library, and turn its answer into
//! the process exit code. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use mprefund::cli::Cli;

/// mimalloc rather than the system's malloc: the send path allocates small
/// blocks on one thread and frees them on another for every request
/// (hyper's per-request state, the answer on its way to the
/// collector), and glibc's arenas spent a seventh of the run's CPU doing it.
/// Built without transparent huge pages (`no_thp`): with them, each first touch
/// of a 2 MiB stretch took all of it, and a million-row run held 50 MiB.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option: its number in `mi_option_e` of
/// mimalloc.h, where retired options keep their numbers so that none moves.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long a freed page stays with the process before it goes back to the system.
const PURGE_DELAY_MS: std::ffi::c_long = 50;

fn main() -> ExitCode {
    // mimalloc keeps a page its threads freed for a second before it gives the
    // memory back, and a million-row run held 28–30 MiB (once 32) that way.
    // Purged at once, it held 26–27 MiB and spent a tenth more CPU faulting the
    // pages in again; after 50 ms, 27–28 MiB at the full speed.
    // SAFETY: sets one of mimalloc's options, plain integers, before any
    // other thread of the process exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
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

#[cfg(test)]
mod tests {
    use super::MI_OPTION_PURGE_DELAY;

    #[test]
    fn the_option_set_is_mimallocs_purge_delay() {
        // Its default is a second (MIMALLOC_PURGE_DELAY in the environment
        // changes that, and then the number is taken on trust).
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads one of mimalloc's options.
            let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
            assert_eq!(
                delay, 1000,
                "option {MI_OPTION_PURGE_DELAY} is not purge_delay"
            );
        }
    }
}
