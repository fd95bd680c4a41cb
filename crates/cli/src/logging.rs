//! The log of long-running commands (`distribute`, `server`): tracing to
//! stderr, text or JSON, with event ids. Logging never stops the work:
//!
//! - Lines are written by a thread of their own (tracing-appender's
//!   non-blocking writer): a stderr that does not drain (a paused pager, a
//!   slow journal) never blocks a thread that forwards connections; when
//!   its queue is full, lines are dropped and counted.
//! - A line that cannot be written (stderr closed — `| head` —, or full — a
//!   full disk) is dropped and counted, never a panic.
//! - Once output works again, one line says how many were lost (ZHA3028W).

use std::io::{self, Write};
use std::sync::{Arc, OnceLock};

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use zha_distributor::codes;

/// Lines queued for the writer thread at the most; more are dropped.
const QUEUE: usize = 8192;

/// Start logging to stderr; `ZOSMF_HA_LOG` filters (default `info`). Keep
/// the guard until the end: dropping it writes what is still queued.
///
/// A text line is z/OS's: the timestamp, the message id (`ZHA3003I`; the
/// level for a line without one), the text, then the other fields
/// (`2026-11-29T17:00:00.123456Z ZHA3003I 127.0.0.10..8443: new connections
/// go to SYSB reason="preferred down"`). Under systemd, whose journal
/// stamps each line itself, stderr is the journal (`JOURNAL_STREAM`): no
/// timestamp, and the line starts with its syslog priority (`<6>ZHA3003I …`),
/// so `journalctl -p warning` finds the warnings.
pub fn init(json: bool) -> WorkerGuard {
    let filter = EnvFilter::try_from_env("ZOSMF_HA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let journal = journal_stream();
    let queue_drops = Arc::new(OnceLock::new());
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUE)
        .thread_name("zosmf-ha-log")
        .finish(Lossy::new(io::stderr(), json, queue_drops.clone()).journal(journal));
    let _ = queue_drops.set(writer.error_counter());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        // An event that cannot be written is not worth a message on the
        // same broken stderr: the writer counts it.
        .log_internal_errors(false);
    if json {
        // No tracing target in JSON: `target` is the field that names a
        // backend (the access log's target), once per line.
        let _ = b.json().flatten_event(true).with_target(false).try_init();
    } else {
        let _ = b.event_format(ZosLine { journal }).try_init();
    }
    guard
}

/// Whether stderr is the systemd journal: `JOURNAL_STREAM` names its
/// device and inode (systemd.exec(5)).
fn journal_stream() -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(v) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = v.to_str().and_then(|v| v.split_once(':')) else {
        return false;
    };
    let Ok(meta) = std::fs::metadata("/proc/self/fd/2") else {
        return false;
    };
    dev.parse() == Ok(meta.dev()) && ino.parse() == Ok(meta.ino())
}

/// The text line (see [`init`]).
struct ZosLine {
    journal: bool,
}

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for ZosLine
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut w: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut f = Fields::default();
        event.record(&mut f);
        let level = *event.metadata().level();
        w.write_str(&line(level, f, self.journal, std::time::SystemTime::now()))
    }
}

/// An event's fields: its id and message apart, the rest as `k=v`.
#[derive(Default)]
struct Fields {
    id: Option<String>,
    message: String,
    rest: String,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "id" => self.id = Some(value.to_owned()),
            "message" => self.message = value.to_owned(),
            name => {
                use std::fmt::Write as _;
                let _ = write!(self.rest, " {name}={value:?}");
            }
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "id" => self.id = Some(format!("{value:?}").trim_matches('"').to_owned()),
            name => {
                let _ = write!(self.rest, " {name}={value:?}");
            }
        }
    }
}

/// One text line, with its newline.
fn line(level: tracing::Level, f: Fields, journal: bool, now: std::time::SystemTime) -> String {
    let tag = f.id.unwrap_or_else(|| format!("{level:<5}"));
    if journal {
        // One journal entry per line: a message of several lines stays one.
        let message = f.message.replace('\n', " ⏎ ");
        // sd-daemon(3)'s priority prefixes.
        let prio = match level {
            tracing::Level::ERROR => 3,
            tracing::Level::WARN => 4,
            tracing::Level::INFO => 6,
            _ => 7,
        };
        format!("<{prio}>{tag} {message}{}\n", f.rest)
    } else {
        let ts = humantime::format_rfc3339_micros(now);
        format!("{ts} {tag} {}{}\n", f.message, f.rest)
    }
}

/// A writer that never fails: what it cannot write is counted, and the
/// next line that can be written is preceded by a notice of how many were
/// lost — those it could not write, and those the queue in front of it
/// dropped.
pub struct Lossy<W: Write> {
    inner: W,
    json: bool,
    /// Lines go to the journal: the notice has a priority, no timestamp.
    journal: bool,
    /// Lines this writer could not write, not reported yet.
    failed: u64,
    /// The queue's drop counter, once the queue exists.
    queue_drops: Arc<OnceLock<ErrorCounter>>,
    /// Queue drops already reported.
    reported: usize,
}

