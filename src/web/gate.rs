//! What a login may cost the console: a rate per client address and per name
//! typed (`governor`'s keyed GCRA limiters), and how many passwords are checked
//! at once — argon2id takes about 19 MiB and a core's worth of time each, so at
//! most one per core; a login that cannot get its turn within a short wait is
//! answered 503 with `Retry-After` rather than queued without end.
//!
//! Invariants: nothing here is written anywhere (the limiters live in memory
//! and forget a quiet key: [`Gate::admit`] sweeps them past
//! [`KEYS_BEFORE_SWEEP`]); a name is limited whatever it is, an account's or
//! not; the clock is injected, so the limits are tested without waiting.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Logins one client address may try at once, and how fast it gets more.
const ADDRESS_BURST: u32 = 20;
const ADDRESS_EVERY: Duration = Duration::from_secs(3);
/// Logins at one name, and how fast it gets more.
const NAME_BURST: u32 = 10;
const NAME_EVERY: Duration = Duration::from_secs(6);
/// How long a login waits for its turn to check a password before 503.
const TURN_WAIT: Duration = Duration::from_secs(3);
/// What a 503 asks the browser to wait, in seconds.
pub(crate) const BUSY_RETRY_SECS: u64 = 2;
/// Keys a limiter holds before the quiet ones are dropped.
const KEYS_BEFORE_SWEEP: usize = 10_000;

type Keyed<K, C> = RateLimiter<
    K,
    DefaultKeyedStateStore<K>,
    C,
    governor::middleware::NoOpMiddleware<<C as Clock>::Instant>,
>;

pub(crate) struct Gate<C: Clock = DefaultClock> {
    clock: C,
    by_address: Keyed<IpAddr, C>,
    by_name: Keyed<String, C>,
    turns: Arc<Semaphore>,
    /// The checks' memory (argon2's blocks), one buffer per turn at most,
    /// reused: kept once made, never more of it.
    memory: std::sync::Mutex<Vec<Vec<argon2::Block>>>,
}

/// A turn to check a password, with the memory to check it in; give the
/// memory back ([`Gate::give_back`]) before the turn ends.
pub(crate) struct Turn {
    _permit: OwnedSemaphorePermit,
    pub memory: Vec<argon2::Block>,
}

/// Why a login is not tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Held {
    /// Too many from this address, or at this name: seconds to wait.
    Rate(u64),
    /// Every core busy checking passwords.
    Busy,
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Gate {
    pub(crate) fn new() -> Gate {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Gate::with_clock(DefaultClock::default(), cores)
    }
}

impl<C: Clock + Clone> Gate<C> {
    pub(crate) fn with_clock(clock: C, turns: usize) -> Gate<C> {
        Gate {
            by_address: RateLimiter::new(
                quota(ADDRESS_BURST, ADDRESS_EVERY),
                DefaultKeyedStateStore::default(),
                clock.clone(),
            ),
            by_name: RateLimiter::new(
                quota(NAME_BURST, NAME_EVERY),
                DefaultKeyedStateStore::default(),
                clock.clone(),
            ),
            turns: Arc::new(Semaphore::new(turns.max(1))),
            memory: std::sync::Mutex::new(Vec::new()),
            clock,
        }
    }

    /// A login from `address` at `name`, or how long it must wait. The address
    /// is asked first: a stream of new names from one place stops there.
    pub(crate) fn admit(&self, address: IpAddr, name: &str) -> Result<(), Held> {
        let wait = |e: governor::NotUntil<C::Instant>| {
            let d = e.wait_time_from(self.clock.now());
            Held::Rate(d.as_secs() + u64::from(d.subsec_nanos() > 0))
        };
        self.by_address.check_key(&address).map_err(wait)?;
        self.by_name.check_key(&name.to_owned()).map_err(wait)?;
        for keyed in [self.by_address.len(), self.by_name.len()] {
            if keyed > KEYS_BEFORE_SWEEP {
                self.by_address.retain_recent();
                self.by_address.shrink_to_fit();
                self.by_name.retain_recent();
                self.by_name.shrink_to_fit();
                break;
            }
        }
        Ok(())
    }

    /// A turn to check a password: held while it is checked. `Busy` when none
    /// came free within [`TURN_WAIT`].
    pub(crate) async fn turn(&self) -> Result<Turn, Held> {
        match tokio::time::timeout(TURN_WAIT, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Turn {
                _permit: permit,
                memory: self.pool().pop().unwrap_or_default(),
            }),
            _ => Err(Held::Busy),
        }
    }

    /// A turn's memory, for the next turn.
    pub(crate) fn give_back(&self, memory: Vec<argon2::Block>) {
        self.pool().push(memory);
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Vec<Vec<argon2::Block>>> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn at(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn an_address_gets_a_burst_then_one_login_every_few_seconds() {
        let clock = FakeRelativeClock::default();
        let g = Gate::with_clock(clock.clone(), 1);
        for i in 0..ADDRESS_BURST {
            assert_eq!(g.admit(at(1), &format!("name{i}")), Ok(()), "{i}");
        }
        assert_eq!(g.admit(at(1), "another"), Err(Held::Rate(3)));
        assert_eq!(g.admit(at(2), "another"), Ok(()), "other addresses go on");
        clock.advance(ADDRESS_EVERY);
        assert_eq!(g.admit(at(1), "another"), Ok(()));
        assert!(g.admit(at(1), "another").is_err());
    }

    #[test]
    fn a_name_is_limited_whatever_the_address_and_whether_it_exists() {
        let clock = FakeRelativeClock::default();
        let g = Gate::with_clock(clock.clone(), 1);
        for i in 0..NAME_BURST {
            assert_eq!(g.admit(at(i as u8), "ana"), Ok(()), "{i}");
        }
        assert_eq!(g.admit(at(200), "ana"), Err(Held::Rate(6)));
        assert_eq!(g.admit(at(200), "bob"), Ok(()));
        clock.advance(Duration::from_secs(2));
        assert_eq!(g.admit(at(201), "ana"), Err(Held::Rate(4)));
    }

    #[test]
    fn quiet_keys_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let g = Gate::with_clock(clock.clone(), 1);
        for i in 0..=KEYS_BEFORE_SWEEP as u32 {
            g.by_name.check_key(&i.to_string()).unwrap();
        }
        clock.advance(Duration::from_secs(3600));
        g.admit(at(1), "x").unwrap();
        assert!(g.by_name.len() < 10, "{}", g.by_name.len());
    }

    #[tokio::test(start_paused = true)]
    async fn one_password_at_a_time_per_turn_and_busy_after_the_wait() {
        let g = Gate::with_clock(FakeRelativeClock::default(), 1);
        let mut first = g.turn().await.unwrap();
        assert!(matches!(g.turn().await, Err(Held::Busy)));
        first.memory.push(argon2::Block::new());
        g.give_back(std::mem::take(&mut first.memory));
        drop(first);
        assert_eq!(g.turn().await.unwrap().memory.len(), 1, "its memory reused");
    }
}
