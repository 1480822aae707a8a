//! What the tool keeps on disk: the state file (the ledger), its locks, where
//! it lives, who owns it, and files written whole and private.

pub(crate) mod atomic_file;
pub(crate) mod ledger;
pub(crate) mod lock;
pub(crate) mod paths;
pub(crate) mod private;
pub(crate) mod row;
pub(crate) mod state_access;
pub(crate) mod state_home;
pub(crate) mod state_owner;
