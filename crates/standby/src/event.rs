//! What the engine reports: every change of state, with an id and a reason.

use std::fmt;
use std::net::SocketAddr;

use crate::config::ServiceKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn letter(self) -> char {
        match self {
            Severity::Info => 'I',
            Severity::Warning => 'W',
            Severity::Error => 'E',
        }
    }
}

/// Why the active target changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SwitchReason {
    /// Start-up: targets are used in order until probes report.
    Start,
    /// The first target to become ready (start-up, NOAUTOSWITCHBACK).
    FirstReady,
    /// The target that was active when the distributor stopped (persisted).
    Restored,
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
    /// No target was active and one is now available.
    Recovered,
    /// No target is available: the best one still listening (unhealthy)
    /// takes new connections (SPEC §1).
    BestListening,
}

impl fmt::Display for SwitchReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SwitchReason::Start => {
                "start-up: targets are used in takeover order until probes report"
            }
            SwitchReason::FirstReady => "first target ready (NOAUTOSWITCHBACK)",
            SwitchReason::Restored => "active before the restart (NOAUTOSWITCHBACK)",
            SwitchReason::Unavailable => "the active target is unavailable",
            SwitchReason::SwitchBack => "the preferred target is available again (AUTOSWITCHBACK)",
            SwitchReason::Better => "a higher-ranked target is available again (AUTOSWITCHBACK)",
            SwitchReason::Quiesced => "the active target was quiesced",
            SwitchReason::Reconfigured => "configuration changed",
            SwitchReason::Recovered => "a target is available again",
            SwitchReason::BestListening => {
                "no target is available: using the best one still listening"
            }
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A target endpoint answers its probe again (or a connect succeeded).
    TargetUp { endpoint: SocketAddr, why: String },
    /// A target endpoint stopped answering.
    TargetDown { endpoint: SocketAddr, why: String },
    /// The application probe says the server is healthy again.
    TargetHealthy { endpoint: SocketAddr, why: String },
    /// The application probe says the server is not healthy.
    TargetUnhealthy { endpoint: SocketAddr, why: String },
    /// New connections of a service now go to another target.
    Switch {
        service: ServiceKey,
        from: Option<SocketAddr>,
        to: SocketAddr,
        reason: SwitchReason,
    },
    /// No target of a service can take a new connection.
    NoTarget { service: ServiceKey },
    Quiesced {
        service: ServiceKey,
        endpoint: SocketAddr,
    },
    Resumed {
        service: ServiceKey,
        endpoint: SocketAddr,
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

/// An event as logged: `ZHA3003I` and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
}

impl Event {
    pub fn id(&self) -> &'static str {
        match self.kind {
            EventKind::TargetUp { .. } => "ZHA3001I",
            EventKind::TargetDown { .. } => "ZHA3002W",
            EventKind::Switch { .. } => "ZHA3003I",
            EventKind::NoTarget { .. } => "ZHA3004E",
            EventKind::Quiesced { .. } => "ZHA3005I",
            EventKind::Resumed { .. } => "ZHA3006I",
            EventKind::Reconfigured { .. } => "ZHA3007I",
            EventKind::PersistedIgnored { .. } => "ZHA3008W",
            EventKind::TargetHealthy { .. } => "ZHA3009I",
            EventKind::TargetUnhealthy { .. } => "ZHA3010W",
        }
    }

    pub fn severity(&self) -> Severity {
        match self.id().as_bytes().last() {
            Some(b'E') => Severity::Error,
            Some(b'W') => Severity::Warning,
            _ => Severity::Info,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            EventKind::TargetUp { endpoint, why } => {
                write!(f, "target {endpoint} is listening: {why}")
            }
            EventKind::TargetDown { endpoint, why } => {
                write!(f, "target {endpoint} is not listening: {why}")
            }
            EventKind::TargetHealthy { endpoint, why } => {
                write!(f, "target {endpoint} is healthy: {why}")
            }
            EventKind::TargetUnhealthy { endpoint, why } => {
                write!(f, "target {endpoint} is not healthy: {why}")
            }
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
            EventKind::NoTarget { service } => {
                write!(
                    f,
                    "{service}: no target is available; new clients are closed at once"
                )
            }
            EventKind::Quiesced { service, endpoint } => {
                write!(
                    f,
                    "{service}: target {endpoint} quiesced: no new connections, existing ones continue"
                )
            }
            EventKind::Resumed { service, endpoint } => {
                write!(f, "{service}: target {endpoint} resumed")
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
