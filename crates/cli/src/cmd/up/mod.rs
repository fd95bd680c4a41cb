//! `zosmf-ha up`: a local sysplex — a z/OSMF stand-in per system and a
//! TCP/IP stack per system that distributes the DVIPA (`distribute
//! --system`, one sysplex group), as child processes of this one — with a
//! live status, or a scripted scenario.
//!
//! - `layout`: what to run, found in the checked sysplex.
//! - `procs`: the children (own process groups, they die with `up`).
//! - `local`: the running sysplex as the screen and the scenario read it.
//! - `start`: starting the children, each once the one before answers.
//! - `status`: the live screen; `scenario`: the failover and
//!   system-failure scripts.

mod layout;
mod local;
mod procs;
mod scenario;
mod start;
mod status;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::mpsc;

use self::layout::{layout, write_settings};
use self::local::{Halt, Local, LocalStack};
use self::procs::Procs;
use crate::args::{Forwarding, Scenario, UpArgs};
use crate::child::INTERRUPTED;
use crate::output::{self, say};

pub fn run(a: UpArgs) -> anyhow::Result<ExitCode> {
    let kernel = a.forwarding == Forwarding::Kernel;
    if kernel && !rustix::process::geteuid().is_root() {
        output::error(
            "zosmf-ha up: --forwarding kernel needs root: the stacks change nftables tables and read conntrack (CAP_NET_ADMIN); run it as root, or without --forwarding kernel",
        );
        return Ok(ExitCode::from(2));
    }
    let work = a
        .work
        .clone()
        .unwrap_or_else(|| zha_distributor::settings::default_state_dir().join("up"));
    // Its state, sockets, key rings and USER_DIRs: only its owner may
    // change it.
    if let Err(e) = zha_plex::OsFs::private_dir(&work) {
        output::error(&format!("zosmf-ha up: the work folder: {e}"));
        return Ok(ExitCode::from(2));
    }
    // Absolute: the settings written below name files in it, and a
    // settings file's relative paths are relative to its own folder.
    let work = std::path::absolute(&work)
        .with_context(|| format!("cannot resolve the work folder {}", work.display()))?;
    // One `up` per work folder: a second one would fight the first for its
    // ports and USER_DIRs (and rewrite its files).
    if let Some(sock) = running_stack(&work.join("state")) {
        output::error(&format!(
            "zosmf-ha up: a local sysplex is already running with the work folder {} (a stack answers on {}); stop it first (Ctrl-C in its terminal), or give this one another --work and other addresses",
            work.display(),
            sock.display()
        ));
        return Ok(ExitCode::from(2));
    }
    let plex_dir = match &a.dir {
        Some(d) => d.clone(),
        None => {
            let mut spec = zha_plex::plan::local_default();
            spec.autoswitchback = !a.noautoswitchback;
            let files =
                zha_plex::plan::generate(&spec).map_err(|e| anyhow::anyhow!(e.join("; ")))?;
            let dir = work.join("sysplex");
            if crate::cmd::plan::write(&dir, &files, true)?.is_none() {
                return Ok(ExitCode::from(2));
            }
            dir
        }
    };
    say(&format!(
        "zosmf-ha up: the sysplex in {}",
        plex_dir.display()
    ));

    // Check it as `zosmf-ha check` would; errors stop here.
    let report = zha_plex::check(
        &zha_plex::OsFs,
        std::slice::from_ref(&plex_dir),
        &Default::default(),
    );
    let s = zha_diag::Summary::of(&report.diagnostics);
    if !report.diagnostics.is_empty() {
        output::print(&zha_diag::render::render_all(
            &report.diagnostics,
            &report.sources,
            zha_diag::render::Style::Plain,
        ))?;
    }
    if report.fatal {
        return Ok(ExitCode::from(2));
    }
    if s.errors > 0 {
        output::error(&format!(
            "zosmf-ha up: the sysplex has errors; fix them first (`zosmf-ha check {}`)",
            plex_dir.display()
        ));
        return Ok(ExitCode::from(1));
    }
    let Some(plex) = &report.sysplex else {
        return Ok(ExitCode::from(2));
    };
    let layout = match layout(plex, &report) {
        Ok(l) => l,
        Err(e) => {
            output::error(&format!("zosmf-ha up: {e}"));
            return Ok(ExitCode::from(1));
        }
    };
    say(&format!("check: no errors ({} warnings)", s.warnings));
    // Every address must be this machine's, and free: another program there
    // would answer for us.
    for addr in layout.addresses() {
        if let Err(e) = usable(addr) {
            output::error(&format!("zosmf-ha up: {e}"));
            return Ok(ExitCode::from(2));
        }
    }

    // The key ring first: the distributor's probe trusts its CA.
    let first = zha_zosmf::Config::from_sysplex(
        &plex_dir,
        &layout.servers[0].0,
        &work.join("root"),
        a.startup_delay,
    )?;
    let ring = zha_zosmf::keyring::ensure(&first.keyring_dir, &first.cert_names)?;
    let config = work.join("zosmf-ha.toml");
    write_settings(&config, &work, &ring.ca, plex, kernel)?;
    let settings = zha_distributor::settings::read(&config)?;
    let stacks = layout
        .stacks
        .iter()
        .map(|plan| {
            let mut s = settings.clone();
            s.for_system(&plan.system);
            LocalStack {
                plan: plan.clone(),
                socket: s.control_socket(),
            }
        })
        .collect();

    let (tx, rx) = mpsc::unbounded_channel();
    let mut procs = Procs::new(
        std::env::current_exe()?,
        work.clone(),
        plex_dir.clone(),
        a.startup_delay,
        tx,
    );
    let local = Local {
        layout,
        stacks,
        config,
        ca: ring.ca.clone(),
        work,
        kernel,
    };
    crate::child::run_until_signal(|stop| async move {
        match start::start(&local, &mut procs, &stop).await {
            Ok(()) => {}
            Err(Halt::Interrupted) => {
                say("interrupted during start-up: stopping what was started");
                return Ok(ExitCode::from(INTERRUPTED));
            }
            Err(Halt::Failed(e)) => return Err(e),
        }
        match a.scenario {
            None => status::status(&local, &mut procs, rx, stop).await,
            Some(Scenario::Failover) => {
                scenario::run(Scenario::Failover, &local, &mut procs, rx, stop).await
            }
            Some(Scenario::SystemFailure) => {
                scenario::run(Scenario::SystemFailure, &local, &mut procs, rx, stop).await
            }
        }
    })
}

