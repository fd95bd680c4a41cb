//! What the engine reports: every change of state, with its reason. The
//! shell gives each kind its message id (the catalog lives with the
//! distributor's other messages) and logs the fields.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use crate::config::ServiceKey;

/// A target as events name it: its DESTIP, its system when known, and
/// where the distributor connects for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetId {
    pub destip: IpAddr,
    pub system: Option<String>,
    pub endpoint: SocketAddr,
}

impl fmt::Display for TargetId {
    /// `SYSA at 127.0.0.11:8443`, `10.1.1.1 at 127.0.0.11:8443`, or
    /// `10.1.1.1:443` when the endpoint is the DESTIP itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.system {
            Some(s) => write!(f, "{s} at {}", self.endpoint),
            None if self.endpoint.ip() == self.destip => write!(f, "{}", self.endpoint),
            None => write!(f, "{} at {}", self.destip, self.endpoint),
        }
    }
}

/// Why the active target changed after the start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SwitchReason {
    /// The active target became unavailable.
    Unavailable,
    /// The preferred target is available again (AUTOSWITCHBACK).
    SwitchBack,
    /// A higher target in the order is available again (AUTOSWITCHBACK).
    Better,
    /// The active target was quiesced.
    Quiesced,
    /// A new configuration.
    Reconfigured,
    /// No target was available (none, or only unhealthy ones) and one is now.
    Recovered,
    /// This stack took the DVIPA over and follows the group's active target
    /// (NOAUTOSWITCHBACK across a takeover, SPEC §7).
    Adopted,
}

impl SwitchReason {
    /// Every reason, for metrics that show each from the start.
    pub const ALL: [SwitchReason; 7] = [
        SwitchReason::Unavailable,
        SwitchReason::SwitchBack,
        SwitchReason::Better,
        SwitchReason::Quiesced,
        SwitchReason::Reconfigured,
        SwitchReason::Recovered,
        SwitchReason::Adopted,
    ];

    /// A short name for logs and metrics labels.
    pub fn as_str(&self) -> &'static str {
        match self {
            SwitchReason::Unavailable => "unavailable",
            SwitchReason::SwitchBack => "switchback",
            SwitchReason::Better => "better",
            SwitchReason::Quiesced => "quiesced",
            SwitchReason::Reconfigured => "reconfigured",
            SwitchReason::Recovered => "recovered",
            SwitchReason::Adopted => "adopted",
        }
    }
}

impl fmt::Display for SwitchReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SwitchReason::Unavailable => "the active target is unavailable",
            SwitchReason::SwitchBack => "the preferred target is available again (AUTOSWITCHBACK)",
            SwitchReason::Better => "a higher-ranked target is available again (AUTOSWITCHBACK)",
            SwitchReason::Quiesced => "the active target was quiesced",
            SwitchReason::Reconfigured => "configuration changed",
            SwitchReason::Recovered => "a target is available again",
            SwitchReason::Adopted => {
                "this stack took the DVIPA over and keeps the group's active target"
            }
        })
    }
}

/// How the first active target was chosen, once the first round of probes
/// was in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartReason {
    /// AUTOSWITCHBACK: the best available target in takeover order.
    Best,
    /// NOAUTOSWITCHBACK: the first target ready (the preferred one, then by
    /// rank, when several were).
    FirstReady,
    /// NOAUTOSWITCHBACK: the target active before the restart (persisted).
    Restored,
}

impl StartReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            StartReason::Best => "best",
            StartReason::FirstReady => "first_ready",
            StartReason::Restored => "restored",
        }
    }
}

impl fmt::Display for StartReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StartReason::Best => "the best available target in takeover order",
            StartReason::FirstReady => "the first target ready (NOAUTOSWITCHBACK)",
            StartReason::Restored => "active before the restart (NOAUTOSWITCHBACK)",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A target answers its probe again (or for the first time).
    TargetUp { target: TargetId, why: String },
    /// A target stopped answering, or a real connect to it failed.
    TargetDown { target: TargetId, why: String },
    /// The application probe says the server is healthy again.
    TargetHealthy { target: TargetId, why: String },
    /// The application probe says the server is not healthy.
    TargetUnhealthy { target: TargetId, why: String },
    /// The first round of probes is in: new connections of a service go to
    /// this target. Nothing before it is announced as a switch.
    FirstActive {
        service: ServiceKey,
        to: TargetId,
        reason: StartReason,
    },
    /// New connections of a service now go to another target.
    Switch {
        service: ServiceKey,
        from: Option<TargetId>,
        to: TargetId,
        reason: SwitchReason,
    },
    /// No target of the service is available: new connections go to the
    /// best one still listening (SPEC §1's fallback). Moves among such
    /// targets are fallback changes, not switches.
    Fallback {
        service: ServiceKey,
        from: Option<TargetId>,
        to: TargetId,
    },
    /// The active target, used as a fallback, is available again: the
    /// fallback is over without a switch.
    Recovered {
        service: ServiceKey,
        target: TargetId,
    },
    /// No target of a service can take a new connection.
    NoTarget { service: ServiceKey },
    Quiesced {
        service: ServiceKey,
        target: TargetId,
    },
    Resumed {
        service: ServiceKey,
        target: TargetId,
    },
    /// A new configuration was applied.
    Reconfigured { summary: String },
    /// The persisted active target could not be used.
    PersistedIgnored {
        service: ServiceKey,
        endpoint: SocketAddr,
        why: String,
    },
}

