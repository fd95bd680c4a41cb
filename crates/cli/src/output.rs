//! Writing to the terminal: stdout with colour decided once and a closed
//! pipe tolerated; messages to stderr that never panic (a closed or full
//! stderr must not end a process that forwards connections).

use std::io::{IsTerminal, Write};

use crate::args::ColorChoice;

/// Colour on `--color always`; never on `--color never`; on `auto` only
/// when stdout is a terminal, NO_COLOR is unset or empty, and TERM is not dumb.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// Write to stdout; a closed pipe comes back as an error the caller ends on
/// (`main` treats it as success).
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// A line to stdout for a long-running command: lost if stdout is gone,
/// never a panic.
pub fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// A line to stderr: lost if stderr is gone, never a panic.
pub fn error(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
