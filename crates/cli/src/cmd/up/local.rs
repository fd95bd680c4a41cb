//! A local sysplex that runs: what the status screen and the scenario read
//! from it (typed NETSTAT rows over the control socket) and a client of its
//! DVIPA.

use std::path::PathBuf;
use std::time::Duration;

use zha_client::{Client, Trust};
use zha_distributor::control::{self, ControlError};
use zha_distributor::protocol::{Report, ServiceRow};

use super::layout::Layout;

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

/// What the status screen and the scenario need.
pub struct Local {
    pub layout: Layout,
    /// The distributor's control socket.
    pub socket: PathBuf,
    /// Its settings file (for the `netstat --config` hint).
    pub config: PathBuf,
    pub ca: PathBuf,
    pub work: PathBuf,
}

impl Local {
    /// The distributor's services, from its VDPT.
    pub async fn services(&self) -> Result<Vec<ServiceRow>, ControlError> {
        Ok(
            control::netstat(&self.socket, Report::Vdpt, Duration::from_secs(3))
                .await?
                .services,
        )
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
