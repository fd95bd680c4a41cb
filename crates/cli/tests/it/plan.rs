//! `zosmf-ha plan` as a user runs it: bad values are refused before
//! anything is written, writes that fail are messages (never a panic), and
//! a DNS HOSTNAME checks clean through the [resolve] plan writes.

use std::fs;
use std::path::Path;
use std::process::{Output, Stdio};

use crate::*;

const PLAN: &str = "sysplex = \"PLEX1\"\ndvipa = \"10.1.1.10\"\n\
    [[system]]\nname = \"SYSA\"\nxcf = \"10.1.1.1\"\npreferred = true\n\
    [[system]]\nname = \"SYSB\"\nxcf = \"10.1.1.2\"\nrank = 100\n";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `zosmf-ha plan <dir>/plan.toml --out <out>` with `text` as the plan,
/// RUST_BACKTRACE=1 so that a panic would show.
fn plan(dir: &Path, text: &str, out: &Path, stdout: Stdio) -> Output {
    let p = dir.join("plan.toml");
    fs::write(&p, text).unwrap();
    bin()
        .env("RUST_BACKTRACE", "1")
        .arg("plan")
        .arg(&p)
        .arg("--out")
        .arg(out)
        .stdout(stdout)
        .output()
        .unwrap()
}

fn no_panic(o: &Output) {
    let err = stderr(o);
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn rank_255_is_refused_with_the_range_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plex");
    let o = plan(
        dir.path(),
        &PLAN.replace("rank = 100", "rank = 255"),
        &out,
        Stdio::piped(),
    );
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    for want in ["line 10", "rank 255", "1-254", "nothing was written"] {
        assert!(err.contains(want), "{want:?} not in {err}");
    }
    no_panic(&o);
    assert!(!out.exists(), "no folder and no file on error");
    // Validation errors are all named at once, still writing nothing.
    let o = plan(
        dir.path(),
        &PLAN.replace("rank = 100", "preferred = true"),
        &out,
        Stdio::piped(),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("exactly one system"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn a_full_stdout_is_an_error_message_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = plan(dir.path(), PLAN, &dir.path().join("plex"), full.into());
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("standard output") && err.contains("No space left on device"),
        "{err}"
    );
    no_panic(&o);
}

#[test]
fn an_output_folder_that_cannot_be_made_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, "").unwrap();
    // Inside a file: no folder can be made there.
    let inside = file.join("plex");
    let o = plan(dir.path(), PLAN, &inside, Stdio::piped());
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains(&inside.display().to_string()) && err.contains("nothing was written"),
        "{err}"
    );
    no_panic(&o);
    // The file itself as --out.
    let o = plan(dir.path(), PLAN, &file, Stdio::piped());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not a folder"), "{}", stderr(&o));
    no_panic(&o);
    assert_eq!(fs::read(&file).unwrap(), b"");
}

#[test]
fn a_dns_hostname_is_resolved_in_sysplex_toml_and_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plex");
    let text = PLAN.replace(
        "dvipa = \"10.1.1.10\"\n",
        "dvipa = \"10.1.1.10\"\nhostname = \"zosmf.example.com\"\n",
    );
    let o = plan(dir.path(), &text, &out, Stdio::piped());
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("no findings"), "{}", stdout(&o));
    let toml = fs::read_to_string(out.join("sysplex.toml")).unwrap();
    assert!(
        toml.contains("[resolve]\n\"zosmf.example.com\" = \"10.1.1.10\"\n"),
        "{toml}"
    );
    // Checked on its own, without --resolve, with warnings counted.
    let o = bin()
        .arg("check")
        .arg(&out)
        .arg("--deny-warnings")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("no findings"), "{}", stdout(&o));
    // No staging folder is left behind.
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 10, "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn the_example_plan_plans_a_sysplex_that_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(root().join("examples/plan.toml")).unwrap();
    let out = dir.path().join("plex1");
    let o = plan(dir.path(), &text, &out, Stdio::null());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&["check", "--deny-warnings", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}
