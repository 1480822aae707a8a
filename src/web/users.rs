//! Console accounts from the command line (`mprefund console users add|list|disable`)
//! and the password rules: a name people can type, a password long enough, kept
//! only as an argon2id hash (RustCrypto `argon2`, its default parameters and a
//! random salt from the OS).
//!
//! Invariant: a password is never printed, logged or stored in clear; checking
//! one compares hashes through argon2's own verifier (constant time).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use argon2::{Argon2, PasswordHash, PasswordHasher};

use super::Role;
use super::store::Store;
use crate::{Exit, Usage};

/// Shorter passwords are refused.
const MIN_PASSWORD_CHARS: usize = 12;

/// What `console users` asks of the accounts.
pub(crate) enum Command {
    Add {
        name: String,
        role: Role,
        password_stdin: bool,
    },
    List,
    Disable {
        name: String,
    },
}

pub(crate) fn exec(command: Command, state: &Path) -> anyhow::Result<Exit> {
    match command {
        Command::Add {
            name,
            role,
            password_stdin,
        } => {
            check_name(&name)?;
            let password = if password_stdin {
                password_from_stdin()?
            } else {
                password_from_terminal()?
            };
            check_password(&password)?;
            let hash = hash_password(&password)?;
            let mut store = Store::open(state)?;
            if !store.add_user(&name, role, &hash, crate::domain::clock::now_ms())? {
                return Err(Usage(format!("an account {name:?} exists already")).into());
            }
            eprintln!("added {name} ({}) to {}", role.as_str(), state.display());
            Ok(Exit::Ok)
        }
        Command::List => {
            let store = Store::open(state)?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{:<24} {:<10} {:<9} created", "name", "role", "login")?;
            for u in store.users()? {
                let login = if u.disabled { "disabled" } else { "active" };
                writeln!(
                    out,
                    "{:<24} {:<10} {login:<9} {}",
                    u.name,
                    u.role.as_str(),
                    crate::domain::clock::rfc3339(u.created_at_ms)
                )?;
            }
            Ok(Exit::Ok)
        }
        Command::Disable { name } => {
            let mut store = Store::open(state)?;
            if !store.disable_user(&name)? {
                return Err(Usage(format!("no account {name:?} in {}", state.display())).into());
            }
            eprintln!("{name} can no longer log in");
            Ok(Exit::Ok)
        }
    }
}

/// Letters, digits and `.` `_` `-` `@`, up to 64: names land in the audit
/// trail and in pages, so they stay plain.
fn check_name(name: &str) -> Result<(), Usage> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if name.is_empty() || name.len() > 64 || !name.chars().all(plain) {
        return Err(Usage(format!(
            "{name:?} is not an account name: use 1 to 64 letters, digits, '.', '_', '-' or '@'"
        )));
    }
    Ok(())
}

fn check_password(password: &str) -> Result<(), Usage> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Usage(format!(
            "the password is too short: at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// The first line of standard input, without its line end.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_owned())
}

fn password_from_terminal() -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(Usage(
            "no terminal to ask the password on: pass --password-stdin and give it on standard input"
                .into(),
        )
        .into());
    }
    let first = rpassword::prompt_password("password: ")?;
    let again = rpassword::prompt_password("the same again: ")?;
    if first != again {
        return Err(Usage("the two passwords differ; nothing was added".into()).into());
    }
    Ok(first)
}

/// The PHC string (`$argon2id$v=19$…`) of `password` with a fresh random salt.
pub(crate) fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

/// True when `password` is the one `hash` was made from. A hash that cannot
/// be read never matches.
#[cfg(test)]
pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::PasswordVerifier;
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The most memory a stored hash may ask a check for: far above argon2's
/// default 19 MiB; a hand-edited hash asking more never matches.
const MAX_CHECK_BLOCKS: usize = 256 << 10;

/// [`verify_password`] in `memory` (grown to the hash's cost, then kept by
/// the caller for the next check): the console checks passwords in the same
/// few buffers, one per core, rather than a fresh 19 MiB each time, so its
/// memory stays where the first checks put it. A hash that cannot be read
/// never matches; the comparison is constant-time.
pub(crate) fn verify_in(password: &str, hash: &str, memory: &mut Vec<argon2::Block>) -> bool {
    use subtle::ConstantTimeEq;
    let mut check = || -> Option<bool> {
        let h = PasswordHash::new(hash).ok()?;
        let algorithm = argon2::Algorithm::try_from(h.algorithm.as_str()).ok()?;
        let version = match h.version {
            Some(v) => argon2::Version::try_from(v).ok()?,
            None => argon2::Version::default(),
        };
        let params = argon2::Params::try_from(&h).ok()?;
        let (salt, expected) = (h.salt?, h.hash?);
        let blocks = params.block_count();
        if blocks > MAX_CHECK_BLOCKS {
            return None;
        }
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::new());
        }
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                password.as_bytes(),
                &salt,
                &mut out,
                &mut memory[..blocks],
            )
            .ok()?;
        Some(bool::from(out.ct_eq(expected.as_bytes())))
    };
    check().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_kept_as_salted_argon2id_hashes() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(!a.contains("correct horse"));
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("correct horse batterY", &a));
        assert!(!verify_password("correct horse battery", "not a hash"));
        let mut memory = Vec::new();
        assert!(verify_in("correct horse battery", &a, &mut memory));
        let kept = memory.len();
        assert!(kept > 0);
        assert!(!verify_in("correct horse batterY", &b, &mut memory));
        assert!(verify_in("correct horse battery", &b, &mut memory));
        assert_eq!(memory.len(), kept, "the same memory each time");
        assert!(!verify_in(
            "correct horse battery",
            "not a hash",
            &mut memory
        ));
    }

    #[test]
    fn names_stay_plain_and_passwords_long() {
        assert!(check_name("ana.souza@fin").is_ok());
        for bad in ["", "a b", "<script>", "=cmd", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_password("short").is_err());
        assert!(check_password("twelve chars").is_ok());
    }
}
