//! The children of `up`: a z/OSMF stand-in per system and a stack
//! (`distribute --system`) per system that distributes the DVIPA, each this
//! binary in another mode. Each runs in its own process group,
//! so a Ctrl-C in the terminal reaches `up` alone and `up` stops them in
//! order; and each dies with `up` (see `child`).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::mpsc;

use super::layout::{StackPlan, is_stack};
use crate::output;

/// A line one of the children wrote.
pub struct Line {
    pub from: String,
    pub text: String,
}

struct Proc {
    name: String,
    child: Child,
}

/// The children: servers and stacks. Dropping it stops them.
pub struct Procs {
    pub exe: PathBuf,
    pub work: PathBuf,
    pub plex_dir: PathBuf,
    pub delay: Duration,
    pub lines: mpsc::UnboundedSender<Line>,
    running: Vec<Proc>,
}

impl Procs {
    pub fn new(
        exe: PathBuf,
        work: PathBuf,
        plex_dir: PathBuf,
        delay: Duration,
        lines: mpsc::UnboundedSender<Line>,
    ) -> Procs {
        Procs {
            exe,
            work,
            plex_dir,
            delay,
            lines,
            running: Vec::new(),
        }
    }

    fn spawn(&mut self, name: &str, mut cmd: Command) -> anyhow::Result<()> {
        cmd.env(crate::child::PARENT_ENV, std::process::id().to_string())
            .env("ZHA_LOG_JSON", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group: the terminal's Ctrl-C is for `up`.
            .process_group(0);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        if let Some(err) = child.stderr.take() {
            let (tx, from) = (self.lines.clone(), name.to_owned());
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    // Log lines are JSON; anything else is a child's error
                    // message (a port in use, a locked USER_DIR …): show it
                    // now, whatever `up` is doing.
                    if !line.starts_with('{') {
                        output::error(&format!("{from}: {line}"));
                        continue;
                    }
                    let _ = tx.send(Line {
                        from: from.clone(),
                        text: line,
                    });
                }
            });
        }
        self.running.push(Proc {
            name: name.to_owned(),
            child,
        });
        Ok(())
    }

    pub fn spawn_server(&mut self, system: &str) -> anyhow::Result<()> {
        let mut cmd = Command::new(&self.exe);
        cmd.args(["server", "--system", system, "--startup-delay"])
            .arg(format!("{}ms", self.delay.as_millis()))
            .arg("--sysplex")
            .arg(&self.plex_dir)
            .arg("--root")
            .arg(self.work.join("root"));
        self.spawn(system, cmd)
    }

    /// A system's stack; the group meets in the settings' state folder.
    /// Its metrics and status page are on `metrics` (port 0: a free one,
    /// which it logs).
    pub fn spawn_stack(
        &mut self,
        plan: &StackPlan,
        config: &Path,
        metrics: std::net::SocketAddr,
    ) -> anyhow::Result<()> {
        let mut cmd = Command::new(&self.exe);
        cmd.args([
            "distribute",
            "--log-json",
            "--system",
            &plan.system,
            "--profile",
        ])
        .arg(&plan.profile)
        .arg("--config")
        .arg(config)
        .arg("--metrics")
        .arg(metrics.to_string());
        self.spawn(&plan.proc_name(), cmd)
    }

    pub fn pid(&self, name: &str) -> Option<u32> {
        self.running
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.child.id())
    }

    /// Every child running, with its pid, in start order.
    pub fn pids(&self) -> Vec<(String, u32)> {
        self.running
            .iter()
            .map(|p| (p.name.clone(), p.child.id()))
            .collect()
    }

    /// SIGKILL: a crash.
    pub fn kill(&mut self, name: &str) {
        if let Some(i) = self.running.iter().position(|p| p.name == name) {
            let mut p = self.running.remove(i);
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }

    /// SIGTERM, then wait (SIGKILL after 5 s).
    pub fn stop(&mut self, name: &str) {
        if let Some(i) = self.running.iter().position(|p| p.name == name) {
            let mut p = self.running.remove(i);
            terminate(&mut p.child);
        }
    }

    /// A child that ended on its own, with its exit status.
    pub fn exited(&mut self) -> Option<(String, std::process::ExitStatus)> {
        for (i, p) in self.running.iter_mut().enumerate() {
            if let Ok(Some(st)) = p.child.try_wait() {
                let name = p.name.clone();
                self.running.remove(i);
                return Some((name, st));
            }
        }
        None
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        // The stacks first, so that they do not probe dying servers.
        self.running.sort_by_key(|p| !is_stack(&p.name));
        for mut p in std::mem::take(&mut self.running) {
            terminate(&mut p.child);
        }
    }
}

fn terminate(child: &mut Child) {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Pid, Signal, kill_process};
        if let Some(pid) = i32::try_from(child.id()).ok().and_then(Pid::from_raw) {
            let _ = kill_process(pid, Signal::TERM);
        }
    }
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
