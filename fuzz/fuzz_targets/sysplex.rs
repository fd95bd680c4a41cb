//! A whole sysplex from fuzzed files: sysplex.toml, two members, two
//! profiles, split from the input at 0xFF bytes. Exercises the loader and
//! every cross-system rule.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use zha_diag::render::{Style, render_all};
use zha_plex::{MemFs, Options, check};

const TOML: &str = "name = \"P\"\n[[system]]\nname = \"SYSA\"\nparmlib = [\"A\"]\nprofile = \"PA\"\n[[system]]\nname = \"SYSB\"\nparmlib = [\"B\"]\nprofile = \"PB\"\n";

fuzz_target!(|data: &[u8]| {
    let parts: Vec<&[u8]> = data.split(|&b| b == 0xFF).collect();
    let mut fs = MemFs::new();
    fs.add("p/sysplex.toml", parts.get(4).map_or(TOML.as_bytes().to_vec(), |t| t.to_vec()));
    for (i, name) in ["A", "B", "PA", "PB"].iter().enumerate() {
        fs.add(PathBuf::from("p").join(name), parts.get(i).copied().unwrap_or_default().to_vec());
    }
    let r = check(&fs, &[PathBuf::from("p")], &Options::default());
    let _ = render_all(&r.diagnostics, &r.sources, Style::Plain);
    let _ = zha_diag::json::report(&r.diagnostics, &r.sources);
});
