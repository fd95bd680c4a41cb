//! The `zosmf-ha` binary as a user runs it: exit statuses, output formats,
//! colour, and `explain` for every id.
#![allow(clippy::unwrap_used)]

mod check;
mod distribute;
mod explain;
mod sysplex;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zosmf-ha"));
    c.env_remove("NO_COLOR");
    c
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn run(args: &[&str]) -> Output {
    bin().current_dir(root()).args(args).output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}