/// The control socket of a stack that answers in `state`, if one does.
fn running_stack(state: &std::path::Path) -> Option<std::path::PathBuf> {
    let dirs = std::fs::read_dir(state).ok()?;
    dirs.flatten()
        .map(|e| e.path().join("control.sock"))
        .find(|p| std::os::unix::net::UnixStream::connect(p).is_ok())
}

/// An address `up` can listen on: one of this machine's, and free.
fn usable(addr: SocketAddr) -> Result<(), String> {
    if let Err(e) = std::net::TcpListener::bind(SocketAddr::new(addr.ip(), 0)) {
        return Err(if e.kind() == std::io::ErrorKind::AddrNotAvailable {
            format!(
                "{} is not an address of this machine, so a local sysplex cannot use it; use 127.x addresses (the whole 127.0.0.0/8 is loopback), as `zosmf-ha plan` does with dvipa = \"127.0.0.10\"",
                addr.ip()
            )
        } else {
            format!("cannot use {}: {e}", addr.ip())
        });
    }
    if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok() {
        return Err(format!(
            "{addr} is already in use (another `zosmf-ha up`, or another program); stop it first"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_must_be_local_and_free() {
        let e = usable("192.0.2.10:8443".parse().unwrap()).unwrap_err();
        assert!(e.contains("not an address of this machine"), "{e}");
        let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let e = usable(busy.local_addr().unwrap()).unwrap_err();
        assert!(e.contains("already in use"), "{e}");
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap();
        drop(free);
        assert!(usable(addr).is_ok());
    }
}