impl<W: Write> Lossy<W> {
    pub fn new(inner: W, json: bool, queue_drops: Arc<OnceLock<ErrorCounter>>) -> Lossy<W> {
        Lossy {
            inner,
            json,
            journal: false,
            failed: 0,
            queue_drops,
            reported: 0,
        }
    }

    pub fn journal(mut self, journal: bool) -> Lossy<W> {
        self.journal = journal;
        self
    }

    /// Lines lost and not reported yet.
    fn lost(&self) -> u64 {
        let dropped = self
            .queue_drops
            .get()
            .map_or(0, ErrorCounter::dropped_lines);
        self.failed + (dropped.saturating_sub(self.reported)) as u64
    }

    fn notice(&self, n: u64) -> String {
        let ts = humantime::format_rfc3339_micros(std::time::SystemTime::now());
        let msg = format!(
            "{n} log line(s) were lost (standard error was closed, full, or too slow); output works again"
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
            let f = Fields {
                id: Some(codes::LOG_LOST.id.to_owned()),
                message: msg,
                rest: format!(" lost={n}"),
            };
            line(
                tracing::Level::WARN,
                f,
                self.journal,
                std::time::SystemTime::now(),
            )
        }
    }
}

impl<W: Write> Write for Lossy<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let lost = self.lost();
        if lost > 0 {
            let notice = self.notice(lost);
            if self.inner.write_all(notice.as_bytes()).is_ok() {
                self.failed = 0;
                self.reported = self
                    .queue_drops
                    .get()
                    .map_or(0, ErrorCounter::dropped_lines);
            }
        }
        if self
            .inner
            .write_all(buf)
            .and_then(|()| self.inner.flush())
            .is_err()
        {
            self.failed += 1;
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
        let mut out = Vec::new();
        {
            let mut w = Lossy::new(
                Flaky {
                    out: &mut out,
                    broken: true,
                },
                false,
                Arc::default(),
            );
            for _ in 0..3 {
                assert_eq!(w.write(b"line\n").unwrap(), 5, "never an error");
            }
            assert_eq!(w.lost(), 3);
            w.inner.broken = false;
            w.write_all(b"back\n").unwrap();
            w.write_all(b"again\n").unwrap();
            assert_eq!(w.lost(), 0);
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].contains("ZHA3028W") && lines[0].contains("3 log line(s)"),
            "{text}"
        );
        assert_eq!(&lines[1..], ["back", "again"]);
    }

    #[test]
    fn the_notice_is_json_in_json_logs() {
        let mut out = Vec::new();
        {
            let mut w = Lossy::new(
                Flaky {
                    out: &mut out,
                    broken: false,
                },
                true,
                Arc::default(),
            );
            w.failed = 2;
            w.write_all(b"{}\n").unwrap();
        }
        let first = String::from_utf8(out).unwrap();
        let v: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
        assert_eq!(v["id"], "ZHA3028W");
        assert_eq!(v["lost"], 2);
    }

    #[test]
    fn a_text_line_has_its_id_right_after_the_timestamp() {
        let f = |id: Option<&str>| Fields {
            id: id.map(str::to_owned),
            message: "127.0.0.10..8443: new connections go to SYSB".into(),
            rest: " reason=\"preferred down\"".into(),
        };
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_500_000);
        assert_eq!(
            line(tracing::Level::INFO, f(Some("ZHA3003I")), false, t),
            "1970-01-01T00:00:01.500000Z ZHA3003I 127.0.0.10..8443: new connections go to SYSB reason=\"preferred down\"\n"
        );
        assert_eq!(
            line(tracing::Level::WARN, f(None), false, t),
            "1970-01-01T00:00:01.500000Z WARN  127.0.0.10..8443: new connections go to SYSB reason=\"preferred down\"\n"
        );
        assert_eq!(
            line(tracing::Level::WARN, f(Some("ZHA3002W")), true, t),
            "<4>ZHA3002W 127.0.0.10..8443: new connections go to SYSB reason=\"preferred down\"\n"
        );
        // In the journal a message of several lines stays one entry.
        let mut two = f(Some("ZHA3018E"));
        two.message = "kept the running configuration:\n  PROFA:3:1: ZHA2002E".into();
        let l = line(tracing::Level::ERROR, two, true, t);
        assert_eq!(l.matches('\n').count(), 1, "{l}");
        assert!(
            l.starts_with("<3>ZHA3018E kept the running configuration: ⏎   PROFA:3:1"),
            "{l}"
        );
        // So does the notice of lost lines.
        let w = Lossy::new(Vec::new(), false, Arc::default()).journal(true);
        assert!(
            w.notice(2)
                .starts_with("<4>ZHA3028W 2 log line(s) were lost"),
            "{}",
            w.notice(2)
        );
    }
}