/// An event, with its message as the `Display`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
}

impl Event {
    /// The service the event is about, if one.
    pub fn service(&self) -> Option<ServiceKey> {
        match &self.kind {
            EventKind::FirstActive { service, .. }
            | EventKind::Switch { service, .. }
            | EventKind::Fallback { service, .. }
            | EventKind::Recovered { service, .. }
            | EventKind::NoTarget { service }
            | EventKind::Quiesced { service, .. }
            | EventKind::Resumed { service, .. }
            | EventKind::PersistedIgnored { service, .. } => Some(*service),
            EventKind::TargetUp { .. }
            | EventKind::TargetDown { .. }
            | EventKind::TargetHealthy { .. }
            | EventKind::TargetUnhealthy { .. }
            | EventKind::Reconfigured { .. } => None,
        }
    }

    /// The target the event is about (the new one for a switch), if one.
    pub fn target(&self) -> Option<&TargetId> {
        match &self.kind {
            EventKind::TargetUp { target, .. }
            | EventKind::TargetDown { target, .. }
            | EventKind::TargetHealthy { target, .. }
            | EventKind::TargetUnhealthy { target, .. }
            | EventKind::Quiesced { target, .. }
            | EventKind::Resumed { target, .. }
            | EventKind::Recovered { target, .. } => Some(target),
            EventKind::FirstActive { to, .. }
            | EventKind::Switch { to, .. }
            | EventKind::Fallback { to, .. } => Some(to),
            EventKind::NoTarget { .. }
            | EventKind::Reconfigured { .. }
            | EventKind::PersistedIgnored { .. } => None,
        }
    }

    /// Why, in a few words, for a log field.
    pub fn reason(&self) -> Option<String> {
        match &self.kind {
            EventKind::TargetUp { why, .. }
            | EventKind::TargetDown { why, .. }
            | EventKind::TargetHealthy { why, .. }
            | EventKind::TargetUnhealthy { why, .. }
            | EventKind::PersistedIgnored { why, .. } => Some(why.clone()),
            EventKind::FirstActive { reason, .. } => Some(reason.as_str().to_owned()),
            EventKind::Switch { reason, .. } => Some(reason.as_str().to_owned()),
            EventKind::Fallback { .. } => Some("no_target_available".to_owned()),
            EventKind::Recovered { .. } => Some("recovered".to_owned()),
            EventKind::NoTarget { .. }
            | EventKind::Quiesced { .. }
            | EventKind::Resumed { .. }
            | EventKind::Reconfigured { .. } => None,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            EventKind::TargetUp { target, why } => {
                write!(f, "target {target} is listening: {why}")
            }
            EventKind::TargetDown { target, why } => {
                write!(f, "target {target} is not listening: {why}")
            }
            EventKind::TargetHealthy { target, why } => {
                write!(f, "target {target} is healthy: {why}")
            }
            EventKind::TargetUnhealthy { target, why } => {
                write!(f, "target {target} is not healthy: {why}")
            }
            EventKind::FirstActive {
                service,
                to,
                reason,
            } => write!(f, "{service}: new connections go to {to}: {reason}"),
            EventKind::Switch {
                service,
                from,
                to,
                reason,
            } => match from {
                Some(from) => write!(
                    f,
                    "{service}: new connections go to {to} instead of {from}: {reason}"
                ),
                None => write!(f, "{service}: new connections go to {to}: {reason}"),
            },
            EventKind::Fallback { service, from, to } => match from {
                Some(from) if from == to => write!(
                    f,
                    "{service}: no target is available; new connections go on to {to}, the best one still listening"
                ),
                Some(from) => write!(
                    f,
                    "{service}: no target is available; new connections go to {to}, the best one still listening (instead of {from})"
                ),
                None => write!(
                    f,
                    "{service}: no target is available; new connections go to {to}, the best one still listening"
                ),
            },
            EventKind::Recovered { service, target } => {
                write!(
                    f,
                    "{service}: target {target} is available again; new connections go on to it"
                )
            }
            EventKind::NoTarget { service } => {
                write!(
                    f,
                    "{service}: no target is available; new clients are closed at once"
                )
            }
            EventKind::Quiesced { service, target } => {
                write!(
                    f,
                    "{service}: target {target} quiesced: no new connections, existing ones continue"
                )
            }
            EventKind::Resumed { service, target } => {
                write!(f, "{service}: target {target} resumed")
            }
            EventKind::Reconfigured { summary } => write!(f, "configuration applied: {summary}"),
            EventKind::PersistedIgnored {
                service,
                endpoint,
                why,
            } => {
                write!(
                    f,
                    "{service}: the active target before the restart, {endpoint}, is ignored: {why}"
                )
            }
        }
    }
}
