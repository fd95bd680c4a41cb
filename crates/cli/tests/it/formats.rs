//! `--format text|json` on every command that prints JSON: the JSON
//! document carries `version`, and says what the text says, field by
//! field (each test reads the text back and compares it with the JSON).

use std::collections::BTreeSet;
use std::net::TcpStream;

use serde_json::Value;

use crate::distribute::{Backend, Distributor, Start};
use crate::*;

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(o)))
}

/// The value after `key` on a text line (up to the next blank).
fn after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let i = line.find(key)? + key.len();
    line[i..].split_whitespace().next()
}

#[test]
fn every_command_that_prints_json_says_so_in_its_help_and_keeps_the_old_spellings() {
    for cmd in ["check", "explain", "plan", "netstat", "probe"] {
        let o = run(&[cmd, "--help"]);
        let help = stdout(&o);
        assert!(
            help.contains("--format <FORMAT>") && help.contains("json"),
            "{cmd} --help:\n{help}"
        );
    }
    // `human` is `text`, `--json` is `--format json`, both hidden.
    let human = run(&["check", "examples/broken", "--format", "human"]);
    let text = run(&["check", "examples/broken", "--format", "text"]);
    assert_eq!(stdout(&human), stdout(&text));
    let old = run(&["explain", "ZHA2006", "--json"]);
    assert_eq!(json(&old)["ids"][0]["id"], "ZHA2006");
    assert!(!stdout(&run(&["netstat", "--help"])).contains("--json"));
    assert_eq!(
        run(&["explain", "--json", "--format", "text"])
            .status
            .code(),
        Some(2),
        "--json and --format text contradict"
    );
}

/// A finding as the text shows it and as the JSON says it.
type Finding = (String, String, String, String);

#[test]
fn check_text_and_json_agree() {
    let text = stdout(&run(&["check", "examples/broken"]));
    let j = json(&run(&["check", "examples/broken", "--format", "json"]));
    assert_eq!(j["version"], 1);
    // `error[ZHA2002E]: message` then ` --> file:line:col`.
    let mut from_text: BTreeSet<Finding> = BTreeSet::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let Some((head, message)) = l.split_once("]: ") else {
            continue;
        };
        let Some((severity, id)) = head.split_once('[') else {
            continue;
        };
        let place = lines
            .next()
            .and_then(|p| p.trim_start().strip_prefix("--> "))
            .unwrap_or_else(|| panic!("no place after {l:?}"));
        from_text.insert((
            severity.to_owned(),
            id.to_owned(),
            message.to_owned(),
            place.to_owned(),
        ));
    }
    let from_json: BTreeSet<Finding> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let loc = &f["locations"][0];
            (
                f["severity"].as_str().unwrap().to_owned(),
                f["id"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
                format!(
                    "{}:{}:{}",
                    loc["file"].as_str().unwrap(),
                    loc["line"],
                    loc["column"]
                ),
            )
        })
        .collect();
    assert_eq!(from_text.len(), 8, "{text}");
    assert_eq!(from_text, from_json);
    let s = &j["summary"];
    assert!(
        text.trim_end()
            .ends_with(&format!("{} errors in {} files", s["errors"], s["files"])),
        "{text}\n{s}"
    );
}

#[test]
fn explain_text_and_json_agree() {
    // The list: `  ZHA1001  E    title`.
    let text = stdout(&run(&["explain"]));
    let j = json(&run(&["explain", "--format", "json"]));
    assert_eq!(j["version"], 1);
    let rows: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| {
            l.trim_start()
                .strip_prefix("ZHA")
                .map(|r| format!("ZHA{r}"))
        })
        .map(|l| {
            let (id, rest) = l.split_once("  ").unwrap();
            let (_, title) = rest.trim_start().split_once("  ").unwrap();
            (id.to_owned(), title.trim_start().to_owned())
        })
        .collect();
    let ids = j["ids"].as_array().unwrap();
    assert!(rows.len() > 30, "{text}");
    assert_eq!(rows.len(), ids.len());
    for ((id, title), v) in rows.iter().zip(ids) {
        assert_eq!(
            (id.as_str(), title.as_str()),
            (v["id"].as_str().unwrap(), v["title"].as_str().unwrap())
        );
        assert!(v.get("explanation").is_none());
    }
    // One id, and a z/OS message's rules.
    for arg in ["ZHA2006", "EZZ0827I"] {
        let text = stdout(&run(&["explain", arg]));
        let j = json(&run(&["explain", arg, "--format", "json"]));
        assert_eq!(j["version"], 1);
        let ids = j["ids"].as_array().unwrap();
        assert!(!ids.is_empty());
        for v in ids {
            let severities: Vec<&str> = v["severities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            let head = format!(
                "{} ({}): {}",
                v["id"].as_str().unwrap(),
                severities.join(" or "),
                v["title"].as_str().unwrap()
            );
            assert!(text.contains(&head), "{head:?} not in\n{text}");
            assert!(text.contains(v["explanation"].as_str().unwrap()));
        }
        let blocks = text.matches("\n\n").count();
        assert!(blocks >= ids.len(), "{text}");
        if arg == "EZZ0827I" {
            assert_eq!(j["zos"], "EZZ0827I");
            assert!(text.starts_with("The rules that cite the z/OS message EZZ0827I"));
        } else {
            assert!(j["zos"].is_null());
        }
    }
}

