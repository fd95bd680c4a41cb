//! `zosmf-ha distribute` and the commands that talk to a running one.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use zha_distributor::config::{self, LogFormat, Settings};
use zha_distributor::control::{self, Request};

use crate::cli::{
    ControlArgs, DistributeArgs, NetstatArgs, ReloadArgs, Report, VaryAction, VaryArgs,
};
use crate::output;

fn settings(path: Option<&PathBuf>) -> anyhow::Result<Settings> {
    match path {
        None => Ok(Settings::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the settings file {}", p.display()))?;
            config::parse(p, &text).map_err(|e| anyhow::anyhow!(e))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

pub fn run(args: DistributeArgs) -> anyhow::Result<ExitCode> {
    crate::child::exit_with_parent();
    let settings = settings(args.config.as_ref())?;
    let json = args.log_json || settings.log.format == LogFormat::Json;
    init_logging(json);
    let mut symbols = zha_diag::symbols::Symbols::new();
    for (k, v) in &args.symbol {
        symbols.set(k, v.clone());
    }
    let rt = runtime()?;
    rt.block_on(async move {
        let stop = CancellationToken::new();
        let opts = zha_distributor::Options {
            profile: args.profile,
            settings,
            symbols,
            signals: true,
        };
        let running = match zha_distributor::start(opts, stop.clone()).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("zosmf-ha distribute: {e:#}");
                return Ok(ExitCode::from(2));
            }
        };
        tracing::info!(id = "ZHA3023I", control = %running.control_socket.display(), "control socket {}", running.control_socket.display());
        if let Some(m) = running.metrics_addr {
            tracing::info!(id = "ZHA3024I", "metrics at http://{m}/metrics");
        }
        running.done.await??;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ZOSMF_HA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color);
    if json {
        let _ = b.json().flatten_event(true).try_init();
    } else {
        let _ = b.with_target(false).try_init();
    }
}

fn socket(c: &ControlArgs) -> anyhow::Result<PathBuf> {
    match &c.control {
        Some(p) => Ok(p.clone()),
        None => Ok(settings(c.config.as_ref())?.control_socket()),
    }
}

fn call(c: &ControlArgs, req: Request) -> anyhow::Result<ExitCode> {
    let path = socket(c)?;
    let reply = runtime()?.block_on(control::call(&path, &req, Duration::from_secs(30)))?;
    if reply.ok {
        output::print(&reply.output)?;
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("zosmf-ha: {}", reply.error.unwrap_or_default());
        Ok(ExitCode::from(1))
    }
}

pub fn netstat(a: NetstatArgs) -> anyhow::Result<ExitCode> {
    let report = match a.report {
        Report::Vdpt => "vdpt",
        Report::Vcrt => "vcrt",
        Report::Vipadcfg => "vipadcfg",
    };
    call(
        &a.control,
        Request::Netstat {
            report: report.into(),
            detail: a.detail,
            json: a.json,
        },
    )
}

pub fn vary(a: VaryArgs) -> anyhow::Result<ExitCode> {
    call(
        &a.control,
        Request::Vary {
            quiesce: a.action == VaryAction::Quiesce,
            target: a.target,
            port: a.port,
        },
    )
}

pub fn reload(a: ReloadArgs) -> anyhow::Result<ExitCode> {
    let profile = match a.profile {
        Some(p) => Some(
            std::fs::canonicalize(&p).with_context(|| format!("cannot find {}", p.display()))?,
        ),
        None => None,
    };
    call(&a.control, Request::Reload { profile })
}
