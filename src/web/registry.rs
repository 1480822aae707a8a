//! A console batch's life in this process, in one place behind one lock: what
//! the process is doing with it now — sending it, or reading its books back —
//! its plan as last made, and its `full` rows' payments as read back. What
//! outlives the process (its state, its findings) is the store's.
//!
//! Invariants: a batch is busy with one thing at a time, so a send and a
//! reading back of one batch never run together in this process ([`Registry::claim`]
//! says what it is busy with instead); nothing done under its lock takes
//! another of the console's locks (the store, the sessions) or waits, so
//! there is no order to keep; what is kept is bounded (plans and readings of
//! the batches people look at), and a batch with nothing kept is forgotten.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::ops::plan::PlanReport;
use crate::engine::progress::Live;
use crate::engine::send::Stop;

/// Plans kept at once: the batches people are looking at.
const PLANS_KEPT: usize = 32;
/// Readings of `full` rows kept at once: the batches people are working on.
const COVERS_KEPT: usize = 64;

/// A send of this process: its stop, and the figures its progress page reads.
#[derive(Clone)]
pub(crate) struct Running {
    pub stop: Stop,
    pub live: Live,
}

/// What this process is doing with a batch.
#[derive(Clone)]
pub(crate) enum Busy {
    Sending(Running),
    /// Its books read back from Mercado Pago: by whom, since when.
    Reading {
        by: String,
        at_ms: i64,
    },
}

/// A plan, and the ledger generation it was made at.
pub(crate) type KeptPlan = (Option<i64>, Arc<PlanReport>);

#[derive(Default)]
struct Life {
    busy: Option<Busy>,
    plan: Option<KeptPlan>,
    cover: Option<Arc<super::covered::Reading>>,
}

impl Life {
    fn is_empty(&self) -> bool {
        self.busy.is_none() && self.plan.is_none() && self.cover.is_none()
    }
}

/// Every batch's life in this process, by console batch id.
#[derive(Default)]
pub(crate) struct Registry(Mutex<HashMap<String, Life>>);

impl Registry {
    fn lives(&self) -> MutexGuard<'_, HashMap<String, Life>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks batch `id` busy with `what`; what it is busy with already, if
    /// anything (then nothing changes).
    pub(crate) fn claim(&self, id: &str, what: Busy) -> Result<(), Busy> {
        let mut lives = self.lives();
        let life = lives.entry(id.to_owned()).or_default();
        match &life.busy {
            Some(busy) => Err(busy.clone()),
            None => {
                life.busy = Some(what);
                Ok(())
            }
        }
    }

    /// Batch `id` is busy no more.
    pub(crate) fn release(&self, id: &str) {
        let mut lives = self.lives();
        if let Some(life) = lives.get_mut(id) {
            life.busy = None;
            if life.is_empty() {
                lives.remove(id);
            }
        }
    }

    /// What batch `id` is busy with.
    pub(crate) fn busy(&self, id: &str) -> Option<Busy> {
        self.lives().get(id).and_then(|l| l.busy.clone())
    }

    /// The send of batch `id` in this process, if there is one.
    pub(crate) fn running(&self, id: &str) -> Option<Running> {
        match self.busy(id) {
            Some(Busy::Sending(r)) => Some(r),
            _ => None,
        }
    }

    /// Every send of this process.
    pub(crate) fn sends(&self) -> Vec<Running> {
        self.lives()
            .values()
            .filter_map(|l| match &l.busy {
                Some(Busy::Sending(r)) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }

    /// The plan of batch `id` kept, when made at `generation` (`None`: made
    /// at any).
    pub(crate) fn plan(&self, id: &str, generation: Option<i64>) -> Option<Arc<PlanReport>> {
        let lives = self.lives();
        let (made_at, plan) = lives.get(id)?.plan.as_ref()?;
        (generation.is_none() || *made_at == generation).then(|| plan.clone())
    }

    /// Keeps `plan` of batch `id`, made at `generation`; past the bound, the
    /// plan of some other batch goes.
    pub(crate) fn keep_plan(&self, id: &str, generation: Option<i64>, plan: Arc<PlanReport>) {
        let mut lives = self.lives();
        let kept = lives.values().filter(|l| l.plan.is_some()).count();
        let has = lives.get(id).is_some_and(|l| l.plan.is_some());
        if kept >= PLANS_KEPT && !has {
            let other = lives
                .iter()
                .find(|(_, l)| l.plan.is_some())
                .map(|(k, _)| k.clone());
            if let Some(k) = other {
                forget(&mut lives, &k, |l| l.plan = None);
            }
        }
        lives.entry(id.to_owned()).or_default().plan = Some((generation, plan));
    }

    /// The reading of batch `id`'s `full` rows: `decide` is given the one kept
    /// (if any) under the lock and returns the one to keep, with what the
    /// caller gets back; past the bound, a finished reading of some other
    /// batch goes.
    pub(crate) fn cover<T>(
        &self,
        id: &str,
        decide: impl FnOnce(Option<&Arc<super::covered::Reading>>) -> (Arc<super::covered::Reading>, T),
    ) -> T {
        let mut lives = self.lives();
        let kept = lives.get(id).and_then(|l| l.cover.as_ref());
        let was = kept.map(Arc::as_ptr);
        let (reading, out) = decide(kept);
        if was != Some(Arc::as_ptr(&reading)) {
            let count = lives.values().filter(|l| l.cover.is_some()).count();
            if count >= COVERS_KEPT {
                let done = lives
                    .iter()
                    .find(|(k, l)| {
                        *k != id && l.cover.as_ref().is_some_and(|r| r.found().is_some())
                    })
                    .map(|(k, _)| k.clone());
                if let Some(k) = done {
                    forget(&mut lives, &k, |l| l.cover = None);
                }
            }
            lives.entry(id.to_owned()).or_default().cover = Some(reading);
        }
        out
    }
}

/// Drops part of batch `id`'s life (`drop_part`), and the batch when nothing
/// is left of it.
fn forget(lives: &mut HashMap<String, Life>, id: &str, drop_part: impl FnOnce(&mut Life)) {
    if let Some(life) = lives.get_mut(id) {
        drop_part(life);
        if life.is_empty() {
            lives.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(by: &str) -> Busy {
        Busy::Reading {
            by: by.into(),
            at_ms: 1,
        }
    }

    fn sending() -> Busy {
        Busy::Sending(Running {
            stop: Stop::new(),
            live: Live::default(),
        })
    }

    #[test]
    fn a_batch_is_busy_with_one_thing_at_a_time() {
        let r = Registry::default();
        assert!(r.claim("a", reading("ana")).is_ok());
        assert!(matches!(r.claim("a", sending()), Err(Busy::Reading { by, .. }) if by == "ana"));
        assert!(r.claim("b", sending()).is_ok(), "another batch goes on");
        assert!(r.running("a").is_none() && r.running("b").is_some());
        assert_eq!(r.sends().len(), 1);
        r.release("a");
        assert!(r.busy("a").is_none());
        assert!(r.claim("a", sending()).is_ok());
        assert!(matches!(
            r.claim("a", reading("bob")),
            Err(Busy::Sending(_))
        ));
        r.release("a");
        r.release("b");
        assert!(r.lives().is_empty(), "nothing kept of them");
    }
}
