//! Failed-login throttling (PROTOCOL.md §1.3): guessing must get slower the
//! more it fails, per address and per account, while the owner of an
//! account under attack from elsewhere still logs in. So the per-account
//! limit only ever holds back addresses that have themselves failed against
//! that account; an address with a clean record for it is judged by its own
//! per-address count alone.
//!
//! The per-source count is consulted before any RSA or bcrypt work, and
//! failures that name no valid account (credentials that do not open, an
//! invalid username) count against the source alone, so they cannot be
//! used to grow the per-account table. Signups are counted per source in a
//! window of their own: each costs a bcrypt hash and a row.
//!
//! State lives in memory: a restart forgets it, which costs an attacker's
//! budget nothing worth defending with a disk write per failure. Keys are
//! [`Source`]s (an IPv6 /64 is one) and validated usernames (at most 32
//! bytes), and every table is capped.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::source::Source;
use crate::config::ThrottleConfig;

/// Sources and accounts tracked at most; beyond this new ones are not
/// tracked per account (sources still are), so memory stays bounded.
const MAX_TRACKED: usize = 100_000;
/// Sources tracked per account.
const MAX_SOURCES_PER_ACCOUNT: usize = 1_024;

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
    by_source: HashMap<Source, Counter>,
}

#[derive(Debug, Default)]
struct State {
    sources: HashMap<Source, Counter>,
    accounts: HashMap<String, Account>,
    /// Signup attempts per source: (first in the window, count).
    signups: HashMap<Source, (Instant, u32)>,
}

impl State {
    fn hit_source(&mut self, source: Source, now: Instant, window: Duration) {
        if self.sources.len() < MAX_TRACKED || self.sources.contains_key(&source) {
            self.sources
                .entry(source)
                .or_insert_with(|| Counter::new(now))
                .hit(now, window);
        }
    }
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

    /// `Err(wait)` when `source` has failed too often (against any account
    /// or with credentials that did not open) and must wait before any
    /// further attempt. Consulted before any RSA or bcrypt work.
    pub fn check_source(&self, source: Source, now: Instant) -> Result<(), Duration> {
        let Ok(state) = self.state.lock() else {
            return Ok(());
        };
        let cfg = &self.cfg;
        state
            .sources
            .get(&source)
            .and_then(|c| c.wait(cfg.per_source, cfg, now))
            .map_or(Ok(()), Err)
    }

    /// Counts a failure that names no valid account (credentials that did
    /// not open or did not parse, an invalid username) against `source`.
    pub fn source_failure(&self, source: Source, now: Instant) {
        if let Ok(mut state) = self.state.lock() {
            state.hit_source(source, now, self.cfg.window);
        }
    }

