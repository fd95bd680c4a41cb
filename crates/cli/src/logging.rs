//! The log of long-running commands (`distribute`, `server`): tracing to
//! stderr, text or JSON, with event ids. Logging never stops the work: a
//! line that cannot be written (stderr closed — `| head` —, or full — a
//! full disk) is dropped and counted, never a panic, and once output works
//! again one line says how many were lost (ZHA3028W).

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use tracing_subscriber::EnvFilter;
use zha_distributor::codes;

/// Start logging to stderr; `ZOSMF_HA_LOG` filters (default `info`).
pub fn init(json: bool) {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_env("ZOSMF_HA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let make = move || Lossy::new(io::stderr(), json);
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(make)
        .with_ansi(color && !json)
        // An event that cannot be written is not worth a panic on the same
        // broken stderr: the writer counts it.
        .log_internal_errors(false);
    if json {
        // No tracing target in JSON: `target` is the field that names a
        // backend (the access log's target), once per line.
        let _ = b.json().flatten_event(true).with_target(false).try_init();
    } else {
        let _ = b.with_target(false).try_init();
    }
}

/// Lines lost since output last worked.
static LOST: AtomicU64 = AtomicU64::new(0);

/// A writer that never fails: what it cannot write is counted in
/// [`LOST`], and the next line that can be written is preceded by a
/// notice of how many were lost.
pub struct Lossy<W: Write> {
    inner: W,
    json: bool,
    lost: &'static AtomicU64,
}

impl<W: Write> Lossy<W> {
    pub fn new(inner: W, json: bool) -> Lossy<W> {
        Lossy {
            inner,
            json,
            lost: &LOST,
        }
    }

    #[cfg(test)]
    fn with_counter(inner: W, json: bool, lost: &'static AtomicU64) -> Lossy<W> {
        Lossy { inner, json, lost }
    }

    fn notice(&self, n: u64) -> String {
        let ts = humantime::format_rfc3339_micros(std::time::SystemTime::now());
        let msg = format!(
            "{n} log line(s) could not be written (standard error was closed or full); output works again"
        );
        if self.json {
            let v = serde_json::json!({
                "timestamp": ts.to_string(),
                "level": "WARN",
                "id": codes::LOG_LOST.id,
                "lost": n,
                "message": msg,
            });
            format!("{v}\n")
        } else {
            format!("{ts}  WARN id=\"{}\" lost={n} {msg}\n", codes::LOG_LOST.id)
        }
    }
}

impl<W: Write> Write for Lossy<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let lost = self.lost.load(Ordering::Relaxed);
        if lost > 0 {
            let notice = self.notice(lost);
            if self.inner.write_all(notice.as_bytes()).is_ok() {
                self.lost.fetch_sub(lost, Ordering::Relaxed);
            }
        }
        if self
            .inner
            .write_all(buf)
            .and_then(|()| self.inner.flush())
            .is_err()
        {
            self.lost.fetch_add(1, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = self.inner.flush();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails while `broken` is set.
    struct Flaky<'a> {
        out: &'a mut Vec<u8>,
        broken: bool,
    }

    impl Write for Flaky<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.broken {
                return Err(io::Error::from_raw_os_error(28)); // ENOSPC
            }
            self.out.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_that_cannot_be_written_are_counted_and_reported_once() {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let mut out = Vec::new();
        {
            let mut w = Lossy::with_counter(
                Flaky {
                    out: &mut out,
                    broken: true,
                },
                false,
                &COUNT,
            );
            for _ in 0..3 {
                assert_eq!(w.write(b"line\n").unwrap(), 5, "never an error");
            }
            assert_eq!(COUNT.load(Ordering::Relaxed), 3);
            w.inner.broken = false;
            w.write_all(b"back\n").unwrap();
            w.write_all(b"again\n").unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].contains("ZHA3028W") && lines[0].contains("3 log line(s)"),
            "{text}"
        );
        assert_eq!(&lines[1..], ["back", "again"]);
        assert_eq!(COUNT.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn the_notice_is_json_in_json_logs() {
        static COUNT: AtomicU64 = AtomicU64::new(2);
        let mut out = Vec::new();
        {
            let mut w = Lossy::with_counter(
                Flaky {
                    out: &mut out,
                    broken: false,
                },
                true,
                &COUNT,
            );
            w.write_all(b"{}\n").unwrap();
        }
        let first = String::from_utf8(out).unwrap();
        let v: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
        assert_eq!(v["id"], "ZHA3028W");
        assert_eq!(v["lost"], 2);
    }
}
