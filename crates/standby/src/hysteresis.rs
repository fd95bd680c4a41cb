//! Rise/fall counters: a state flips only after enough results agree.

/// A probed state that starts unknown. The first result sets it directly
/// (a target dead at start must not wait `fall` probes); after that it
/// flips to up after `rise` successes in a row and to down after `fall`
/// failures in a row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hysteresis {
    state: Option<bool>,
    ok_streak: u32,
    fail_streak: u32,
}

impl Hysteresis {
    /// Up, down, or unknown (no result yet).
    pub fn state(&self) -> Option<bool> {
        self.state
    }

    /// Unknown counts as up (SPEC §1: until its first result a target
    /// counts as available).
    pub fn up(&self) -> bool {
        self.state != Some(false)
    }

    /// Record a result; returns the new state when it changed.
    pub fn record(&mut self, ok: bool, rise: u32, fall: u32) -> Option<bool> {
        if ok {
            self.ok_streak = self.ok_streak.saturating_add(1);
            self.fail_streak = 0;
        } else {
            self.fail_streak = self.fail_streak.saturating_add(1);
            self.ok_streak = 0;
        }
        let new = match self.state {
            None => Some(ok),
            Some(false) if self.ok_streak >= rise.max(1) => Some(true),
            Some(true) if self.fail_streak >= fall.max(1) => Some(false),
            s => s,
        };
        let changed = new != self.state;
        self.state = new;
        changed.then_some(ok)
    }

    /// Down at once, whatever the counters say (a failed real connect).
    pub fn force_down(&mut self) -> bool {
        self.ok_streak = 0;
        let changed = self.state != Some(false);
        self.state = Some(false);
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_result_decides_then_rise_and_fall() {
        let mut h = Hysteresis::default();
        assert!(h.up());
        assert_eq!(h.record(false, 2, 2), Some(false));
        assert_eq!(h.record(true, 2, 2), None);
        assert_eq!(h.record(true, 2, 2), Some(true));
        assert_eq!(h.record(false, 2, 2), None);
        assert_eq!(h.record(true, 2, 2), None);
        assert_eq!(h.record(false, 2, 2), None);
        assert_eq!(h.record(false, 2, 2), Some(false));
        assert!(!h.force_down());
        let mut h = Hysteresis::default();
        assert_eq!(h.record(true, 2, 2), Some(true));
        assert!(h.force_down());
        assert!(!h.up());
    }
}
