//! The sysplex model the HA rules see: systems with their effective z/OSMF
//! settings and their stacks as z/OS would apply them.

use std::net::IpAddr;

use zha_diag::{FileId, Span};
use zha_parmlib::{Origin, ZosmfSettings};
use zha_tcpip::Stack;

#[derive(Debug, Clone)]
pub struct System {
    pub name: String,
    /// The system's name in sysplex.toml.
    pub name_span: Option<Span>,
    /// Its IZUPRMxx members in IZU=(..) order.
    pub members: Vec<FileId>,
    pub settings: ZosmfSettings,
    pub profile: Option<FileId>,
    pub stack: Option<Stack>,
}

impl System {
    /// The system's DYNAMICXCF address (IPv4, else IPv6).
    pub fn dynamic_xcf(&self) -> Option<IpAddr> {
        let st = self.stack.as_ref()?;
        st.dynamic_xcf.or(st.dynamic_xcf6).map(|d| d.value)
    }

    /// Where to point for a setting: the statement that set it, or — for a
    /// default — the start of the system's last member (or its name in
    /// sysplex.toml when it has no member).
    pub fn place(&self, origin: &Origin) -> Option<Span> {
        match origin {
            Origin::Set { span, .. } => Some(*span),
            Origin::Default => self
                .members
                .last()
                .map(|&f| Span::file_start(f))
                .or(self.name_span),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sysplex {
    pub name: String,
    pub systems: Vec<System>,
}
