//! `zosmf-ha check`.

use std::process::ExitCode;

use zha_diag::render::render_all;
use zha_diag::{Summary, json};
use zha_plex::{Kind, OsFs, check};

use crate::args::{CheckArgs, KindArg};
use crate::output;

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    // --kind and --symbol are for lone files: a sysplex says both itself.
    if let [one] = args.paths.as_slice()
        && zha_plex::check::is_sysplex_path(&OsFs, one)
        && (args.kind.is_some() || !args.symbol.is_empty())
    {
        output::error(&format!(
            "zosmf-ha check: --kind and --symbol are for lone members and profiles; {} is a sysplex, whose sysplex.toml gives each file's kind and each system's symbols ([[system]] symbols = {{ SYSCLONE = \"0A\" }})",
            one.display()
        ));
        return Ok(ExitCode::from(2));
    }
    // --resolve settles ZHA1003, a sysplex rule: lone files have no use for it.
    let sysplex =
        matches!(args.paths.as_slice(), [one] if zha_plex::check::is_sysplex_path(&OsFs, one));
    if !sysplex && !args.resolve.is_empty() {
        output::error(
            "zosmf-ha check: --resolve is for a sysplex (it settles ZHA1003, which needs the HA group); lone members and profiles have no use for it",
        );
        return Ok(ExitCode::from(2));
    }
    // Standard input can be read once.
    if args.paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        output::error("zosmf-ha check: `-` (standard input) is named more than once; name it once");
        return Ok(ExitCode::from(2));
    }
    let mut opts = check::Options {
        kind: args.kind.map(|k| match k {
            KindArg::Parmlib => Kind::Parmlib,
            KindArg::Profile => Kind::Profile,
        }),
        ..Default::default()
    };
    opts.rules.resolve.extend(args.resolve.iter().cloned());
    for (k, v) in &args.symbol {
        opts.symbols.set(k, v.clone());
    }
    let report = check(&OsFs, &args.paths, &opts);
    let text = if args.format.json() {
        let mut s = json::report(&report.diagnostics, &report.sources);
        s.push('\n');
        s
    } else {
        render_all(
            &report.diagnostics,
            &report.sources,
            output::style(args.color.color),
        )
    };
    output::print(&text)?;
    let s = Summary::of(&report.diagnostics);
    Ok(if report.fatal {
        ExitCode::from(2)
    } else if s.errors > 0 || (args.deny_warnings && s.warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
