//! Who creates a state file: a command that would create one as root inside a
//! folder that belongs to another user (`/var/lib/mprefund`, the `mprefund`
//! service user's) refuses, naming the command to run instead (`sudo -u
//! mprefund ...`): a root-owned state file there is one the service cannot open.
//!
//! Invariants: only a file that does not exist yet is judged (an existing one
//! is the service's already); nothing is created or changed here; the decision
//! ([`judge`]) is pure, its inputs read from the file system by [`check`].

use std::path::Path;

use crate::Usage;

/// Refuses to create `state` as root in a folder of another user's;
/// `command`: how the person ran it, for the message (`console users add ...`).
pub(crate) fn check(state: &Path, command: &str) -> Result<(), Usage> {
    use std::os::unix::fs::MetadataExt;
    if state.exists() {
        return Ok(());
    }
    let folder = match state.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (Ok(me), Ok(dir)) = (std::fs::metadata("/proc/self"), std::fs::metadata(folder)) else {
        return Ok(());
    };
    judge(state, folder, me.uid(), dir.uid(), command, user_name)
}

/// The decision: `me` (the process's user id) creating `state` in `folder`,
/// which `owner` owns; `name` gives a user id's name.
fn judge(
    state: &Path,
    folder: &Path,
    me: u32,
    owner: u32,
    command: &str,
    name: impl Fn(u32) -> Option<String>,
) -> Result<(), Usage> {
    if me != 0 || owner == 0 {
        return Ok(());
    }
    let user = name(owner).unwrap_or_else(|| format!("#{owner}"));
    Err(Usage(format!(
        "{} does not exist yet, and creating it as root in {}, which belongs to {user}, \
         would leave a file {user} cannot open; nothing was done. Run it as {user}: \
         sudo -u {user} mprefund {command}",
        state.display(),
        folder.display()
    )))
}

/// The command line this process was started with, less the program, quoted
/// for a shell: what the person should run again, as printed, as the right user.
pub(crate) fn this_command() -> String {
    std::env::args()
        .skip(1)
        .map(|a| crate::domain::steps::quote(&a).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The name of user `uid` in /etc/passwd.
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut fields = l.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?;
        (id.parse::<u32>().ok()? == uid).then(|| name.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_never_creates_a_state_file_in_another_users_folder() {
        let name = |uid| (uid == 999).then(|| "mprefund".to_owned());
        let state = Path::new("/var/lib/mprefund/chargebacks.db");
        let folder = Path::new("/var/lib/mprefund");
        let e = judge(
            state,
            folder,
            0,
            999,
            "console users add ana --role admin",
            name,
        )
        .unwrap_err();
        assert!(
            e.0.contains("sudo -u mprefund mprefund console users add ana --role admin"),
            "{e}"
        );
        assert!(e.0.contains("/var/lib/mprefund/chargebacks.db"), "{e}");
        // Root in root's folder, the user in their own, the user elsewhere: as asked.
        assert!(judge(state, folder, 0, 0, "run", name).is_ok());
        assert!(judge(state, folder, 999, 999, "run", name).is_ok());
        assert!(judge(state, folder, 1000, 999, "run", name).is_ok());
        let e = judge(state, folder, 0, 4242, "run", name).unwrap_err();
        assert!(e.0.contains("sudo -u #4242"), "{e}");
    }
}
