//! How fast `parse` + `apply` read a large profile.
//!
//! Generates a realistic 50,000-line PROFILE.TCPIP (a long PORT list, a HOME
//! list, static routes and many VIPADYNAMIC blocks with hot-standby
//! distributions, comments throughout), then times `parse` + `apply` on it.
//!
//! ```text
//! cargo run --release -p zha-tcpip --example parse_bench [LINES]
//! ```

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use zha_diag::FileId;
use zha_diag::symbols::Symbols;

/// A profile of about `lines` lines.
fn generate(lines: usize) -> String {
    let mut s = String::with_capacity(lines * 40);
    s.push_str(
        "; generated for parse_bench\n\
         ARPAGE 20\n\
         GLOBALCONFIG SYSPLEXMONITOR DELAYJOIN RECOVERY TIMERSECS 60\n\
         IPCONFIG DATAGRAMFWD SYSPLEXROUTING\n\
         \x20        DYNAMICXCF 10.10.20.1 255.255.255.0 1\n\
         TCPCONFIG TTLS RESTRICTLOWPORTS\n\
         AUTOLOG 5\n   FTPD JOBNAME FTPD1\n   TRMD PARMSTRING \"-D TCPIP\"\nENDAUTOLOG\n",
    );
    // Shares of the lines: 30% PORT entries, 10% HOME, 10% routes, the rest
    // VIPADYNAMIC blocks of ten lines.
    let ports = lines * 3 / 10;
    let homes = lines / 10;
    let routes = lines / 10;
    let blocks = (lines - ports - homes - routes) / 10;

    s.push_str("PORT\n");
    for i in 0..ports {
        let port = 1 + i % 65_000;
        let proto = if i % 3 == 0 { "UDP" } else { "TCP" };
        let _ = writeln!(
            s,
            "  {port:>5} {proto} JOB{:05}{}   ; server {i}",
            i % 100_000,
            if i % 7 == 0 { " NOAUTOLOG" } else { "" }
        );
    }
    s.push_str("HOME\n");
    for i in 0..homes {
        let _ = writeln!(
            s,
            "   10.{}.{}.{}  LNK{i}",
            50 + i / 65_000,
            (i / 250) % 250,
            1 + i % 250
        );
    }
    s.push_str("BEGINROUTES\n; destination     first hop     link     size\n");
    for i in 0..routes.saturating_sub(2) {
        let _ = writeln!(
            s,
            "ROUTE 10.{}.{}.0/24   =   LNK{}   MTU 1492",
            150 + (i / 250) % 100,
            i % 250,
            i % homes.max(1)
        );
    }
    s.push_str("ENDROUTES\n");
    for b in 0..blocks {
        let (x, y) = (200 + (b / 250) % 50, b % 250);
        let _ = write!(
            s,
            "VIPADYNAMIC\n\
             ; block {b}\n\
             \x20 VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 10.{x}.{y}.10\n\
             \x20 VIPABACKUP 100 10.{x}.{y}.20\n\
             \x20 VIPADISTRIBUTE DISTMETHOD HOTSTANDBY AUTOSWITCHBACK\n\
             \x20       10.{x}.{y}.10 PORT 443 7554\n\
             \x20       DESTIP 10.10.20.1 PREFERRED\n\
             \x20              10.10.20.2 BACKUP 100\n\
             \x20              10.10.20.3 BACKUP 50\n\
             ENDVIPADYNAMIC\n"
        );
    }
    s
}

fn main() {
    let lines: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    let text = generate(lines);
    let n_lines = text.lines().count();
    let symbols = Symbols::new();

    let mut times = Vec::new();
    let mut summary = String::new();
    for _ in 0..7 {
        let start = Instant::now();
        let parsed = zha_tcpip::parse(FileId(0), &text, &symbols);
        let parse_time = start.elapsed();
        let (stack, diags) = zha_tcpip::apply(parsed.profile.statements.iter());
        let total = start.elapsed();
        times.push((total, parse_time));
        summary = format!(
            "{} statements, {} DVIPAs, {} distributions, {} findings",
            parsed.profile.statements.len(),
            stack.vipas.len(),
            stack.distributions.len(),
            parsed.diagnostics.len() + diags.len()
        );
    }
    times.sort();
    let (best, best_parse) = times[0];
    let (median, _) = times[times.len() / 2];
    let per_s = |d: Duration| n_lines as f64 / d.as_secs_f64();
    println!(
        "{n_lines} lines, {:.1} MB: {summary}",
        text.len() as f64 / 1e6
    );
    println!(
        "parse + apply: best {:.1} ms (parse {:.1} ms), median {:.1} ms; {:.0} lines/s (best), {:.0} lines/s (median)",
        best.as_secs_f64() * 1e3,
        best_parse.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        per_s(best),
        per_s(median)
    );
}