#[test]
fn plan_text_and_json_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str, format: &str| {
        let o = run(&[
            "plan",
            "examples/plan.toml",
            "--out",
            dir.path().join(name).to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    let text = stdout(&out("t", "text"));
    let j = json(&out("j", "json"));
    assert_eq!(j["version"], 1);
    let files: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("  ")).collect();
    let jfiles: Vec<&str> = j["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.len() > 5, "{text}");
    assert_eq!(files, jfiles);
    assert!(text.starts_with(&format!("wrote {} files to ", jfiles.len())));
    assert!(j["out"].as_str().unwrap().ends_with("/j"));
    // Both say the plan checks clean.
    assert!(text.contains("no findings"), "{text}");
    assert_eq!(j["check"]["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn netstat_text_and_json_agree() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let d: Distributor = Start::new(&net).run();
    d.wait_for(|| d.active().is_some_and(|a| a.ends_with(".11:8443")));
    // A connection that stays open, for VCRT.
    let held = TcpStream::connect(net.addr(10)).unwrap();
    d.wait_for(|| {
        d.netstat(&["vcrt", "--format", "json"])
            .is_some_and(|j| j.contains(&held.local_addr().unwrap().to_string()))
    });
    let get = |report: &str, detail: bool| {
        let mut a = vec![report];
        if detail {
            a.push("--detail");
        }
        let text = d.netstat(&a).unwrap();
        a.extend(["--format", "json"]);
        let j: Value = serde_json::from_str(&d.netstat(&a).unwrap()).unwrap();
        assert_eq!(j["version"], 1, "{j}");
        assert_eq!(j["report"], report, "{j}");
        (text, j)
    };
    let dotted = |a: &Value| {
        let a = a.as_str().unwrap();
        let (ip, port) = a.rsplit_once(':').unwrap();
        format!("{ip}..{port}")
    };

    // VDPT DETAIL: one block per target, in order.
    let (text, j) = get("vdpt", true);
    let blocks: Vec<&str> = text.split("Dest:").skip(1).collect();
    let mut targets = Vec::new();
    for s in j["services"].as_array().unwrap() {
        for t in s["targets"].as_array().unwrap() {
            targets.push((s, t));
        }
    }
    assert_eq!(blocks.len(), targets.len(), "{text}");
    assert!(text.contains(&format!(
        "{} of {} records displayed",
        targets.len(),
        targets.len()
    )));
    for (b, (s, t)) in blocks.iter().zip(&targets) {
        assert_eq!(
            b.split_whitespace().next(),
            Some(dotted(&s["dest"]).as_str()),
            "{b}"
        );
        assert_eq!(after(b, "DestXCF:"), t["dest_xcf"].as_str(), "{b}");
        let total: u64 = after(b, "TotalConn:").unwrap().parse().unwrap();
        let active: u64 = after(b, "ActiveConn:").unwrap().parse().unwrap();
        // Counts move while the two reports are taken: only the held
        // connection keeps them apart from zero, and it does not close.
        assert_eq!(total > 0, t["total_conn"].as_u64().unwrap() > 0, "{b}\n{t}");
        assert_eq!(active, t["active_conn"].as_u64().unwrap(), "{b}\n{t}");
        assert_eq!(after(b, "SrvType:"), t["srv_type"].as_str(), "{b}");
        if let Some(rank) = t["rank"].as_u64() {
            assert_eq!(after(b, "Rank:").unwrap().parse::<u64>().unwrap(), rank);
        }
        assert_eq!(after(b, "Flg:"), t["flag"].as_str(), "{b}");
        assert_eq!(after(b, "Target:"), Some(dotted(&t["target"]).as_str()));
        assert_eq!(after(b, "System:"), t["system"].as_str());
        let yn = |v: &Value| match v.as_bool() {
            Some(true) => "Yes",
            Some(false) => "No",
            None => "n/a",
        };
        assert_eq!(after(b, "Listening:"), Some(yn(&t["listening"])));
        assert_eq!(after(b, "Healthy:"), Some(yn(&t["healthy"])));
        let rdy: u64 = after(b, "Rdy:").unwrap().parse().unwrap();
        assert_eq!(rdy, t["ready"].as_u64().unwrap());
        let tsr: u64 = after(b, "TSR:").unwrap().parse().unwrap();
        assert_eq!(tsr, t["tsr"].as_u64().unwrap());
    }

    // VCRT DETAIL.
    let (text, j) = get("vcrt", true);
    let blocks: Vec<&str> = text.split("Dest:").skip(1).collect();
    let rows = j["connections"].as_array().unwrap();
    assert_eq!(blocks.len(), rows.len(), "{text}");
    assert!(!rows.is_empty());
    let mut a: Vec<(String, String, String, String)> = blocks
        .iter()
        .map(|b| {
            (
                b.split_whitespace().next().unwrap().to_owned(),
                after(b, "Source:").unwrap().to_owned(),
                after(b, "DestXCF:").unwrap().to_owned(),
                after(b, "Target:").unwrap().to_owned(),
            )
        })
        .collect();
    let mut b: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                dotted(&r["dest"]),
                dotted(&r["source"]),
                r["dest_xcf"].as_str().unwrap().to_owned(),
                dotted(&r["target"]),
            )
        })
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);

    // VIPADCFG DETAIL.
    let (text, j) = get("vipadcfg", true);
    let vipas = j["vipas"].as_array().unwrap();
    assert!(!vipas.is_empty(), "{j}");
    for v in vipas {
        let addr = match v["prefix_len"].as_u64() {
            Some(p) => format!("{}/{p}", v["addr"].as_str().unwrap()),
            None => v["addr"].as_str().unwrap().to_owned(),
        };
        assert!(
            text.contains(&format!("IpAddr/PrefixLen: {addr}\n")),
            "{addr}\n{text}"
        );
    }
    let blocks: Vec<&str> = text.split("    Dest:").skip(1).collect();
    let mut rows = Vec::new();
    for s in j["distribute"].as_array().unwrap() {
        for t in s["targets"].as_array().unwrap() {
            rows.push((s, t));
        }
    }
    assert!(!rows.is_empty(), "{j}");
    assert_eq!(blocks.len(), rows.len(), "{text}");
    let yn = |v: &Value| if v.as_bool().unwrap() { "Yes" } else { "No" };
    for (b, (s, t)) in blocks.iter().zip(&rows) {
        assert_eq!(
            b.split_whitespace().next(),
            Some(dotted(&s["dest"]).as_str())
        );
        assert_eq!(after(b, "DestXCF:"), t["dest_xcf"].as_str());
        assert_eq!(after(b, "SrvType:"), t["srv_type"].as_str());
        assert_eq!(
            after(b, "AutoSwitchBack:"),
            Some(yn(&s["auto_switch_back"]))
        );
        assert_eq!(after(b, "HealthSwitch:"), Some(yn(&s["health_switch"])));
        assert_eq!(after(b, "SysPt:"), Some(yn(&s["sys_pt"])));
        let tim_aff = match s["tim_aff"].as_u64().unwrap() {
            0 => "No".to_owned(),
            n => n.to_string(),
        };
        assert_eq!(after(b, "TimAff:"), Some(tim_aff.as_str()));
        let opt_loc = s["opt_loc"]
            .as_u64()
            .map_or("No".to_owned(), |n| n.to_string());
        assert_eq!(after(b, "OptLoc:"), Some(opt_loc.as_str()));
        assert_eq!(after(b, "Target:"), Some(dotted(&t["target"]).as_str()));
        assert_eq!(after(b, "System:"), t["system"].as_str());
    }

    // VIPADYN: one block per DVIPA, in order.
    let (text, j) = get("vipadyn", false);
    let vipas = j["vipas"].as_array().unwrap();
    assert!(!vipas.is_empty(), "{j}");
    let blocks: Vec<&str> = text.split("  IpAddr: ").skip(1).collect();
    assert_eq!(blocks.len(), vipas.len(), "{text}");
    for (b, v) in blocks.iter().zip(vipas) {
        assert_eq!(b.split_whitespace().next(), v["addr"].as_str(), "{b}");
        let status = if v["active"].as_bool().unwrap() {
            "Active"
        } else {
            "Backup"
        };
        assert_eq!(after(b, "Status:"), Some(status), "{b}");
        let origin = match v["origin"].as_str().unwrap() {
            "Define" => "VIPADefine",
            _ => "VIPABackup",
        };
        assert_eq!(after(b, "Origin:"), Some(origin), "{b}");
        assert_eq!(
            after(b, "Rank:").unwrap().parse::<u64>().unwrap(),
            v["rank"].as_u64().unwrap()
        );
        let owner = v["owner"].as_str().unwrap_or("this");
        assert_eq!(after(b, "Owner:"), Some(owner), "{b}");
    }
    drop(held);
}

#[test]
fn completions_and_manual_pages_come_from_the_flags() {
    let o = run(&["completions", "bash"]);
    assert!(o.status.success());
    let bash = stdout(&o);
    for word in [
        "zosmf-ha",
        "distribute",
        "netstat",
        "--format",
        "top",
        "--color",
    ] {
        assert!(bash.contains(word), "{word} not in the bash completions");
    }
    let o = run(&["completions", "zsh"]);
    assert!(o.status.success() && stdout(&o).contains("#compdef zosmf-ha"));
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let o = run(&["man", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for page in [
        "zosmf-ha.1",
        "zosmf-ha-distribute.1",
        "zosmf-ha-top.1",
        "zosmf-ha-check.1",
    ] {
        let text =
            std::fs::read_to_string(out.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(
            text.starts_with(".ie") || text.contains(".TH"),
            "{page}: {text}"
        );
    }
    let distribute = std::fs::read_to_string(out.join("zosmf-ha-distribute.1")).unwrap();
    assert!(distribute.contains("\\-\\-check"), "{distribute}");
}
