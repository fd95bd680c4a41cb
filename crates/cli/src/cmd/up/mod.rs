//! `zosmf-ha up`: a local sysplex — a z/OSMF stand-in per system and a
//! TCP/IP stack per system that distributes the DVIPA (`distribute
//! --system`, one sysplex group), as child processes of this one — with a
//! live status, or a scripted scenario.
//!
//! - `layout`: what to run, found in the checked sysplex.
//! - `procs`: the children (own process groups, they die with `up`).
//! - `local`: the running sysplex as the screen and the scenario read it.
//! - `status`: the live screen; `scenario`: the failover and
//!   system-failure scripts.

mod layout;
mod local;
mod procs;
mod scenario;
mod status;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use self::layout::{layout, write_settings};
use self::local::{Halt, Local, LocalStack};
use self::procs::Procs;
use crate::args::{Scenario, UpArgs};
use crate::child::INTERRUPTED;
use crate::output::{self, say};

pub fn run(a: UpArgs) -> anyhow::Result<ExitCode> {
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
    write_settings(&config, &work, &ring.ca, plex)?;
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
    };
    crate::child::run_until_signal(|stop| async move {
        match start(&local, &mut procs, &stop).await {
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

/// Start the servers, each once the one before listens, then the stacks,
/// the owner's first, and wait until a stack owns the DVIPA; a Ctrl-C on
/// the way stops it without blaming a child.
async fn start(local: &Local, procs: &mut Procs, stop: &CancellationToken) -> Result<(), Halt> {
    for (sys, _) in &local.layout.servers {
        start_server(local, procs, stop, sys).await?;
    }
    for s in &local.stacks {
        start_stack(local, procs, stop, &s.plan.system).await?;
    }
    wait_until(
        procs,
        stop,
        &format!("no stack owns the DVIPA {}", local.layout.dvipa.ip()),
        || async { local.owner().await.is_some() },
    )
    .await?;
    say(&format!(
        "the DVIPA {} is {}'s ({}); new connections go to the preferred server while it is available",
        local.layout.dvipa,
        local.owner().await.unwrap_or_default(),
        if local.layout.switchback {
            "AUTOSWITCHBACK"
        } else {
            "NOAUTOSWITCHBACK"
        },
    ));
    Ok(())
}

/// Start a system's z/OSMF stand-in and wait until it listens.
async fn start_server(
    local: &Local,
    procs: &mut Procs,
    stop: &CancellationToken,
    system: &str,
) -> Result<(), Halt> {
    let Some(addr) = local
        .layout
        .servers
        .iter()
        .find(|s| s.0 == system)
        .map(|s| s.1)
    else {
        return Ok(());
    };
    procs.spawn_server(system)?;
    wait_until(
        procs,
        stop,
        &format!("nothing listens on {addr}"),
        || async { tokio::net::TcpStream::connect(addr).await.is_ok() },
    )
    .await?;
    say(&format!(
        "started the z/OSMF stand-in of {system} on https://{addr} (pid {})",
        procs.pid(system).unwrap_or(0)
    ));
    Ok(())
}

/// Start a system's stack and wait until it answers.
async fn start_stack(
    local: &Local,
    procs: &mut Procs,
    stop: &CancellationToken,
    system: &str,
) -> Result<(), Halt> {
    let Some(s) = local.stacks.iter().find(|s| s.plan.system == system) else {
        return Ok(());
    };
    procs.spawn_stack(&s.plan, &local.config)?;
    wait_until(
        procs,
        stop,
        &format!("{system}'s stack does not answer on {}", s.socket.display()),
        || async {
            zha_distributor::control::netstat(
                &s.socket,
                zha_distributor::protocol::Report::Vipadyn,
                Duration::from_secs(3),
            )
            .await
            .is_ok()
        },
    )
    .await?;
    say(&format!(
        "started {system}'s TCP/IP stack ({}, pid {})",
        s.plan.origin(),
        procs.pid(&s.plan.proc_name()).unwrap_or(0)
    ));
    Ok(())
}

/// The control socket of a stack that answers in `state`, if one does.
fn running_stack(state: &std::path::Path) -> Option<std::path::PathBuf> {
    let dirs = std::fs::read_dir(state).ok()?;
    dirs.flatten()
        .map(|e| e.path().join("control.sock"))
        .find(|p| std::os::unix::net::UnixStream::connect(p).is_ok())
}

/// Wait up to 20 s for `ready`; a child that ends meanwhile is the cause,
/// a Ctrl-C is not a failure.
async fn wait_until<F, Fut>(
    procs: &mut Procs,
    stop: &CancellationToken,
    what: &str,
    ready: F,
) -> Result<(), Halt>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if stop.is_cancelled() {
            return Err(Halt::Interrupted);
        }
        if ready().await {
            return Ok(());
        }
        if let Some((name, st)) = procs.exited() {
            // A Ctrl-C that reached a child too is still a Ctrl-C.
            if stop.is_cancelled() {
                return Err(Halt::Interrupted);
            }
            return Err(anyhow::anyhow!("{name} ended ({st}); its message is above").into());
        }
        if Instant::now() > end {
            return Err(anyhow::anyhow!("{what} after 20 s").into());
        }
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
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
