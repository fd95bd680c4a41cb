//! The fencing rule of SPEC §7: two owners never serve at once.
//!
//! An owner serves only while its membership is confirmed: until `F` after
//! the moment it last asked and was answered (the request's send time, so
//! that a slow answer never extends it). A stack that takes a DVIPA over
//! serves only `F` after the old owner's membership ended (its lease
//! revoked or expired, as the group engine reports it). Since a membership
//! cannot be confirmed by a request sent after it ended, the old owner's
//! last moment of service comes before the new owner's first. `F` must
//! exceed the interval of confirmations, or an owner with a working group
//! would pause between them; an engine stall longer than `F` makes an owner
//! step down (the docs say so).

use std::time::{Duration, Instant};

/// When one stack may serve what it owns.
#[derive(Clone, Debug)]
pub struct Fence {
    f: Duration,
    /// Serving is allowed before this: the last confirmed request's send
    /// time plus F.
    until: Option<Instant>,
    /// Serving is allowed from this on (after a takeover).
    from: Option<Instant>,
}

impl Fence {
    pub fn new(f: Duration) -> Fence {
        Fence {
            f,
            until: None,
            from: None,
        }
    }

    pub fn f(&self) -> Duration {
        self.f
    }

    /// The group confirmed this stack's membership in answer to a request
    /// sent at `sent`.
    pub fn confirmed(&mut self, sent: Instant) {
        let until = sent + self.f;
        if self.until.is_none_or(|u| until > u) {
            self.until = Some(until);
        }
    }

    /// This stack became the owner of a DVIPA whose previous owner's
    /// membership ended at `previous_end` (`None`: there was no previous
    /// owner, or it gave the DVIPA up while it was a member and no longer
    /// serves it).
    pub fn took_over(&mut self, previous_end: Option<Instant>) {
        self.from = previous_end.map(|e| e + self.f);
    }

    /// Whether the stack may serve at `now`.
    pub fn may_serve(&self, now: Instant) -> bool {
        self.until.is_some_and(|u| now < u) && self.from.is_none_or(|f| now >= f)
    }

    /// When serving may start, if it is held back now.
    pub fn serves_from(&self) -> Option<Instant> {
        self.from
    }
}
