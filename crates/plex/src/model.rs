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
    /// Statements of a later member that override an earlier member's.
    pub overrides: Vec<Override>,
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

/// IZU=(0A,00): a statement of 00 overrides the same statement of 0A.
#[derive(Debug, Clone)]
pub struct Override {
    /// The later statement, which wins.
    pub by: Span,
    /// The earlier statement, which is overridden.
    pub overridden: Span,
    /// The members in IZU=(..) order (suffixes such as `0A`), the later
    /// and the earlier one.
    pub order: String,
    pub later: String,
    pub earlier: String,
}

impl System {
    /// How member order decides a setting, if it does: "IZU=(0A,00): 00
    /// is read after 0A and overrides it".
    pub fn order_note(&self, origin: &Origin) -> Option<String> {
        let Origin::Set { statement, .. } = origin else {
            return None;
        };
        let o = self.overrides.iter().find(|o| o.by == *statement)?;
        Some(format!(
            "IZU=({}): {} is read after {} and overrides it",
            o.order, o.later, o.earlier
        ))
    }
}

#[derive(Debug, Clone)]
pub struct Sysplex {
    pub name: String,
    pub systems: Vec<System>,
    /// `zosmf = "addr..port"` in sysplex.toml: which distribution is z/OSMF's.
    pub zosmf: Option<crate::config::ZosmfPin>,
    /// `[resolve]` in sysplex.toml: host names (upper case) and addresses.
    pub resolve: std::collections::BTreeMap<String, IpAddr>,
}
