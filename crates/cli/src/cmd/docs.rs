//! `zosmf-ha completions` and `zosmf-ha man`: generated from the clap
//! definitions, so they cannot fall behind the flags.

use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs, ManArgs};
use crate::output;

pub fn completions(a: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "zosmf-ha", &mut buf);
    output::print(&String::from_utf8_lossy(&buf))?;
    Ok(ExitCode::SUCCESS)
}

pub fn man(a: ManArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create the folder {}", a.out.display()))?;
    let cmd = Cli::command().version(env!("CARGO_PKG_VERSION"));
    clap_mangen::generate_to(cmd, &a.out)
        .with_context(|| format!("cannot write the manual pages into {}", a.out.display()))?;
    let mut pages: Vec<String> = std::fs::read_dir(&a.out)
        .with_context(|| format!("cannot list {}", a.out.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("zosmf-ha") && n.ends_with(".1"))
        .collect();
    pages.sort();
    output::print(&format!(
        "wrote {} manual pages to {}: {}\n",
        pages.len(),
        a.out.display(),
        pages.join(" ")
    ))?;
    Ok(ExitCode::SUCCESS)
}