    /// Counts a signup attempt from `source`, or `Err(wait)` when it has
    /// used up its signups for the window (the attempt is then not counted).
    pub fn signup_attempt(&self, source: Source, now: Instant) -> Result<(), Duration> {
        let Ok(mut state) = self.state.lock() else {
            return Ok(());
        };
        let (limit, window) = (self.cfg.signups_per_source, self.cfg.signup_window);
        if state.signups.len() >= MAX_TRACKED && !state.signups.contains_key(&source) {
            // Full table: refuse rather than let signups go uncounted.
            return Err(window);
        }
        let entry = state.signups.entry(source).or_insert((now, 0));
        if now.duration_since(entry.0) > window {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            return Err((entry.0 + window)
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)));
        }
        entry.1 += 1;
        Ok(())
    }

    /// `Err(wait)` when `source` must wait before trying `account` again.
    pub fn check(&self, account: &str, source: Source, now: Instant) -> Result<(), Duration> {
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

    /// Counts a failed attempt against a valid `account`.
    pub fn failure(&self, account: &str, source: Source, now: Instant) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let window = self.cfg.window;
        state.hit_source(source, now, window);
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
        if acct.by_source.len() < MAX_SOURCES_PER_ACCOUNT || acct.by_source.contains_key(&source) {
            acct.by_source
                .entry(source)
                .or_insert_with(|| Counter::new(now))
                .hit(now, window);
        }
    }

    /// A correct password from `source` clears its record against `account`.
    pub fn success(&self, account: &str, source: Source) {
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
        state
            .signups
            .retain(|_, (first, _)| now.duration_since(*first) <= cfg.signup_window);
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
            signups_per_source: 2,
            signup_window: Duration::from_secs(3600),
        }
    }

    fn src(ip: &str) -> Source {
        Source::of(ip.parse().expect("address"))
    }

    const ATTACKER: &str = "10.0.0.1";
    const BOTNET: &str = "10.0.0.2";
    const OWNER: &str = "192.0.2.7";

    #[test]
    fn waits_grow_after_the_allowance_and_expire() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        for _ in 0..3 {
            assert!(t.check("bob", src(ATTACKER), now).is_ok());
            t.failure("bob", src(ATTACKER), now);
        }
        assert_eq!(
            t.check("bob", src(ATTACKER), now),
            Err(Duration::from_secs(1))
        );
        t.failure("bob", src(ATTACKER), now);
        assert_eq!(
            t.check("bob", src(ATTACKER), now),
            Err(Duration::from_secs(2))
        );
        assert!(
            t.check("bob", src(ATTACKER), now + Duration::from_secs(3))
                .is_ok()
        );
        // After the window the slate is clean.
        assert!(
            t.check("bob", src(ATTACKER), now + Duration::from_secs(601))
                .is_ok()
        );
    }

    #[test]
    fn the_owner_is_not_locked_out_by_guessing_from_elsewhere() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        for _ in 0..3 {
            t.failure("bob", src(ATTACKER), now);
            t.failure("bob", src(BOTNET), now);
        }
        assert!(t.check("bob", src(ATTACKER), now).is_err());
        assert!(
            t.check("bob", src(BOTNET), now).is_err(),
            "account-wide limit reached"
        );
        assert!(t.check("bob", src(OWNER), now).is_ok());
    }

    #[test]
    fn per_source_limit_spans_accounts_and_success_clears_the_pair() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        for name in ["a", "b", "c", "d", "e", "f"] {
            t.failure(name, src(ATTACKER), now);
        }
        assert!(t.check("zed", src(ATTACKER), now).is_err());
        t.failure("bob", src(OWNER), now);
        t.failure("bob", src(OWNER), now);
        t.success("bob", src(OWNER));
        t.failure("bob", src(OWNER), now);
        assert!(t.check("bob", src(OWNER), now).is_ok());
    }

    #[test]
    fn failures_without_an_account_slow_the_source_before_any_work() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        for _ in 0..6 {
            assert!(t.check_source(src(ATTACKER), now).is_ok());
            t.source_failure(src(ATTACKER), now);
        }
        assert!(t.check_source(src(ATTACKER), now).is_err());
        assert!(t.check("bob", src(ATTACKER), now).is_err());
        assert!(t.check_source(src(OWNER), now).is_ok());
        // Nothing was recorded per account.
        assert!(t.state.lock().expect("lock").accounts.is_empty());
    }

    #[test]
    fn an_ipv6_64_is_one_source() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        for i in 1..=6 {
            t.source_failure(src(&format!("2001:db8:0:1::{i:x}")), now);
        }
        assert!(t.check_source(src("2001:db8:0:1:ffff::1"), now).is_err());
        assert!(t.check_source(src("2001:db8:0:2::1"), now).is_ok());
    }

    #[test]
    fn signups_are_counted_per_source_in_their_window() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        assert!(t.signup_attempt(src(ATTACKER), now).is_ok());
        assert!(t.signup_attempt(src(ATTACKER), now).is_ok());
        let wait = t.signup_attempt(src(ATTACKER), now + Duration::from_secs(600));
        assert_eq!(wait, Err(Duration::from_secs(3000)));
        assert!(t.signup_attempt(src(OWNER), now).is_ok());
        assert!(
            t.signup_attempt(src(ATTACKER), now + Duration::from_secs(3601))
                .is_ok()
        );
    }

    #[test]
    fn sweep_forgets_old_records() {
        let t = Throttle::new(cfg());
        let now = Instant::now();
        t.failure("bob", src(ATTACKER), now);
        t.sweep(now + Duration::from_secs(10_000));
        let state = t.state.lock().expect("lock");
        assert!(state.sources.is_empty() && state.accounts.is_empty());
    }
}
