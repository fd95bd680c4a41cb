//! What a stack claims of a DVIPA: its profile's VIPADEFINE or VIPABACKUP.

use std::net::IpAddr;

/// How a stack's profile defines a DVIPA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// VIPABACKUP with its rank (1-254; higher takes over first).
    Backup { rank: u8 },
    /// VIPADEFINE: the stack that normally owns the DVIPA (rank 255 on
    /// z/OS's displays).
    Define,
}

impl Origin {
    /// The rank as z/OS displays it: 255 for VIPADEFINE.
    pub fn rank(self) -> u8 {
        match self {
            Origin::Define => 255,
            Origin::Backup { rank } => rank,
        }
    }
}

/// When a returning VIPADEFINE stack takes its DVIPA back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Moveable {
    /// At once (z/OS's default); connections already open stay where they
    /// are.
    #[default]
    Immediate,
    /// Only when the current owner has no connection to the DVIPA.
    WhenIdle,
}

/// One stack's claim on one DVIPA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Claim {
    pub dvipa: IpAddr,
    pub origin: Origin,
    pub moveable: Moveable,
}
