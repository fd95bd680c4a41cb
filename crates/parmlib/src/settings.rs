//! Effective settings: what z/OSMF on one system uses, from the members of
//! its `IZU=(..)` in order.
//!
//! SPEC §3: a later member overrides an earlier one, and within a member the
//! last statement wins (both are zosmf-ha decisions; IBM does not say).
//! Statements whose value is not valid are skipped, so the setting keeps its
//! default or previous value: the parser has reported them already.

use std::fmt;

use zha_diag::{Located, Span};

use crate::grammar::{self, Shape};
use crate::member::{Member, Statement, Value};

/// `AUTOSTART(LOCAL|CONNECT)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Autostart {
    /// This system starts a z/OSMF server at IPL (unless one of its
    /// autostart group is already active).
    Local,
    /// This system starts no server; it connects to its group's server.
    Connect,
}

impl Autostart {
    pub fn as_str(self) -> &'static str {
        match self {
            Autostart::Local => "LOCAL",
            Autostart::Connect => "CONNECT",
        }
    }
}

impl fmt::Display for Autostart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A setting's value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

/// Where a setting's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// No member sets it: the default applies.
    Default,
    /// Set by a statement: `span` is the value, `statement` the whole
    /// statement.
    Set { span: Span, statement: Span },
}

impl<T> Setting<T> {
    fn default(value: T) -> Setting<T> {
        Setting {
            value,
            origin: Origin::Default,
        }
    }

    pub fn is_default(&self) -> bool {
        self.origin == Origin::Default
    }

    /// The span of the value that set it, if a statement did.
    pub fn span(&self) -> Option<Span> {
        match self.origin {
            Origin::Default => None,
            Origin::Set { span, .. } => Some(span),
        }
    }
}

/// The effective settings of one system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZosmfSettings {
    /// Default LOCAL.
    pub autostart: Setting<Autostart>,
    /// Default IZUDFLT.
    pub autostart_group: Setting<String>,
    /// `None` when no member sets it: z/OSMF then uses the system's host
    /// name. `*` means any.
    pub hostname: Option<Setting<String>>,
    /// Default 443.
    pub http_ssl_port: Setting<u16>,
    /// Default IZUKeyring.IZUDFLT.
    pub keyring_name: Setting<String>,
    /// Default IZUSVR1.
    pub server_proc: Setting<String>,
    /// Default IZUANG1.
    pub angel_proc: Setting<String>,
    /// Default IZUDFLT.
    pub saf_prefix: Setting<String>,
    /// Default /global/zosmf.
    pub user_dir: Setting<String>,
    /// Minutes; default 495.
    pub session_expire: Setting<u32>,
    /// From the last PLUGINS statement, each name once, in the order
    /// written; empty by default.
    pub plugins: Vec<Located<String>>,
    /// The settings below have no default zosmf-ha knows for sure: `None`
    /// when no member sets them.
    pub java_home: Option<Setting<String>>,
    pub temp_dir: Option<Setting<String>>,
    pub logging: Option<Setting<String>>,
    pub unauth_user: Option<Setting<String>>,
    /// `CSRF_SWITCH(ON)` is `true`.
    pub csrf_switch: Option<Setting<bool>>,
    pub cloud_saf_prefix: Option<Setting<String>>,
    pub cloud_sec_admin: Option<Setting<String>>,
}

impl Default for ZosmfSettings {
    fn default() -> ZosmfSettings {
        ZosmfSettings {
            autostart: Setting::default(Autostart::Local),
            autostart_group: Setting::default("IZUDFLT".to_owned()),
            hostname: None,
            http_ssl_port: Setting::default(443),
            keyring_name: Setting::default("IZUKeyring.IZUDFLT".to_owned()),
            server_proc: Setting::default("IZUSVR1".to_owned()),
            angel_proc: Setting::default("IZUANG1".to_owned()),
            saf_prefix: Setting::default("IZUDFLT".to_owned()),
            user_dir: Setting::default("/global/zosmf".to_owned()),
            session_expire: Setting::default(495),
            plugins: Vec::new(),
            java_home: None,
            temp_dir: None,
            logging: None,
            unauth_user: None,
            csrf_switch: None,
            cloud_saf_prefix: None,
            cloud_sec_admin: None,
        }
    }
}

