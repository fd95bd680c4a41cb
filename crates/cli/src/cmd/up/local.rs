//! A local sysplex that runs: what the status screen and the scenarios
//! read from it (typed NETSTAT rows over each stack's control socket) and a
//! client of its DVIPA.

use std::path::PathBuf;
use std::time::Duration;

use zha_client::{Client, Trust};
use zha_distributor::control::{self, ControlError};
use zha_distributor::protocol::{Report, ServiceRow};

use super::layout::{Layout, StackPlan};

/// Why a step of `up` stopped before it was done.
pub enum Halt {
    /// Ctrl-C: nothing failed.
    Interrupted,
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Halt {
    fn from(e: anyhow::Error) -> Halt {
        Halt::Failed(e)
    }
}

/// A system's stack as `up` reaches it.
pub struct LocalStack {
    pub plan: StackPlan,
    /// Its control socket.
    pub socket: PathBuf,
}

/// What one stack says of itself and of the DVIPA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackStatus {
    pub system: String,
    /// It answers on its control socket.
    pub up: bool,
    /// It owns the DVIPA and accepts its connections.
    pub owns: bool,
}

/// What the status screen and the scenarios need.
pub struct Local {
    pub layout: Layout,
    /// The stacks, in takeover order.
    pub stacks: Vec<LocalStack>,
    /// The settings file every stack reads (for the `netstat` hint).
    pub config: PathBuf,
    pub ca: PathBuf,
    pub work: PathBuf,
    /// The stacks forward with the kernel (`--forwarding kernel`).
    pub kernel: bool,
}

const ASK: Duration = Duration::from_secs(3);

impl Local {
    /// Where a system's stack serves its metrics and status page: its
    /// server's address (a loopback address of this sysplex's own), any
    /// free port; the stack logs the one it took (ZHA3024I).
    pub fn metrics_at(&self, system: &str) -> std::net::SocketAddr {
        let ip = self
            .layout
            .servers
            .iter()
            .find(|(s, _)| s == system)
            .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |(_, a)| a.ip());
        std::net::SocketAddr::new(ip, 0)
    }

    /// Every stack, as it answers now.
    pub async fn stacks(&self) -> Vec<StackStatus> {
        let mut out = Vec::new();
        for s in &self.stacks {
            let view = control::netstat(&s.socket, Report::Vipadyn, ASK).await;
            let owns = view.as_ref().is_ok_and(|v| {
                v.vipadyn
                    .iter()
                    .any(|r| r.addr == self.layout.dvipa.ip() && r.active)
            });
            out.push(StackStatus {
                system: s.plan.system.clone(),
                up: view.is_ok(),
                owns,
            });
        }
        out
    }

    /// The system whose stack owns the DVIPA.
    pub async fn owner(&self) -> Option<String> {
        self.stacks()
            .await
            .into_iter()
            .find(|s| s.owns)
            .map(|s| s.system)
    }

    /// The owning stack's services, from its VDPT (the first stack's while
    /// none owns the DVIPA).
    pub async fn services(&self) -> Result<Vec<ServiceRow>, ControlError> {
        let owner = self.owner().await;
        let stack = self
            .stacks
            .iter()
            .find(|s| Some(&s.plan.system) == owner.as_ref())
            .or(self.stacks.first());
        let Some(stack) = stack else {
            return Ok(Vec::new());
        };
        Ok(control::netstat(&stack.socket, Report::Vdpt, ASK)
            .await?
            .services)
    }

    /// The first service (the z/OSMF DVIPA..port).
    pub async fn service(&self) -> Option<ServiceRow> {
        self.services().await.ok()?.into_iter().next()
    }

    /// The system of the active target (its address when it has no name).
    pub async fn active(&self) -> Option<String> {
        let svc = self.service().await?;
        let t = svc.active_target()?;
        Some(t.system.clone().unwrap_or_else(|| t.target.to_string()))
    }

    /// A stack's control socket.
    pub fn socket(&self, system: &str) -> Option<&PathBuf> {
        self.stacks
            .iter()
            .find(|s| s.plan.system == system)
            .map(|s| &s.socket)
    }

    /// A client of the DVIPA, trusting the local key ring.
    pub fn client(&self) -> anyhow::Result<Client> {
        Ok(Client::new(
            &format!("https://{}/zosmf/info", self.layout.dvipa),
            Some(Trust::CaFile(&self.ca)),
            Duration::from_secs(5),
            Some(("ibmuser", "sys1")),
        )?)
    }
}
