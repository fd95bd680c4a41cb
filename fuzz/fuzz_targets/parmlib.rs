//! Any bytes as an IZUPRMxx member: parse, take the settings, render findings.
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
    let parsed = zha_parmlib::parse(id, &d.text, &sy);
    let _ = parsed.member.to_string();
    let _ = zha_parmlib::effective(std::slice::from_ref(&parsed.member));
    for diag in &parsed.diagnostics {
        let _ = render(diag, &sm, Style::Plain);
    }
});