/// Effective settings of one system from its members in IZU=(..) order,
/// later overriding earlier.
pub fn effective(members: &[Member]) -> ZosmfSettings {
    let mut settings = ZosmfSettings::default();
    for statement in members.iter().flat_map(|m| &m.statements) {
        settings.apply(statement);
    }
    settings
}

impl ZosmfSettings {
    fn apply(&mut self, st: &Statement) {
        let Some(def) = grammar::lookup(&st.name) else {
            return;
        };
        match (&st.value, &def.shape) {
            (Value::Single(v), Shape::Single(check)) => {
                // A value holding a symbol without a value is kept as
                // written where a text is expected: the parser warned, and
                // the text is closer to the truth than the default.
                let unresolved = grammar::has_unresolved_symbol(&v.value.text);
                if grammar::check(*check, &v.value.text).is_err() && !unresolved {
                    return;
                }
                let origin = Origin::Set {
                    span: v.span,
                    statement: st.span,
                };
                let text = v.value.text.clone();
                let set = |value: String| Setting { value, origin };
                match def.name {
                    "AUTOSTART" => {
                        let value = match text.to_ascii_uppercase().as_str() {
                            "LOCAL" => Autostart::Local,
                            "CONNECT" => Autostart::Connect,
                            _ => return,
                        };
                        self.autostart = Setting { value, origin };
                    }
                    "AUTOSTART_GROUP" => self.autostart_group = set(text),
                    "HOSTNAME" => self.hostname = Some(set(text)),
                    "HTTP_SSL_PORT" => {
                        if let Some(port) =
                            grammar::number(&text).and_then(|n| u16::try_from(n).ok())
                        {
                            self.http_ssl_port = Setting {
                                value: port,
                                origin,
                            };
                        }
                    }
                    "KEYRING_NAME" => self.keyring_name = set(text),
                    "SERVER_PROC" => self.server_proc = set(text),
                    "ANGEL_PROC" => self.angel_proc = set(text),
                    "SAF_PREFIX" => self.saf_prefix = set(text),
                    "USER_DIR" => self.user_dir = set(text),
                    "SESSION_EXPIRE" => {
                        if let Some(minutes) =
                            grammar::number(&text).and_then(|n| u32::try_from(n).ok())
                        {
                            self.session_expire = Setting {
                                value: minutes,
                                origin,
                            };
                        }
                    }
                    "JAVA_HOME" => self.java_home = Some(set(text)),
                    "TEMP_DIR" => self.temp_dir = Some(set(text)),
                    "LOGGING" => self.logging = Some(set(text)),
                    "UNAUTH_USER" => self.unauth_user = Some(set(text)),
                    "CSRF_SWITCH" => {
                        let value = match text.to_ascii_uppercase().as_str() {
                            "ON" => true,
                            "OFF" => false,
                            _ => return,
                        };
                        self.csrf_switch = Some(Setting { value, origin });
                    }
                    "CLOUD_SAF_PREFIX" => self.cloud_saf_prefix = Some(set(text)),
                    "CLOUD_SEC_ADMIN" => self.cloud_sec_admin = Some(set(text)),
                    _ => {}
                }
            }
            (Value::List(items), Shape::List) if def.name == "PLUGINS" => {
                let mut plugins: Vec<Located<String>> = Vec::with_capacity(items.len());
                for item in items {
                    let name = item.value.text.to_ascii_uppercase();
                    if grammar::check(grammar::Check::Word, &name).is_ok()
                        && !plugins.iter().any(|p| p.value == name)
                    {
                        plugins.push(Located::new(name, item.span));
                    }
                }
                self.plugins = plugins;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use zha_diag::FileId;
    use zha_diag::symbols::Symbols;

    use super::*;
    use crate::parse;

    fn settings(texts: &[&str]) -> ZosmfSettings {
        let members: Vec<Member> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| parse(FileId(i as u32), t, &Symbols::new()).member)
            .collect();
        effective(&members)
    }

    #[test]
    fn defaults() {
        let s = settings(&[]);
        assert_eq!(s.autostart.value, Autostart::Local);
        assert_eq!(s.autostart_group.value, "IZUDFLT");
        assert_eq!(s.hostname, None);
        assert_eq!(s.http_ssl_port.value, 443);
        assert_eq!(s.keyring_name.value, "IZUKeyring.IZUDFLT");
        assert_eq!(s.server_proc.value, "IZUSVR1");
        assert_eq!(s.angel_proc.value, "IZUANG1");
        assert_eq!(s.saf_prefix.value, "IZUDFLT");
        assert_eq!(s.user_dir.value, "/global/zosmf");
        assert_eq!(s.session_expire.value, 495);
        assert!(s.plugins.is_empty());
        assert!(s.http_ssl_port.is_default());
        assert_eq!(s, ZosmfSettings::default());
    }

    #[test]
    fn values_and_origins() {
        let text = "AUTOSTART(connect) HTTP_SSL_PORT(10443) HOSTNAME('zosmf.example.com')\n\
                    CSRF_SWITCH(OFF) SESSION_EXPIRE(60) PLUGINS(ISPF, isPF RESOURCE_MON)";
        let s = settings(&[text]);
        assert_eq!(s.autostart.value, Autostart::Connect);
        assert_eq!(s.http_ssl_port.value, 10443);
        let Origin::Set { span, statement } = s.http_ssl_port.origin else {
            panic!("HTTP_SSL_PORT should be set");
        };
        assert_eq!(&text[span.range()], "10443");
        assert_eq!(&text[statement.range()], "HTTP_SSL_PORT(10443)");
        assert_eq!(
            s.hostname.map(|h| h.value),
            Some("zosmf.example.com".to_owned())
        );
        assert_eq!(s.csrf_switch.map(|c| c.value), Some(false));
        assert_eq!(s.session_expire.value, 60);
        let plugins: Vec<_> = s.plugins.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(plugins, ["ISPF", "RESOURCE_MON"]);
    }

    #[test]
    fn last_statement_wins_and_invalid_values_keep_the_previous() {
        let s = settings(&[
            "HTTP_SSL_PORT(1000) HTTP_SSL_PORT(2000) HTTP_SSL_PORT(99999) AUTOSTART(MAYBE)",
        ]);
        assert_eq!(s.http_ssl_port.value, 2000);
        assert_eq!(s.autostart.value, Autostart::Local);
        assert!(s.autostart.is_default());
    }

    #[test]
    fn unresolved_symbols_keep_the_text_where_text_is_expected() {
        let s =
            settings(&["SERVER_PROC(IZUSVR&SYSCLONE.) AUTOSTART(&AUTO.) HTTP_SSL_PORT(&PORT.)"]);
        assert_eq!(s.server_proc.value, "IZUSVR&SYSCLONE.");
        assert!(s.autostart.is_default());
        assert!(s.http_ssl_port.is_default());
    }

    #[test]
    fn later_members_override_earlier() {
        let s = settings(&[
            "SERVER_PROC(IZUSVRA) USER_DIR('/global/zosmf/a') PLUGINS(ISPF)",
            "SERVER_PROC(IZUSVRB) PLUGINS(SYSPLEX_MGMT)",
        ]);
        assert_eq!(s.server_proc.value, "IZUSVRB");
        assert_eq!(s.server_proc.span().map(|sp| sp.file), Some(FileId(1)));
        assert_eq!(s.user_dir.value, "/global/zosmf/a");
        assert_eq!(s.user_dir.span().map(|sp| sp.file), Some(FileId(0)));
        assert_eq!(s.plugins.len(), 1);
        assert_eq!(s.plugins[0].value, "SYSPLEX_MGMT");
    }
}
