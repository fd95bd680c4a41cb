//! Starting the local sysplex: the servers, each once the one before
//! listens, then the stacks, the owner's first, until one owns the DVIPA.
//! A Ctrl-C on the way stops the start without blaming a child.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::local::{Halt, Local};
use super::procs::Procs;
use crate::output::say;

/// Start the servers, each once the one before listens, then the stacks,
/// the owner's first, and wait until a stack owns the DVIPA; a Ctrl-C on
/// the way stops it without blaming a child.
pub async fn start(local: &Local, procs: &mut Procs, stop: &CancellationToken) -> Result<(), Halt> {
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
pub async fn start_server(
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
pub async fn start_stack(
    local: &Local,
    procs: &mut Procs,
    stop: &CancellationToken,
    system: &str,
) -> Result<(), Halt> {
    let Some(s) = local.stacks.iter().find(|s| s.plan.system == system) else {
        return Ok(());
    };
    procs.spawn_stack(&s.plan, &local.config, local.metrics_at(system))?;
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
