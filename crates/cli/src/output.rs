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

/// The diagnostics' style for a `--color` choice.
pub fn style(choice: ColorChoice) -> zha_diag::render::Style {
    if use_color(choice) {
        zha_diag::render::Style::Color
    } else {
        zha_diag::render::Style::Plain
    }
}

/// A JSON document for stdout, pretty, with a newline.
pub fn json(v: &impl serde::Serialize) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}

/// Write to stdout. A closed pipe (`check … | head -1`) is no error: the
/// reader has what it wanted, and the command's exit status (1 when
/// `check` found errors) stands. Any other failure (a full disk) is an
/// error that says it was standard output.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let done = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match done {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
        Ok(()) => Ok(()),
    }
}

/// Write to stdout for a command that writes until stopped: `false` once
/// the reader is gone (a closed pipe: `top | head`), so that it stops.
pub fn print_while_read(text: &str) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
        Ok(()) => Ok(true),
    }
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
