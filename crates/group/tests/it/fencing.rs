//! Seeded simulation of the fencing rule: an owner keeps its membership by
//! keepalives that the network delays or drops (a partition from some
//! moment on); the group engine expires its lease TTL after the last
//! keepalive it received and tells the backup, late; the backup takes over.
//! Sampled every millisecond, the two never serve at once, and the backup
//! serves within TTL + F + the news' delay of the owner's last keepalive.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use zha_group::Fence;

#[derive(Clone, Debug)]
struct World {
    /// Keepalive interval, lease TTL and F, in ms (F > interval).
    interval: u64,
    ttl: u64,
    f: u64,
    /// One-way delays of each keepalive request and answer, in ms.
    delays: Vec<(u64, u64)>,
    /// From this moment on the owner's packets are lost.
    partition_at: u64,
    /// How late the backup hears that the lease ended.
    news_delay: u64,
}

fn world() -> impl Strategy<Value = World> {
    (50u64..200, 1u64..4, 0u64..300, 0u64..3000, 0u64..400).prop_flat_map(
        |(interval, ttl_steps, f_extra, partition_at, news_delay)| {
            let ttl = interval * (ttl_steps + 1);
            let f = interval + 1 + f_extra;
            proptest::collection::vec((0u64..120, 0u64..120), 64).prop_map(move |delays| World {
                interval,
                ttl,
                f,
                delays,
                partition_at,
                news_delay,
            })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn two_owners_never_serve_at_once(w in world()) {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut owner = Fence::new(Duration::from_millis(w.f));
        let mut backup = Fence::new(Duration::from_millis(w.f));
        owner.took_over(None);
        // The lease as the group engine keeps it: alive until `expires`.
        let mut expires = w.ttl;
        // Keepalives: (sent, arrives, answered), answers the owner uses.
        let mut answers: Vec<(u64, u64)> = Vec::new();
        for (i, &(up, down)) in w.delays.iter().enumerate() {
            let sent = i as u64 * w.interval;
            let arrives = sent + up;
            if sent >= w.partition_at || arrives > expires {
                // Lost, or too late: the lease is gone.
                continue;
            }
            expires = arrives + w.ttl;
            let answered = arrives + down;
            if answered < w.partition_at {
                answers.push((sent, answered));
            }
        }
        // The backup hears of the end late and takes over.
        let heard = expires + w.news_delay;
        let end = heard + w.f + 2 * w.ttl;
        let mut served_by_backup = None;
        for ms in 0..end {
            let now = at(ms);
            for &(sent, answered) in &answers {
                if answered == ms {
                    owner.confirmed(at(sent));
                }
            }
            if ms == heard {
                backup.took_over(Some(at(expires)));
            }
            if ms >= heard {
                // The backup's own membership is fine.
                backup.confirmed(now);
            }
            let a = owner.may_serve(now);
            let b = ms >= heard && backup.may_serve(now);
            prop_assert!(!(a && b), "both serve at {} ms: {:?}", ms, w);
            if b && served_by_backup.is_none() {
                served_by_backup = Some(ms);
            }
        }
        // And the backup does serve, F after the lease ended (or when it
        // heard, if later).
        let first = served_by_backup.expect("the backup never served");
        prop_assert_eq!(first, heard.max(expires + w.f));
    }
}

#[test]
fn an_owner_steps_down_f_after_its_last_confirmation() {
    let t0 = Instant::now();
    let f = Duration::from_millis(300);
    let mut fence = Fence::new(f);
    assert!(!fence.may_serve(t0), "not before any confirmation");
    fence.confirmed(t0);
    assert!(fence.may_serve(t0 + Duration::from_millis(299)));
    assert!(!fence.may_serve(t0 + f));
    // An old answer arriving late does not extend it.
    fence.confirmed(t0 - Duration::from_millis(100));
    assert!(!fence.may_serve(t0 + f));
    // A takeover holds serving back until F after the old owner's end.
    let mut next = Fence::new(f);
    next.confirmed(t0);
    next.took_over(Some(t0 - Duration::from_millis(100)));
    assert!(!next.may_serve(t0 + Duration::from_millis(199)));
    assert!(next.may_serve(t0 + Duration::from_millis(200)));
}
