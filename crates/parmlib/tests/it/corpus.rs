//! The real IZUPRMxx members in shared/corpus/parmlib parse without errors
//! and give the settings they spell out; their findings are kept as
//! snapshots; they look like members and the corpus profiles do not.

use zha_diag::render::{Style, render_all};
use zha_diag::symbols::Symbols;
use zha_diag::{FileId, Severity, SourceMap};
use zha_parmlib::{Autostart, Origin, Parsed, effective, looks_like_member, parse};

fn corpus(name: &str) -> String {
    let path = zha_testkit::corpus().join("parmlib").join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

fn read(name: &str, file: u32) -> (String, Parsed) {
    let text = corpus(name);
    let parsed = parse(FileId(file), &text, &Symbols::new());
    (text, parsed)
}

fn no_errors(parsed: &Parsed) {
    let errors: Vec<_> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn izuprm00_sy2pka_is_autostart_connect() {
    let (text, parsed) = read("IZUPRM00-sy2pka-iebupdte", 0);
    no_errors(&parsed);
    // One 80-column record padded with blanks: no finding at all.
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    assert_eq!(parsed.member.statements.len(), 1);
    let s = effective(std::slice::from_ref(&parsed.member));
    assert_eq!(s.autostart.value, Autostart::Connect);
    let Origin::Set { span, statement } = s.autostart.origin else {
        panic!("AUTOSTART should be set by the member");
    };
    assert_eq!(&text[span.range()], "CONNECT");
    assert_eq!(&text[statement.range()], "AUTOSTART(CONNECT)");
    // Everything else keeps its default.
    assert!(s.http_ssl_port.is_default());
    assert_eq!(s.http_ssl_port.value, 443);
    assert_eq!(s.autostart_group.value, "IZUDFLT");
    assert_eq!(s.hostname, None);
}

#[test]
fn zowe_docs_issue_member_gives_its_settings() {
    let (text, parsed) = read("IZUPRMxx-zowe-docs-site-issue-4476", 0);
    no_errors(&parsed);
    // The only finding: INCIDENT_LOG listed twice in PLUGINS.
    let codes: Vec<_> = parsed.diagnostics.iter().map(|d| d.id()).collect();
    assert_eq!(codes, ["ZHA0409W"]);
    let dup = &parsed.diagnostics[0];
    let line = text[..dup.labels[0].span.start as usize]
        .matches('\n')
        .count()
        + 1;
    assert_eq!(line, 16);
    let names: Vec<_> = parsed
        .member
        .statements
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "SERVER_PROC",
            "ANGEL_PROC",
            "AUTOSTART",
            "AUTOSTART_GROUP",
            "HOSTNAME",
            "HTTP_SSL_PORT",
            "UNAUTH_USER",
            "SAF_PREFIX",
            "SEC_GROUPS",
            "JAVA_HOME",
            "KEYRING_NAME",
            "PLUGINS",
        ]
    );

    let s = effective(std::slice::from_ref(&parsed.member));
    assert_eq!(s.server_proc.value, "IZUSVR1");
    assert!(!s.server_proc.is_default());
    assert_eq!(s.angel_proc.value, "IZUANG1");
    assert_eq!(s.autostart.value, Autostart::Local);
    assert_eq!(s.autostart_group.value, "NONE");
    assert_eq!(s.hostname.as_ref().map(|h| h.value.as_str()), Some("*"));
    assert_eq!(s.http_ssl_port.value, 10443);
    assert_eq!(
        s.http_ssl_port.span().map(|sp| &text[sp.range()]),
        Some("10443")
    );
    assert_eq!(
        s.unauth_user.as_ref().map(|u| u.value.as_str()),
        Some("IZUGUEST")
    );
    assert_eq!(s.saf_prefix.value, "IZUDFLT");
    assert_eq!(
        s.java_home.as_ref().map(|j| j.value.as_str()),
        Some("/usr/lpp/java/J17.0_64")
    );
    assert_eq!(s.keyring_name.value, "IZUKeyring.IZUDFLT");
    assert!(!s.keyring_name.is_default());
    assert!(s.user_dir.is_default());
    let plugins: Vec<_> = s.plugins.iter().map(|p| p.value.as_str()).collect();
    assert_eq!(
        plugins,
        [
            "INCIDENT_LOG",
            "COMMSERVER_CFG",
            "WORKLOAD_MGMT",
            "RESOURCE_MON",
            "CAPACITY_PROV",
            "SOFTWARE_MGMT",
            "SYSPLEX_MGMT",
            "ISPF",
        ]
    );
}

#[test]
fn corpus_members_print_and_read_back_the_same() {
    for name in [
        "IZUPRM00-sy2pka-iebupdte",
        "IZUPRMxx-zowe-docs-site-issue-4476",
    ] {
        let (_, parsed) = read(name, 0);
        let printed = parsed.member.to_string();
        let again = parse(FileId(1), &printed, &Symbols::new());
        assert_eq!(
            crate::support::bare(&parsed.member),
            crate::support::bare(&again.member),
            "{printed}"
        );
        assert!(
            printed.lines().all(|l| l.chars().count() <= 71),
            "{printed}"
        );
    }
}

#[test]
fn corpus_members_in_izu_order_later_overrides_earlier() {
    // IZU=(xx,00): the one-statement IZUPRM00 read last changes AUTOSTART only.
    let (_, xx) = read("IZUPRMxx-zowe-docs-site-issue-4476", 0);
    let (_, p00) = read("IZUPRM00-sy2pka-iebupdte", 1);
    let s = effective(&[xx.member.clone(), p00.member.clone()]);
    assert_eq!(s.autostart.value, Autostart::Connect);
    assert_eq!(s.autostart.span().map(|sp| sp.file), Some(FileId(1)));
    assert_eq!(s.http_ssl_port.value, 10443);
    // IZU=(00,xx): the other way round.
    let s = effective(&[p00.member, xx.member]);
    assert_eq!(s.autostart.value, Autostart::Local);
    assert_eq!(s.autostart.span().map(|sp| sp.file), Some(FileId(0)));
}

/// Every file of one corpus folder: its name and its decoded text.
fn folder(kind: &str) -> Vec<(String, String)> {
    let dir = zha_testkit::corpus().join(kind);
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    files.sort();
    assert!(!files.is_empty(), "no files in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let text = zha_diag::decode(&bytes).unwrap().text;
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, text)
        })
        .collect()
}

#[test]
fn every_corpus_member_has_no_error_and_its_findings_are_kept() {
    for (name, text) in folder("parmlib") {
        let mut sources = SourceMap::new();
        let id = sources.add(name.clone(), text.clone());
        let parsed = parse(id, &text, &Symbols::new());
        no_errors(&parsed);
        let rendered = render_all(&parsed.diagnostics, &sources, Style::Plain);
        insta::assert_snapshot!(format!("corpus_{name}"), rendered);
    }
}

#[test]
fn corpus_members_look_like_members_and_profiles_do_not() {
    for (name, text) in folder("parmlib") {
        assert!(looks_like_member(&text), "{name} should look like a member");
    }
    for (name, text) in folder("tcpip") {
        assert!(
            !looks_like_member(&text),
            "{name} should not look like a member"
        );
    }
}
