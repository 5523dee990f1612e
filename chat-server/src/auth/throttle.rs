//! Failed-login throttling (PROTOCOL.md §1.3): guessing must get slower the
//! more it fails, per address and per account, while the owner of an
//! account under attack from elsewhere still logs in. So the per-account
//! limit only ever holds back addresses that have themselves failed against
//! that account; an address with a clean record for it is judged by its own
//! per-address count alone.
//!
//! State lives in memory: a restart forgets it, which costs an attacker's
//! budget nothing worth defending with a disk write per failure.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::ThrottleConfig;

/// Accounts and addresses tracked at most; beyond this new ones are not
/// tracked per account (addresses still are), so memory stays bounded.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Counter {
    failures: u32,
    first: Instant,
    last: Instant,
}

impl Counter {
    fn new(now: Instant) -> Self {
        Self {
            failures: 0,
            first: now,
            last: now,
        }
    }

    fn hit(&mut self, now: Instant, window: Duration) {
        if now.duration_since(self.first) > window {
            *self = Self::new(now);
        }
        self.failures += 1;
        self.last = now;
    }

    /// How long to wait from `now` when `limit` failures are allowed.
    fn wait(&self, limit: u32, cfg: &ThrottleConfig, now: Instant) -> Option<Duration> {
        if self.failures < limit || now.duration_since(self.first) > cfg.window {
            return None;
        }
        let excess = (self.failures - limit).min(30);
        let delay = cfg
            .base_delay
            .saturating_mul(1u32 << excess)
            .min(cfg.max_delay);
        let until = self.last + delay;
        (until > now).then(|| until - now)
    }

    fn stale(&self, cfg: &ThrottleConfig, now: Instant) -> bool {
        now.duration_since(self.first) > cfg.window && now.duration_since(self.last) > cfg.max_delay
    }
}

#[derive(Debug)]
struct Account {
    total: Counter,
    by_source: HashMap<IpAddr, Counter>,
}

#[derive(Debug, Default)]
struct State {
    sources: HashMap<IpAddr, Counter>,
    accounts: HashMap<String, Account>,
}

/// The throttle shared by every connection.
#[derive(Debug)]
pub struct Throttle {
    cfg: ThrottleConfig,
    state: Mutex<State>,
}

impl Throttle {
    /// An empty throttle.
    pub fn new(cfg: ThrottleConfig) -> Self {
        Self {
            cfg,
            state: Mutex::new(State::default()),
        }
    }

    /// `Err(wait)` when `source` must wait before trying `account` again.
    pub fn check(&self, account: &str, source: IpAddr, now: Instant) -> Result<(), Duration> {
        let Ok(state) = self.state.lock() else {
            return Ok(());
        };
        let cfg = &self.cfg;
        let mut wait = state
            .sources
            .get(&source)
            .and_then(|c| c.wait(cfg.per_source, cfg, now));
        if let Some(acct) = state.accounts.get(account)
            && let Some(mine) = acct.by_source.get(&source)
        {
            wait = wait.max(mine.wait(cfg.per_account_source, cfg, now));
            // Only addresses that failed against this account feel the
            // account-wide limit.
            wait = wait.max(acct.total.wait(cfg.per_account, cfg, now));
        }
        wait.map_or(Ok(()), Err)
    }

    /// Counts a failed attempt.
    pub fn failure(&self, account: &str, source: IpAddr, now: Instant) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let window = self.cfg.window;
        if state.sources.len() < MAX_TRACKED || state.sources.contains_key(&source) {
            state
                .sources
                .entry(source)
                .or_insert_with(|| Counter::new(now))
                .hit(now, window);
        }
        if state.accounts.len() >= MAX_TRACKED && !state.accounts.contains_key(account) {
            return;
        }
        let acct = state
            .accounts
            .entry(account.to_string())
            .or_insert_with(|| Account {
                total: Counter::new(now),
                by_source: HashMap::new(),
            });
        acct.total.hit(now, window);
        if acct.by_source.len() < MAX_TRACKED {
            acct.by_source
                .entry(source)
                .or_insert_with(|| Counter::new(now))
                .hit(now, window);
        }
    }

    /// A correct password from `source` clears its record against `account`.
    pub fn success(&self, account: &str, source: IpAddr) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if let Some(acct) = state.accounts.get_mut(account) {
            acct.by_source.remove(&source);
        }
    }

    /// Forgets what no longer matters; called periodically.
    pub fn sweep(&self, now: Instant) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let cfg = &self.cfg;
        state.sources.retain(|_, c| !c.stale(cfg, now));
        state.accounts.retain(|_, a| {
            a.by_source.retain(|_, c| !c.stale(cfg, now));
            !(a.total.stale(cfg, now) && a.by_source.is_empty())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ThrottleConfig {
        ThrottleConfig {
            window: Duration::from_secs(600),
            per_account_source: 3,
            per_source: 6,
            per_account: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }

    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const BOTNET: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));
    const OWNER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));

    #[test]
    fn waits_grow_after_the_allowance_and_expire() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        for _ in 0..3 {
            assert!(t.check("bob", ATTACKER, now).is_ok());
            t.failure("bob", ATTACKER, now);
        }
        assert_eq!(t.check("bob", ATTACKER, now), Err(Duration::from_secs(1)));
        t.failure("bob", ATTACKER, now);
        assert_eq!(t.check("bob", ATTACKER, now), Err(Duration::from_secs(2)));
        assert!(
            t.check("bob", ATTACKER, now + Duration::from_secs(3))
                .is_ok()
        );
        // After the window the slate is clean.
        assert!(
            t.check("bob", ATTACKER, now + Duration::from_secs(601))
                .is_ok()
        );
    }

    #[test]
    fn the_owner_is_not_locked_out_by_guessing_from_elsewhere() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        for _ in 0..3 {
            t.failure("bob", ATTACKER, now);
            t.failure("bob", BOTNET, now);
        }
        assert!(t.check("bob", ATTACKER, now).is_err());
        assert!(
            t.check("bob", BOTNET, now).is_err(),
            "account-wide limit reached"
        );
        assert!(t.check("bob", OWNER, now).is_ok());
    }

    #[test]
    fn per_source_limit_spans_accounts_and_success_clears_the_pair() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        for name in ["a", "b", "c", "d", "e", "f"] {
            t.failure(name, ATTACKER, now);
        }
        assert!(t.check("zed", ATTACKER, now).is_err());
        t.failure("bob", OWNER, now);
        t.failure("bob", OWNER, now);
        t.success("bob", OWNER);
        t.failure("bob", OWNER, now);
        assert!(t.check("bob", OWNER, now).is_ok());
    }

    #[test]
    fn sweep_forgets_old_records() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        t.failure("bob", ATTACKER, now);
        t.sweep(now + Duration::from_secs(10_000));
        let state = t.state.lock().expect("lock");
        assert!(state.sources.is_empty() && state.accounts.is_empty());
    }
}
