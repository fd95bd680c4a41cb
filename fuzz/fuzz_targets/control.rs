//! The control protocol from fuzzed bytes: a request line as the
//! distributor reads it, and a reply as the client reads it, rendered as
//! `netstat` renders it. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zha_distributor::display;
use zha_distributor::protocol::{Reply, Report, Request};

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = serde_json::from_slice::<Request>(data) {
        let again = serde_json::to_vec(&req).expect("a request serializes");
        assert_eq!(serde_json::from_slice::<Request>(&again).ok(), Some(req));
    }
    if let Ok(Reply::View(v)) = serde_json::from_slice::<Reply>(data) {
        for report in [Report::Vdpt, Report::Vcrt, Report::Vipadcfg] {
            for detail in [false, true] {
                let _ = display::text(&v, report, detail);
            }
            let _ = display::json(&v, report);
        }
    }
});
