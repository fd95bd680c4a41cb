//! `zosmf-ha distribute` and the commands that talk to a running one
//! (`netstat`, `vary`, `reload`): they send a typed request on the control
//! socket and render the typed reply here.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use zha_distributor::control::{self, ControlError};
use zha_distributor::display;
use zha_distributor::protocol::{self, Request, VaryAction};
use zha_distributor::settings::{self, LogFormat, Settings};
use zha_distributor::{StartError, codes};

use crate::args::{
    ControlArgs, DistributeArgs, NetstatArgs, ReloadArgs, Report, VaryAction as VaryArg, VaryArgs,
};
use crate::output;

/// The settings file, or the defaults without one.
pub fn settings(path: Option<&PathBuf>) -> anyhow::Result<Settings> {
    match path {
        None => Ok(Settings::default()),
        Some(p) => Ok(settings::read(p)?),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

pub fn run(args: DistributeArgs) -> anyhow::Result<ExitCode> {
    crate::child::exit_with_parent();
    let settings = match settings(args.config.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            output::error(&format!("zosmf-ha distribute: {e:#}"));
            return Ok(ExitCode::from(2));
        }
    };
    let mut settings = settings;
    if let Some(m) = args.metrics {
        settings.metrics.address = Some(m);
    }
    let json = args.log_json || settings.log.format == LogFormat::Json;
    let _log = crate::logging::init(json);
    let mut symbols = zha_diag::symbols::Symbols::new();
    for (k, v) in &args.symbol {
        symbols.set(k, v.clone());
    }
    // A stack of a sysplex group: its own state folder (and control
    // socket) in the state folder, beside the group's shared folder.
    // A z/OS system name: it names files in the group's folder.
    if let Some(s) = &args.system {
        let ok = (1..=8).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'@' | b'#' | b'$'));
        if !ok {
            output::error(&format!(
                "zosmf-ha distribute: `{s}` is no system name: 1-8 letters, digits, @ # $ (e.g. --system SYSA)"
            ));
            return Ok(ExitCode::from(2));
        }
    }
    let group = args.system.as_ref().map(|system| {
        let system = system.to_ascii_uppercase();
        use zha_distributor::sysplex::{GroupAt, GroupOptions};
        let dir = settings.for_system(&system);
        let at = match (&args.etcd, &args.interface) {
            (Some(url), Some(interface)) => GroupAt::Etcd {
                url: url.clone(),
                sysplex: args.sysplex.clone(),
                interface: interface.clone(),
            },
            _ => GroupAt::Folder(args.group.clone().unwrap_or(dir)),
        };
        GroupOptions { system, at }
    });
    let opts = zha_distributor::Options {
        profile: args.profile,
        settings,
        symbols,
        signals: true,
        hand_over: args.hand_over,
        group,
    };
    if args.check {
        return match zha_distributor::check(&opts) {
            Ok(lines) => {
                let mut out = format!("{}: valid; it would distribute:\n", opts.profile.display());
                for l in lines {
                    out.push_str(&format!("  {l}\n"));
                }
                output::print(&out)?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                output::error(&start_error(&e));
                Ok(ExitCode::from(2))
            }
        };
    }
    let rt = runtime()?;
    rt.block_on(async move {
        let stop = CancellationToken::new();
        let running = match zha_distributor::start(opts, stop.clone()).await {
            Ok(r) => r,
            Err(e) => {
                output::error(&start_error(&e));
                return Ok(ExitCode::from(2));
            }
        };
        tracing::info!(id = codes::CONTROL_SOCKET.id, control = %running.control_socket.display(), "control socket {}", running.control_socket.display());
        if let Some(m) = running.metrics_addr {
            tracing::info!(
                id = codes::METRICS.id,
                address = %m,
                "status page at http://{m}/, metrics at http://{m}/metrics (/healthz, /readyz)"
            );
        }
        running.done.await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// What a refused start says: a profile with errors is rendered as `check`
/// renders it.
fn start_error(e: &StartError) -> String {
    match e {
        StartError::Profile(p) => match p.report() {
            Some(report) => {
                format!(
                    "zosmf-ha distribute: {} has errors; the distributor does not start with it:\n\n{}",
                    p.path().display(),
                    zha_diag::render::render_all(
                        &report.diagnostics,
                        &report.sources,
                        zha_diag::render::Style::Plain
                    )
                )
            }
            None => format!("zosmf-ha distribute: {p}"),
        },
        other => format!("zosmf-ha distribute: {other}"),
    }
}

pub fn socket(c: &ControlArgs) -> anyhow::Result<PathBuf> {
    match &c.control {
        Some(p) => Ok(p.clone()),
        None => {
            let mut s = settings(c.config.as_ref())?;
            if let Some(system) = &c.system {
                s.for_system(&system.to_ascii_uppercase());
            }
            Ok(s.control_socket())
        }
    }
}

/// How long the commands wait for a distributor's answer.
const ANSWER: Duration = Duration::from_secs(30);

pub fn netstat(a: NetstatArgs) -> anyhow::Result<ExitCode> {
    let report = match a.report {
        Report::Vdpt => protocol::Report::Vdpt,
        Report::Vcrt => protocol::Report::Vcrt,
        Report::Vipadcfg => protocol::Report::Vipadcfg,
        Report::Vipadyn => protocol::Report::Vipadyn,
    };
    let path = socket(&a.control)?;
    let view = match runtime()?.block_on(control::netstat(&path, report, ANSWER)) {
        Ok(v) => v,
        Err(e) => return refused(e, &a.control),
    };
    let text = if a.format.json() {
        output::json(&display::json(&view, report))?
    } else {
        display::text(&view, report, a.detail)
    };
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// A command the distributor answered with "nothing was changed", or could
/// not be reached: exit 1.
fn refused(e: ControlError, c: &ControlArgs) -> anyhow::Result<ExitCode> {
    let mut msg = format!("zosmf-ha: {e}");
    if let ControlError::Connect { .. } = e
        && let Some(hint) = stacks_hint(c)
    {
        msg = format!("{msg}\n{hint}");
    }
    output::error(&msg);
    Ok(ExitCode::from(1))
}

/// When no stack answered and the state folder holds stacks of a sysplex
/// group (`<state dir>/<SYSTEM>/control.sock`): which, and how to name one.
fn stacks_hint(c: &ControlArgs) -> Option<String> {
    if c.control.is_some() {
        return None;
    }
    let s = settings(c.config.as_ref()).ok()?;
    let mut names: Vec<String> = std::fs::read_dir(s.state_dir())
        .ok()?
        .flatten()
        .filter(|e| e.path().join("control.sock").exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let first = names.first()?.clone();
    Some(match &c.system {
        Some(sys) => format!(
            "hint: the stacks in {} are {}; {sys} is none of them",
            s.state_dir().display(),
            names.join(", ")
        ),
        None => format!(
            "hint: stacks of a sysplex group answer in {}: {}; name one with --system (e.g. --system {first})",
            s.state_dir().display(),
            names.join(", ")
        ),
    })
}

fn act(c: &ControlArgs, req: Request) -> anyhow::Result<ExitCode> {
    let path = socket(c)?;
    match runtime()?.block_on(control::act(&path, &req, ANSWER)) {
        Ok(lines) => {
            output::print(&(lines.join("\n") + "\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e, c),
    }
}

pub fn vary(a: VaryArgs) -> anyhow::Result<ExitCode> {
    use zha_distributor::protocol::GroupAction;
    let group = |action, dvipa| act(&a.control, Request::Group { action, dvipa });
    let target = a.target.clone();
    let need = |what: &str| -> Option<String> {
        if target.is_none() {
            output::error(&format!("zosmf-ha vary: name {what}"));
        }
        target.clone()
    };
    match a.action {
        VaryArg::Quiesce | VaryArg::Resume => {
            let Some(target) = need("the target: a system name, a DESTIP, or address:port") else {
                return Ok(ExitCode::from(2));
            };
            act(
                &a.control,
                Request::Vary {
                    action: if a.action == VaryArg::Quiesce {
                        VaryAction::Quiesce
                    } else {
                        VaryAction::Resume
                    },
                    target,
                    port: a.port,
                    force: a.force,
                },
            )
        }
        VaryArg::Leave => group(GroupAction::Leave, None),
        VaryArg::Join => group(GroupAction::Join, None),
        VaryArg::Deactivate | VaryArg::Reactivate => {
            let Some(t) = need("the DVIPA") else {
                return Ok(ExitCode::from(2));
            };
            let Some(dvipa) = zha_tcpip::addr::ip(&t) else {
                output::error(&format!("zosmf-ha vary: `{t}` is not an IP address"));
                return Ok(ExitCode::from(2));
            };
            let action = if a.action == VaryArg::Deactivate {
                GroupAction::Deactivate
            } else {
                GroupAction::Reactivate
            };
            group(action, Some(dvipa))
        }
    }
}

pub fn reload(a: ReloadArgs) -> anyhow::Result<ExitCode> {
    let profile = match a.profile {
        Some(p) => Some(
            std::fs::canonicalize(&p).with_context(|| format!("cannot find {}", p.display()))?,
        ),
        None => None,
    };
    act(&a.control, Request::Reload { profile })
}
