//! The accepted statuses (`[probe.http] accept`, `probe --accept`) from
//! fuzzed bytes: nothing may panic, and a set that parses prints in a form
//! that parses to the same set and prints the same again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zha_client::StatusSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(set) = text.parse::<StatusSet>() else {
        return;
    };
    let printed = set.to_string();
    let again: StatusSet = printed.parse().expect("a printed set parses");
    assert_eq!(again, set);
    assert_eq!(again.to_string(), printed);
    for s in 0..=u16::from(u8::MAX) * 3 {
        let _ = set.contains(s);
    }
});
