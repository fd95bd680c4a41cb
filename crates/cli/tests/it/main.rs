//! The `zosmf-ha` binary as a user runs it: exit statuses, output formats,
//! colour, and `explain` for every id.
#![allow(clippy::unwrap_used)]

mod architecture;
mod browser;
mod check;
mod distribute;
mod explain;
mod formats;
mod group;
mod handover;
mod hooks;
mod hosts;
mod kernel;
mod plan;
mod probe;
mod sysplex;
mod top;

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

/// One test's loopback block (a claim no concurrent test shares):
/// 127.A.B.10 the DVIPA, .11 SYSA, .12 SYSB, port 8443.
pub struct Net(pub zha_testkit::Net);

impl Default for Net {
    fn default() -> Net {
        Net::new()
    }
}

impl Net {
    pub fn new() -> Net {
        Net(zha_testkit::Net::claim())
    }

    pub fn ip(&self, host: u8) -> std::net::IpAddr {
        self.0.ip(host)
    }

    pub fn addr(&self, host: u8) -> std::net::SocketAddr {
        self.0.addr(host, 8443)
    }
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

/// Every `.rs` file below `dir`.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            v.push(p);
        }
    }
    v.sort();
    v
}
