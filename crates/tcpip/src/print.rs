//! A canonical printing of the tree, one statement per line (blocks with
//! their sub-statements indented). Parsing the printed text gives the same
//! tree back: the property tests rely on it.

use std::fmt::{self, Display, Formatter, Write};

use zha_diag::Located;

use crate::ast::*;

impl Display for Profile {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for s in &self.statements {
            writeln!(f, "{s}")?;
        }
        Ok(())
    }
}

fn words(f: &mut Formatter<'_>, args: &[Located<String>]) -> fmt::Result {
    for a in args {
        write!(f, " {}", a.value)?;
    }
    Ok(())
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        match &self.kind {
            StmtKind::IpConfig(c) => words(f, &c.args),
            StmtKind::Home(entries) => {
                for e in entries {
                    write!(f, "\n  {} {}", e.addr.value, e.link.value)?;
                }
                Ok(())
            }
            StmtKind::Interface(i) => {
                write!(f, " {}", i.name.value)?;
                words(f, &i.args)
            }
            StmtKind::Include(name) => write!(f, " {}", name.value),
            StmtKind::VipaDynamic(b) => {
                for s in &b.subs {
                    if !matches!(s.kind, SubKind::Invalid(_)) {
                        write!(f, "\n  {}", s.kind)?;
                    }
                }
                f.write_str("\nENDVIPADYNAMIC")
            }
            StmtKind::Port(list) => words(f, &list.args),
            StmtKind::Other(args) => {
                words(f, args)?;
                if let Some(end) = block_end(self.name) {
                    write!(f, " {end}")?;
                }
                Ok(())
            }
        }
    }
}

fn block_end(name: &str) -> Option<&'static str> {
    crate::keywords::STATEMENTS
        .iter()
        .find(|d| d.name == name)
        .and_then(|d| match d.shape {
            crate::keywords::Shape::Block { end, .. } => Some(end),
            _ => None,
        })
}

impl Display for VipaOptions {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(t) = self.tier {
            write!(f, " TIER{t}")?;
        }
        if self.cpcscope {
            f.write_str(" CPCSCOPE")?;
        }
        match self.moveable {
            Some(Moveable::Immediate) => f.write_str(" MOVEABLE IMMEDIATE")?,
            Some(Moveable::WhenIdle) => f.write_str(" MOVEABLE WHENIDLE")?,
            None => {}
        }
        if self.servicemgr {
            f.write_str(" SERVICEMGR")?;
        }
        Ok(())
    }
}

impl Display for VipaAddrs {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            VipaAddrs::V4 { mask, addrs } => {
                if let Some(m) = mask {
                    write!(f, " {}", m.value)?;
                }
                for a in addrs {
                    write!(f, " {}", a.value)?;
                }
                Ok(())
            }
            VipaAddrs::V6 { intf, addr, prefix } => {
                write!(f, " {} {}", intf.value, addr.value)?;
                if let Some(p) = prefix {
                    write!(f, "/{p}")?;
                }
                Ok(())
            }
        }
    }
}

impl Display for SubKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SubKind::Define(d) => write!(f, "VIPADEFINE{}{}", d.options, d.addrs),
            SubKind::Backup(b) => {
                f.write_str("VIPABACKUP")?;
                if b.rank_given {
                    write!(f, " {}", b.rank.value)?;
                }
                write!(f, "{}{}", b.options, b.addrs)
            }
            SubKind::Delete(refs) => {
                f.write_str("VIPADELETE")?;
                for r in refs {
                    write!(f, " {}", r.value)?;
                }
                Ok(())
            }
            SubKind::Distribute(d) => write!(f, "{d}"),
            SubKind::Range(r) => {
                f.write_str("VIPARANGE")?;
                words(f, &r.args)
            }
            SubKind::Route(args) => {
                f.write_str("VIPAROUTE")?;
                words(f, args)
            }
            SubKind::SmParms(args) => {
                f.write_str("VIPASMPARMS")?;
                words(f, args)
            }
            SubKind::Invalid(name) => f.write_str(name),
        }
    }
}

impl Display for VipaDistribute {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut s = String::from("VIPADISTRIBUTE");
        if self.delete {
            s.push_str(" DELETE");
        }
        if let Some(m) = self.method {
            let _ = write!(s, " DISTMETHOD {}", m.value.keyword());
        }
        if let Some(b) = self.switchback {
            s.push_str(if b.value {
                " AUTOSWITCHBACK"
            } else {
                " NOAUTOSWITCHBACK"
            });
        }
        if let Some(h) = self.healthswitch {
            s.push_str(if h.value {
                " HEALTHSWITCH"
            } else {
                " NOHEALTHSWITCH"
            });
        }
        if self.sysplexports.is_some() {
            s.push_str(" SYSPLEXPORTS");
        }
        if let Some(t) = self.timedaffinity {
            let _ = write!(s, " TIMEDAFFINITY {}", t.value);
        }
        match self.optlocal {
            Some(Located { value: Some(n), .. }) => {
                let _ = write!(s, " OPTLOCAL {n}");
            }
            Some(Located { value: None, .. }) => s.push_str(" OPTLOCAL"),
            None => {}
        }
        for o in &self.other {
            let _ = write!(s, " {}", o.value);
        }
        let _ = write!(s, " {}", self.dvipa.value);
        if !self.ports.is_empty() {
            s.push_str(" PORT");
            for p in &self.ports {
                if p.value.lo == p.value.hi {
                    let _ = write!(s, " {}", p.value.lo);
                } else {
                    let _ = write!(s, " {}-{}", p.value.lo, p.value.hi);
                }
            }
        }
        match &self.destip {
            Some(DestIp::All(_)) => s.push_str(" DESTIP ALL"),
            Some(DestIp::List(list)) => {
                s.push_str(" DESTIP");
                for e in list {
                    let _ = write!(s, "\n      {}", e.addr.value);
                    match e.role {
                        Role::Plain => {}
                        Role::Preferred => s.push_str(" PREFERRED"),
                        Role::Backup {
                            rank,
                            rank_given: true,
                        } => {
                            let _ = write!(s, " BACKUP {rank}");
                        }
                        Role::Backup {
                            rank_given: false, ..
                        } => s.push_str(" BACKUP"),
                        Role::Weight(w) => {
                            let _ = write!(s, " WEIGHT {w}");
                        }
                    }
                }
            }
            None => {}
        }
        f.write_str(&s)
    }
}
