//! Any bytes as a PROFILE.TCPIP: parse, apply, and render every finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zha_diag::render::{Style, render};
use zha_diag::symbols::Symbols;
use zha_diag::{SourceMap, decode};

fuzz_target!(|data: &[u8]| {
    let Ok(d) = decode(data) else { return };
    let mut sm = SourceMap::new();
    let id = sm.add("fuzz", d.text.clone());
    let mut sy = Symbols::new();
    sy.set("SYSNAME", "SYSA");
    sy.set("TWO", "A B");
    let parsed = zha_tcpip::parse(id, &d.text, &sy);
    let _ = parsed.profile.to_string();
    let (_stack, diags) = zha_tcpip::apply(parsed.profile.statements.iter());
    for diag in parsed.diagnostics.iter().chain(diags.iter()) {
        let _ = render(diag, &sm, Style::Plain);
    }
});
