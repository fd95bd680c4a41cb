use std::fs;

use crate::*;

#[test]
fn the_example_sysplex_is_clean() {
    let o = run(&["check", "examples/sysplex"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o).trim(), "no findings in 6 files");
    // The .toml file itself works the same.
    assert_eq!(code(&run(&["check", "examples/sysplex/sysplex.toml"])), 0);
}

#[test]
fn the_broken_example_shows_its_findings() {
    let o = run(&["check", "examples/broken"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    for id in [
        "ZHA1001E", "ZHA1003E", "ZHA1005E", "ZHA1006E", "ZHA1008E", "ZHA2002E", "ZHA2006E",
        "ZHA2014E",
    ] {
        assert!(
            out.contains(&format!("error[{id}]")),
            "{id} missing from\n{out}"
        );
    }
    assert!(out.contains("EZZ0827I"));
    assert!(out.trim_end().ends_with("8 errors in 6 files"), "{out}");
    assert!(!out.contains('\u{1b}'), "no colour when piped");
}

#[test]
fn json_has_the_spec_schema() {
    let o = run(&["check", "examples/broken", "--format", "json"]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 8);
    let f = findings.iter().find(|f| f["id"] == "ZHA1001E").unwrap();
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap().contains("IZUDFLA"));
    assert!(f["help"].is_string());
    assert!(f["zos"].is_string());
    let locs = f["locations"].as_array().unwrap();
    assert_eq!(locs.len(), 2);
    assert_eq!(locs[0]["file"], "examples/broken/IZUPRM0B");
    assert_eq!(locs[0]["line"], 3);
    assert_eq!(locs[0]["column"], 17);
    assert_eq!(locs[0]["end_line"], 3);
    assert_eq!(locs[0]["end_column"], 26);
    assert!(locs[0]["label"].is_string());
    assert_eq!(v["summary"]["errors"], 8);
    assert_eq!(v["summary"]["warnings"], 0);
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("PROFILE.TCPIP");
    fs::write(&f, "ARPAGE 20 REPL;CHG\n").unwrap();
    let f = f.to_str().unwrap();
    let o = run(&["check", f]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("warning[ZHA0102W]"));
    assert_eq!(code(&run(&["check", "--deny-warnings", f])), 1);
}

#[test]
fn unreadable_input_exits_2_with_a_message() {
    let o = run(&["check", "no/such/file"]);
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("no/such/file does not exist"),
        "{}",
        stdout(&o)
    );

    let dir = tempfile::tempdir().unwrap();
    let e = dir.path().join("IZUPRM00");
    // "AUTOSTART(LOCAL)" in EBCDIC as one fixed 80-byte record: decoded,
    // with a warning, and checked.
    let mut bytes = vec![
        0xC1, 0xE4, 0xE3, 0xD6, 0xE2, 0xE3, 0xC1, 0xD9, 0xE3, 0x4D, 0xD3, 0xD6, 0xC3, 0xC1, 0xD3,
        0x5D,
    ];
    bytes.extend([0x40; 64]);
    fs::write(&e, &bytes).unwrap();
    let o = run(&["check", e.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("1 fixed 80-byte record"),
        "{}",
        stdout(&o)
    );
    // More than a record, not a whole number of them, and no line end: the
    // lines cannot be told apart; exit 2 with a hint that keeps the records.
    bytes = [&bytes[..], &bytes[..70]].concat();
    fs::write(&e, &bytes).unwrap();
    let o = run(&["check", e.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("iconv -f IBM-1047 -t ISO-8859-1"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("dd conv=unblock cbs=80"),
        "{}",
        stdout(&o)
    );

    let t = dir.path().join("sysplex.toml");
    fs::write(&t, "name = \n").unwrap();
    let o = run(&["check", t.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("error[ZHA0010E]"));
    // JSON mode reports it as JSON.
    let o = run(&["check", "--format", "json", t.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"][0]["id"], "ZHA0010E");
}

#[test]
fn nothing_read_says_so_in_the_summary() {
    let o = run(&["check", "no/such/file"]);
    assert!(
        stdout(&o)
            .trim_end()
            .ends_with("1 error; no file could be read"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn standard_input_is_checked_with_dash() {
    use std::io::Write;
    let check = |args: &[&str], input: &str| {
        let mut c = bin()
            .current_dir(root())
            .arg("check")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        c.wait_with_output().unwrap()
    };
    // A profile from a pipe: found by its content, named <stdin>.
    let o = check(
        &["-"],
        "VIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.10\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443 DESTIP 10.1.1.1 PREFERRED\nENDVIPADYNAMIC\n",
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("error[ZHA2002E]"), "{}", stdout(&o));
    assert!(stdout(&o).contains("--> <stdin>:3:"), "{}", stdout(&o));
    // A member with --kind, beside a file.
    let o = check(
        &["--kind", "parmlib", "-"],
        "AUTOSTART(LOCAL)\nUSER_DIR('/global/zosmf')\n",
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o).trim(), "no findings in 1 file");
}

#[test]
fn a_closed_stdout_keeps_the_exit_status_of_the_findings() {
    // The reading end closed before anything is written: every write fails
    // with a broken pipe.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let st = bin()
        .current_dir(root())
        .args(["check", "examples/broken"])
        .stdout(writer)
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(1));
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let st = bin()
        .current_dir(root())
        .args(["check", "examples/sysplex"])
        .stdout(writer)
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
}

#[test]
fn kind_and_symbol_are_refused_for_a_sysplex() {
    for extra in [&["--kind", "profile"][..], &["--symbol", "SYSNAME=SYSA"]] {
        let mut args = vec!["check", "examples/sysplex"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_eq!(code(&o), 2, "{extra:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("for lone members and profiles"), "{err}");
        assert!(stdout(&o).is_empty());
    }
}

#[test]
fn misuse_exits_2() {
    assert_eq!(code(&run(&["check"])), 2);
    assert_eq!(code(&run(&["check", "--format", "xml", "x"])), 2);
    assert_eq!(code(&run(&["check", "--resolve", "nonsense", "x"])), 2);
    assert_eq!(code(&run(&["frobnicate"])), 2);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let o = run(&["check", "--color", "always", "examples/broken"]);
    assert!(stdout(&o).contains('\u{1b}'));
    let o = run(&["check", "--color", "never", "examples/broken"]);
    assert!(!stdout(&o).contains('\u{1b}'));
    // The flag beats NO_COLOR; auto on a pipe is plain.
    let o = bin()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["check", "--color", "always", "examples/broken"])
        .output()
        .unwrap();
    assert!(stdout(&o).contains('\u{1b}'));
    let o = bin()
        .current_dir(root())
        .args(["check", "--color", "auto", "examples/broken"])
        .output()
        .unwrap();
    assert!(!stdout(&o).contains('\u{1b}'));
}

#[test]
fn resolve_settles_a_host_name() {
    let dir = tempfile::tempdir().unwrap();
    for e in fs::read_dir(root().join("examples/sysplex")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let m = dir.path().join("IZUPRM00");
    let text = fs::read_to_string(&m)
        .unwrap()
        .replace("HOSTNAME('192.0.2.10')", "HOSTNAME('zosmf.plx1')");
    fs::write(&m, text).unwrap();
    let d = dir.path().to_str().unwrap();
    let o = run(&["check", d]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("warning[ZHA1003W]"));
    let o = run(&["check", d, "--resolve", "zosmf.plx1=192.0.2.10"]);
    assert_eq!(code(&o), 0);
    assert!(!stdout(&o).contains("ZHA1003"), "{}", stdout(&o));
    let o = run(&["check", d, "--resolve", "zosmf.plx1=192.0.2.99"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("error[ZHA1003E]"));
}

#[test]
fn symbols_for_lone_files() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("prof");
    fs::write(&f, "HOME &HOMEIP. LNK1\n").unwrap();
    let f = f.to_str().unwrap();
    assert!(stdout(&run(&["check", "--kind", "profile", f])).contains("ZHA0013W"));
    let o = run(&[
        "check",
        "--kind",
        "profile",
        "--symbol",
        "HOMEIP=10.1.1.1",
        f,
    ]);
    assert_eq!(stdout(&o).trim(), "no findings in 1 file");
}

#[test]
fn standard_input_named_twice_is_misuse() {
    let o = run(&["check", "-", "-"]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("named more than once"), "{err}");
}

#[test]
fn resolve_with_lone_files_is_misuse() {
    let o = run(&[
        "check",
        "examples/sysplex/IZUPRM00",
        "--resolve",
        "a=1.2.3.4",
    ]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--resolve is for a sysplex"), "{err}");
    // With a sysplex it is taken.
    let o = run(&["check", "examples/sysplex", "--resolve", "a=1.2.3.4"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}
