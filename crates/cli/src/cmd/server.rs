//! `zosmf-ha server`: one z/OSMF stand-in.

use std::process::ExitCode;

use crate::args::ServerArgs;
use crate::output;

pub fn run(a: ServerArgs) -> anyhow::Result<ExitCode> {
    let _log = crate::logging::init(std::env::var_os("ZHA_LOG_JSON").is_some());
    crate::child::exit_with_parent();
    let root = match &a.root {
        Some(r) => r.clone(),
        None => {
            let dir = if a.sysplex.is_dir() {
                a.sysplex.clone()
            } else {
                a.sysplex
                    .parent()
                    .map(|p| p.to_path_buf())
                    .unwrap_or_default()
            };
            dir.join("root")
        }
    };
    let cfg = match zha_zosmf::Config::from_sysplex(&a.sysplex, &a.system, &root, a.startup_delay) {
        Ok(c) => zha_zosmf::Config {
            access_log: a.access_log,
            ..c
        },
        Err(e) => {
            output::error(&format!("zosmf-ha server: {e}"));
            return Ok(ExitCode::from(2));
        }
    };
    crate::child::run_until_signal(|stop| async move {
        match zha_zosmf::server::start(cfg, stop).await {
            Ok(running) => {
                running.wait().await?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                output::error(&format!("zosmf-ha server: {e}"));
                Ok(ExitCode::from(2))
            }
        }
    })
}
