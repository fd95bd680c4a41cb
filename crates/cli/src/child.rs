//! Processes started by `up`: they end with it.

use tokio_util::sync::CancellationToken;

/// The exit status of a run that Ctrl-C stopped before it was done.
pub const INTERRUPTED: u8 = 130;

/// The environment variable `up` sets on its children: its pid.
pub const PARENT_ENV: &str = "ZHA_PARENT_PID";

/// When started by `up`, die with it: the kernel sends SIGTERM when the
/// parent goes (PR_SET_PDEATHSIG), and a parent already gone ends us now.
pub fn exit_with_parent() {
    let Some(pid) = std::env::var(PARENT_ENV)
        .ok()
        .and_then(|p| p.parse::<i32>().ok())
    else {
        return;
    };
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Signal, getppid, set_parent_process_death_signal};
        let _ = set_parent_process_death_signal(Some(Signal::TERM));
        if getppid().map(|p| p.as_raw_nonzero().get()) != Some(pid) {
            std::process::exit(0);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = pid;
}

/// Runs `main` on a two-worker runtime with a token that SIGTERM or SIGINT
/// cancels: the shape of every long-running subcommand.
pub fn run_until_signal<T, F, Fut>(main: F) -> anyhow::Result<T>
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let stop = CancellationToken::new();
        tokio::spawn(stop_on_signals(stop.clone()));
        main(stop).await
    })
}

/// SIGTERM or SIGINT cancels `stop`.
pub async fn stop_on_signals(stop: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
        _ = stop.cancelled() => {}
    }
    stop.cancel();
}
