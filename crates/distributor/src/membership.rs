//! The sysplex group's engines (SPEC §7): where the stacks of a sysplex
//! meet, learn each other's claims, and keep the state a takeover must not
//! change. One trait, [`GroupEngine`]; the decisions on what the members
//! say are `zha_group`'s.
//!
//! [`Embedded`] is the engine for one machine: the stacks share a folder;
//! a member holds an exclusive `flock` on its own lock file for as long as
//! it lives, so a process that dies — however it dies — loses its
//! membership at once, when the kernel closes its files. The etcd engine
//! for hosts implements the same trait (next step of issue 10); the
//! conformance tests in `tests/it/membership.rs` are written against the
//! trait so that both pass the same suite.

use std::fs::File;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zha_group::{Claim, Moveable, Origin};

/// What a stack publishes when it joins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The system's name: its identity in the group.
    pub name: String,
    pub pid: u32,
    pub claims: Vec<ClaimRecord>,
    /// Its control socket, where a stack that joins on the same machine
    /// asks for copies of the listening sockets.
    #[serde(default)]
    pub control: Option<PathBuf>,
    /// Its own HOTSTANDBY VIPADISTRIBUTE statements, per DVIPA: a stack
    /// that defines or backs up a DVIPA without distributing it inherits
    /// one (SPEC §7).
    #[serde(default)]
    pub distributions: Vec<(IpAddr, String)>,
}

/// A claim as the group stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRecord {
    pub dvipa: IpAddr,
    /// 255 for VIPADEFINE, else the VIPABACKUP rank.
    pub rank: u8,
    pub whenidle: bool,
    /// When the stack (re)defined it, in the group's order (`vary
    /// reactivate` makes it the latest); 0: when the stack joined.
    #[serde(default)]
    pub defined: u64,
}

impl From<Claim> for ClaimRecord {
    fn from(c: Claim) -> ClaimRecord {
        ClaimRecord {
            dvipa: c.dvipa,
            rank: c.origin.rank(),
            whenidle: c.moveable == Moveable::WhenIdle,
            defined: 0,
        }
    }
}

impl From<ClaimRecord> for Claim {
    fn from(c: ClaimRecord) -> Claim {
        Claim {
            dvipa: c.dvipa,
            origin: match c.rank {
                255 => Origin::Define,
                rank => Origin::Backup { rank },
            },
            moveable: if c.whenidle {
                Moveable::WhenIdle
            } else {
                Moveable::Immediate
            },
        }
    }
}

/// A live member and when it joined (the group's order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub record: Record,
    pub joined: u64,
}

impl Member {
    /// Its claims as `zha_group` takes them, each with when it was defined:
    /// its join, or a later `vary reactivate`.
    pub fn claims(&self) -> impl Iterator<Item = (Claim, u64)> + '_ {
        self.record
            .claims
            .iter()
            .map(|&c| (Claim::from(c), c.defined.max(self.joined)))
    }
}

/// What can go wrong with the group.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("a live stack named {0} is already in the group")]
    NameTaken(String),
    #[error("{0} is not a member of the group")]
    NotMember(String),
    #[error("the group at {place}: {source}")]
    Io {
        place: String,
        #[source]
        source: io::Error,
    },
}

/// A place where the stacks of a sysplex meet.
pub trait GroupEngine: Send {
    /// Join as `record.name`; refused while a live member has that name. A
    /// stale membership of a dead process is cleared first.
    fn join(&mut self, record: &Record) -> Result<u64, GroupError>;
    /// Leave the group (a clean stop, or `vary leave`).
    fn leave(&mut self) -> Result<(), GroupError>;
    /// Replace this member's record (its claims changed: `vary
    /// deactivate|reactivate`), keeping its membership; returns a number of
    /// the group's order, later than any before.
    fn update(&mut self, record: &Record) -> Result<u64, GroupError>;
    /// The live members, in join order.
    fn members(&mut self) -> Result<Vec<Member>, GroupError>;
    /// Whether this stack is still a member (the fencing rule's
    /// confirmation).
    fn confirm(&mut self) -> Result<bool, GroupError>;
    /// Shared state that a takeover must not change (the active target of
    /// each DVIPA..port, quiesced targets): a value per key.
    fn put(&mut self, key: &str, value: &str) -> Result<(), GroupError>;
    fn get(&mut self, key: &str) -> Result<Option<String>, GroupError>;
    /// Put `value` only if the key still holds `expected` (`None`: absent);
    /// whether it did. Two stacks that decide a move at once: one wins.
    fn compare_and_put(
        &mut self,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool, GroupError>;
    /// Where, for messages.
    fn describe(&self) -> String;
}

/// The engine for one machine: a folder the stacks share.
///
/// A dead process loses its membership at once (the kernel releases its
/// lock); a live one that stops confirming — frozen (SIGSTOP), or stuck —
/// loses it after [`STALE`]: each member's `confirm` touches its beat file,
/// and a member whose beat is older is taken out of the group by the
/// others. When it runs again, its `confirm` says it is no member.
pub struct Embedded {
    dir: PathBuf,
    /// Our membership: the lock we hold, and our name.
    held: Option<(String, File)>,
    /// Each member's beat as last seen, and since when (on this process's
    /// monotonic clock) it has not changed: a step of the wall clock never
    /// makes a member look silent.
    beats: std::cell::RefCell<
        std::collections::HashMap<String, (Option<std::time::SystemTime>, std::time::Instant)>,
    >,
}

/// How long a member may go without confirming its membership.
pub const STALE: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a change waits for the group lock.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// The largest record or value read: far above what a stack writes.
const MAX_BYTES: u64 = 1 << 20;

impl Embedded {
    /// Open (or create) the group's folder: private to its owner, as the
    /// state folder (refused when another user could write to it).
    pub fn open(dir: &Path) -> Result<Embedded, GroupError> {
        let io = |source| GroupError::Io {
            place: dir.display().to_string(),
            source,
        };
        zha_plex::OsFs::private_dir(dir).map_err(io)?;
        zha_plex::OsFs::private_dir(&dir.join("members")).map_err(io)?;
        zha_plex::OsFs::private_dir(&dir.join("state")).map_err(io)?;
        Ok(Embedded {
            dir: dir.to_path_buf(),
            held: None,
            beats: Default::default(),
        })
    }

    fn io(&self, source: io::Error) -> GroupError {
        GroupError::Io {
            place: self.dir.display().to_string(),
            source,
        }
    }

    fn lock_path(&self, name: &str) -> PathBuf {
        self.dir.join("members").join(format!("{name}.lock"))
    }

    fn record_path(&self, name: &str) -> PathBuf {
        self.dir.join("members").join(format!("{name}.json"))
    }

    fn beat_path(&self, name: &str) -> PathBuf {
        self.dir.join("members").join(format!("{name}.beat"))
    }

    /// This member is alive and working now.
    fn beat(&self, name: &str) -> io::Result<()> {
        let f = open_lock(&self.beat_path(name))?;
        f.set_modified(std::time::SystemTime::now())
    }

    /// Whether `name`'s beat has not changed for [`STALE`], as this
    /// process has watched it (its own clock: the file's time is only
    /// compared with itself).
    fn stale(&self, name: &str) -> bool {
        let now = std::fs::metadata(self.beat_path(name))
            .and_then(|m| m.modified())
            .ok();
        let mut beats = self.beats.borrow_mut();
        match beats.get(name) {
            Some((seen, since)) if *seen == now => since.elapsed() > STALE,
            _ => {
                beats.insert(name.to_owned(), (now, std::time::Instant::now()));
                false
            }
        }
    }

    /// Hold the group lock while changing who is a member.
    /// Hold the group lock while changing who is a member or who owns:
    /// waiting at most [`LOCK_WAIT`], so that a stack frozen inside it
    /// never stops the others for longer (the step fails and is retried).
    fn group_lock(&self) -> io::Result<File> {
        let f = open_lock(&self.dir.join("group.lock"))?;
        let end = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(f),
                Err(rustix::io::Errno::WOULDBLOCK) if std::time::Instant::now() < end => {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                Err(rustix::io::Errno::WOULDBLOCK) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        "the group lock is held by a stack that does not let go",
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Whether some process holds `name`'s lock (a live member).
    fn alive(&self, name: &str) -> io::Result<bool> {
        if let Some((held, _)) = &self.held
            && held == name
        {
            return Ok(true);
        }
        let f = match open_lock(&self.lock_path(name)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockShared) {
            // Nobody holds it exclusively: its member is gone.
            Ok(()) => Ok(false),
            Err(rustix::io::Errno::WOULDBLOCK) => Ok(true),
            Err(e) => Err(e.into()),
        }
    }

    fn next_seq(&self) -> io::Result<u64> {
        let path = self.dir.join("seq");
        let last = read_capped(&path)?
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let next = last + 1;
        zha_plex::OsFs::write_atomic(&path, next.to_string().as_bytes(), 0o600)?;
        Ok(next)
    }

    fn state_path(&self, key: &str) -> PathBuf {
        // Keys are ours (`active/10.0.0.10..443`); make them one file name.
        let name: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join("state").join(name)
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    joined: u64,
    record: Record,
}

fn open_lock(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        // Never reached through a link.
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

fn read_capped(path: &Path) -> io::Result<Option<String>> {
    use std::io::Read;
    match File::open(path) {
        Ok(f) => {
            let mut s = String::new();
            f.take(MAX_BYTES).read_to_string(&mut s)?;
            Ok(Some(s))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl GroupEngine for Embedded {
    fn join(&mut self, record: &Record) -> Result<u64, GroupError> {
        let name = record.name.clone();
        let _g = self.group_lock().map_err(|e| self.io(e))?;
        // Joining again after the others took this member out (it stopped
        // confirming for a while): the lock is ours already.
        let lock = match self.held.take() {
            Some((held, lock)) if held == name => lock,
            _ => {
                let lock = open_lock(&self.lock_path(&name)).map_err(|e| self.io(e))?;
                match rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive)
                {
                    Ok(()) => {}
                    Err(rustix::io::Errno::WOULDBLOCK) => {
                        return Err(GroupError::NameTaken(name));
                    }
                    Err(e) => return Err(self.io(e.into())),
                }
                lock
            }
        };
        self.beat(&name).map_err(|e| self.io(e))?;
        let joined = self.next_seq().map_err(|e| self.io(e))?;
        let stored = Stored {
            joined,
            record: record.clone(),
        };
        let text = serde_json::to_vec(&stored).map_err(|e| self.io(io::Error::other(e)))?;
        zha_plex::OsFs::write_atomic(&self.record_path(&name), &text, 0o600)
            .map_err(|e| self.io(e))?;
        self.held = Some((name, lock));
        Ok(joined)
    }

    fn update(&mut self, record: &Record) -> Result<u64, GroupError> {
        let Some((name, _)) = &self.held else {
            return Err(GroupError::NotMember(record.name.clone()));
        };
        let name = name.clone();
        let _g = self.group_lock().map_err(|e| self.io(e))?;
        let path = self.record_path(&name);
        let text = read_capped(&path)
            .map_err(|e| self.io(e))?
            .ok_or_else(|| GroupError::NotMember(name.clone()))?;
        let mut stored: Stored =
            serde_json::from_str(&text).map_err(|e| self.io(io::Error::other(e)))?;
        let seq = self.next_seq().map_err(|e| self.io(e))?;
        stored.record = record.clone();
        let text = serde_json::to_vec(&stored).map_err(|e| self.io(io::Error::other(e)))?;
        zha_plex::OsFs::write_atomic(&path, &text, 0o600).map_err(|e| self.io(e))?;
        Ok(seq)
    }

    fn leave(&mut self) -> Result<(), GroupError> {
        let Some((name, lock)) = self.held.take() else {
            return Ok(());
        };
        let _g = self.group_lock().map_err(|e| self.io(e))?;
        let _ = std::fs::remove_file(self.record_path(&name));
        drop(lock);
        Ok(())
    }

    fn members(&mut self) -> Result<Vec<Member>, GroupError> {
        let dir = self.dir.join("members");
        let entries = std::fs::read_dir(&dir).map_err(|e| self.io(e))?;
        let mut v = Vec::new();
        let mut dead = Vec::new();
        for e in entries {
            let e = e.map_err(|e| self.io(e))?;
            let file = e.file_name().to_string_lossy().into_owned();
            let Some(name) = file.strip_suffix(".json") else {
                continue;
            };
            let ours = self.held.as_ref().is_some_and(|(n, _)| n == name);
            // An entry that cannot be judged (not a lock file, unreadable)
            // is skipped: one bad file stops nobody.
            let Ok(alive) = self.alive(name) else {
                continue;
            };
            if !alive || (!ours && self.stale(name)) {
                dead.push(name.to_owned());
                continue;
            }
            // A record being replaced or unreadable is skipped this time.
            let Ok(Some(text)) = read_capped(&e.path()) else {
                continue;
            };
            if let Ok(s) = serde_json::from_str::<Stored>(&text) {
                v.push(Member {
                    record: s.record,
                    joined: s.joined,
                });
            }
        }
        // A stale membership (a killed process): cleared under the group
        // lock, unless its name joined again meanwhile.
        // The lock busy: next time.
        if !dead.is_empty()
            && let Ok(_g) = self.group_lock()
        {
            for name in dead {
                if !self.alive(&name).unwrap_or(true) || self.stale(&name) {
                    let _ = std::fs::remove_file(self.record_path(&name));
                }
            }
        }
        v.sort_by_key(|m| m.joined);
        Ok(v)
    }

    fn confirm(&mut self) -> Result<bool, GroupError> {
        let Some((name, _)) = &self.held else {
            return Ok(false);
        };
        // Still ours: the record is there (nobody took this member out, or
        // cleared the folder); then say so with a beat.
        let name = name.clone();
        // Our record, readable and ours: a damaged one counts as none (the
        // group task then joins again, which writes it anew).
        let ours = read_capped(&self.record_path(&name))
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_str::<Stored>(&t).ok())
            .is_some_and(|s| s.record.name == name);
        if !ours {
            return Ok(false);
        }
        self.beat(&name).map_err(|e| self.io(e))?;
        Ok(true)
    }

    fn put(&mut self, key: &str, value: &str) -> Result<(), GroupError> {
        zha_plex::OsFs::write_atomic(&self.state_path(key), value.as_bytes(), 0o600)
            .map_err(|e| self.io(e))
    }

    fn get(&mut self, key: &str) -> Result<Option<String>, GroupError> {
        read_capped(&self.state_path(key)).map_err(|e| self.io(e))
    }

    fn compare_and_put(
        &mut self,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool, GroupError> {
        let _g = self.group_lock().map_err(|e| self.io(e))?;
        let now = read_capped(&self.state_path(key)).map_err(|e| self.io(e))?;
        if now.as_deref() != expected {
            return Ok(false);
        }
        self.put(key, value)?;
        Ok(true)
    }

    fn describe(&self) -> String {
        format!("the group folder {}", self.dir.display())
    }
}

/// The engine for hosts: etcd, through its JSON gateway (HTTP/1.1, no
/// `protoc` at build time). Membership is a key under the group's prefix
/// bound to a lease: a member that dies stops its keepalives and its key
/// goes when the lease expires (or is revoked); joining is a transaction
/// that creates the key only if no live member has it.
pub struct Etcd {
    endpoint: String,
    prefix: String,
    ttl: u64,
    agent: ureq::Agent,
    held: Option<(String, String)>,
    /// This member's beat, written at each confirmation.
    beat: u64,
    /// Each member's (name, join) last beat as seen here, and since when
    /// (this process's monotonic clock) it has not changed.
    beats: std::collections::HashMap<(String, u64), (Option<String>, std::time::Instant)>,
}

/// Across hosts, how long a member may write no beat before the others end
/// its membership (revoke its lease): faster evidence of a death than the
/// lease's expiry (whole seconds, SPEC §7).
pub const SILENCE: std::time::Duration = std::time::Duration::from_millis(250);

/// How long one etcd request may take before the group counts as lost:
/// short, so that a stalled etcd never holds the group task for long (the
/// fence does not wait for it, see `sysplex`).
const ETCD_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn unb64(s: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    String::from_utf8(bytes).ok()
}

/// An int64 of the gateway's JSON: a string, or a number.
fn int(v: &serde_json::Value) -> Option<u64> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
}

/// The end of a prefix range: the prefix with its last byte incremented.
fn range_end(prefix: &str) -> String {
    let mut b = prefix.as_bytes().to_vec();
    while let Some(last) = b.pop() {
        if last < 0xff {
            b.push(last + 1);
            return String::from_utf8_lossy(&b).into_owned();
        }
    }
    "\0".to_owned()
}

impl Etcd {
    /// Connect to etcd at `endpoint` (`http://host:2379`); the group lives
    /// under `/zosmf-ha/<sysplex>/`. `ttl`: the membership lease in whole
    /// seconds (etcd's unit; SPEC §7 on what 1 s takes).
    pub fn open(endpoint: &str, sysplex: &str, ttl: u64) -> Result<Etcd, GroupError> {
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(GroupError::Io {
                place: format!("etcd {endpoint}"),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "give etcd's client URL, e.g. http://10.1.1.5:2379",
                ),
            });
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(ETCD_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .new_agent();
        let e = Etcd {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            prefix: format!("/zosmf-ha/{sysplex}/"),
            ttl: ttl.max(1),
            agent,
            held: None,
            beat: 0,
            beats: Default::default(),
        };
        // Reachable now, or a clear error at start.
        e.call(
            "/v3/kv/range",
            serde_json::json!({ "key": b64(&e.prefix), "limit": 1 }),
        )
        .map_err(|err| match err {
            GroupError::Io { place, source } => GroupError::Io {
                place,
                source: io::Error::new(
                    source.kind(),
                    format!(
                        "{source} (is etcd running there, and is this its client URL? the stack serves no DVIPA without the group)"
                    ),
                ),
            },
            other => other,
        })?;
        Ok(e)
    }

    fn err(&self, what: impl std::fmt::Display) -> GroupError {
        GroupError::Io {
            place: format!("etcd {}", self.endpoint),
            source: io::Error::other(what.to_string()),
        }
    }

    fn call(&self, path: &str, body: serde_json::Value) -> Result<serde_json::Value, GroupError> {
        let mut resp = self
            .agent
            .post(format!("{}{path}", self.endpoint))
            .send_json(&body)
            .map_err(|e| self.err(e))?;
        let status = resp.status();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_BYTES)
            .read_to_string()
            .map_err(|e| self.err(e))?;
        // A streaming endpoint answers one JSON object per line.
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("{}");
        let parsed = serde_json::from_str::<serde_json::Value>(first);
        if !status.is_success() {
            // etcd's JSON error, or whatever a proxy in between said.
            let msg = match &parsed {
                Ok(v) => v
                    .get("message")
                    .or_else(|| v.get("error"))
                    .and_then(|m| m.as_str())
                    .unwrap_or("request failed")
                    .to_owned(),
                Err(_) => first.chars().take(200).collect(),
            };
            return Err(self.err(format!("{path}: {status}: {msg}")));
        }
        parsed.map_err(|e| self.err(format!("{path}: not etcd's JSON: {e}")))
    }

    fn member_key(&self, name: &str) -> String {
        format!("{}members/{name}", self.prefix)
    }

    fn beat_key(&self, name: &str) -> String {
        format!("{}beats/{name}", self.prefix)
    }

    /// Take out of `members` (and of the group) every other member whose
    /// beat has not changed for [`SILENCE`] as seen here.
    fn end_silent(&mut self, members: &mut Vec<Member>) -> Result<(), GroupError> {
        let p = format!("{}beats/", self.prefix);
        let v = self.call(
            "/v3/kv/range",
            serde_json::json!({ "key": b64(&p), "range_end": b64(&range_end(&p)) }),
        )?;
        let mut beats = std::collections::HashMap::new();
        for kv in v
            .get("kvs")
            .and_then(|k| k.as_array())
            .into_iter()
            .flatten()
        {
            let key = kv.get("key").and_then(|x| x.as_str()).and_then(unb64);
            let value = kv.get("value").and_then(|x| x.as_str()).and_then(unb64);
            if let Some(name) = key.as_deref().and_then(|k| k.strip_prefix(&p)) {
                beats.insert(name.to_owned(), value);
            }
        }
        let me = self.held.as_ref().map(|h| h.0.clone());
        let now = std::time::Instant::now();
        let mut silent = Vec::new();
        for m in members.iter() {
            let name = &m.record.name;
            if Some(name) == me.as_ref() {
                continue;
            }
            let beat = beats.get(name).cloned().flatten();
            let seen = self
                .beats
                .entry((name.clone(), m.joined))
                .or_insert_with(|| (beat.clone(), now));
            if seen.0 != beat {
                *seen = (beat, now);
            } else if now.duration_since(seen.1) > SILENCE {
                seen.1 = now;
                silent.push(name.clone());
            }
        }
        let live: std::collections::HashSet<(String, u64)> = members
            .iter()
            .map(|m| (m.record.name.clone(), m.joined))
            .collect();
        self.beats.retain(|k, _| live.contains(k));
        for name in silent {
            if self.evict(&name)? {
                tracing::warn!(
                    id = crate::codes::FENCED.id,
                    "{name} gave no sign of life for {SILENCE:?}: its membership is ended (its lease revoked)"
                );
                members.retain(|m| m.record.name != name);
            }
        }
        Ok(())
    }

    /// End another member's membership: revoke its key's lease, whichever
    /// process of that name holds it now; whether it was ended.
    fn evict(&mut self, name: &str) -> Result<bool, GroupError> {
        // Its membership is its key's lease: revoke that lease (the key
        // goes with it), whichever process of that name holds it now.
        let v = self.call(
            "/v3/kv/range",
            serde_json::json!({ "key": b64(&self.member_key(name)) }),
        )?;
        let Some(lease) = v
            .get("kvs")
            .and_then(|k| k.as_array())
            .and_then(|a| a.first())
            .and_then(|kv| kv.get("lease"))
            .and_then(int)
        else {
            return Ok(false);
        };
        if self
            .held
            .as_ref()
            .is_some_and(|(_, l)| *l == lease.to_string())
        {
            return Ok(false);
        }
        self.call(
            "/v3/lease/revoke",
            serde_json::json!({ "ID": lease.to_string() }),
        )?;
        Ok(true)
    }
}

impl GroupEngine for Etcd {
    fn join(&mut self, record: &Record) -> Result<u64, GroupError> {
        let grant = self.call("/v3/lease/grant", serde_json::json!({ "TTL": self.ttl }))?;
        let lease = grant
            .get("ID")
            .and_then(int)
            .ok_or_else(|| self.err("lease grant without an ID"))?
            .to_string();
        let key = b64(&self.member_key(&record.name));
        let value = serde_json::to_string(record).map_err(|e| self.err(e))?;
        let txn = self.call(
            "/v3/kv/txn",
            serde_json::json!({
                "compare": [{ "key": key, "target": "CREATE", "result": "EQUAL", "create_revision": "0" }],
                "success": [{ "requestPut": { "key": key, "value": b64(&value), "lease": lease } }],
            }),
        )?;
        // The gateway leaves out a `succeeded` that is false; an answer
        // without even a header is no transaction's.
        if txn.get("header").is_none() {
            let _ = self.call("/v3/lease/revoke", serde_json::json!({ "ID": lease }));
            return Err(self.err("an answer that is no transaction's"));
        }
        if txn.get("succeeded").and_then(|s| s.as_bool()) != Some(true) {
            // The key exists: a live member has the name.
            let _ = self.call("/v3/lease/revoke", serde_json::json!({ "ID": lease }));
            return Err(GroupError::NameTaken(record.name.clone()));
        }
        let joined = txn
            .get("header")
            .and_then(|h| h.get("revision"))
            .and_then(int)
            .unwrap_or(0);
        self.held = Some((record.name.clone(), lease));
        Ok(joined)
    }

    fn update(&mut self, record: &Record) -> Result<u64, GroupError> {
        let Some((name, lease)) = self.held.clone() else {
            return Err(GroupError::NotMember(record.name.clone()));
        };
        let key = b64(&self.member_key(&name));
        let value = serde_json::to_string(record).map_err(|e| self.err(e))?;
        // Only while this membership lives: the key must still be bound to
        // our lease (not deleted, not another process's of the same name).
        let txn = self.call(
            "/v3/kv/txn",
            serde_json::json!({
                "compare": [{ "key": key, "target": "LEASE", "result": "EQUAL", "lease": lease }],
                "success": [{ "requestPut": { "key": key, "value": b64(&value), "lease": lease } }],
            }),
        )?;
        if txn.get("succeeded").and_then(|s| s.as_bool()) != Some(true) {
            return Err(GroupError::NotMember(name));
        }
        Ok(txn
            .get("header")
            .and_then(|h| h.get("revision"))
            .and_then(int)
            .unwrap_or(0))
    }

    fn leave(&mut self) -> Result<(), GroupError> {
        if let Some((_, lease)) = self.held.take() {
            self.call("/v3/lease/revoke", serde_json::json!({ "ID": lease }))?;
        }
        Ok(())
    }

    fn members(&mut self) -> Result<Vec<Member>, GroupError> {
        let p = format!("{}members/", self.prefix);
        let v = self.call(
            "/v3/kv/range",
            serde_json::json!({ "key": b64(&p), "range_end": b64(&range_end(&p)) }),
        )?;
        let mut members = Vec::new();
        for kv in v
            .get("kvs")
            .and_then(|k| k.as_array())
            .into_iter()
            .flatten()
        {
            let (Some(value), Some(joined)) = (
                kv.get("value").and_then(|x| x.as_str()).and_then(unb64),
                kv.get("create_revision").and_then(int),
            ) else {
                continue;
            };
            if let Ok(record) = serde_json::from_str::<Record>(&value) {
                members.push(Member { record, joined });
            }
        }
        members.sort_by_key(|m| m.joined);
        self.end_silent(&mut members)?;
        Ok(members)
    }

    fn confirm(&mut self) -> Result<bool, GroupError> {
        let Some((_, lease)) = &self.held else {
            return Ok(false);
        };
        let lease = lease.clone();
        let v = self.call("/v3/lease/keepalive", serde_json::json!({ "ID": lease }))?;
        let ttl = v
            .get("result")
            .unwrap_or(&v)
            .get("TTL")
            .and_then(int)
            .unwrap_or(0);
        if ttl > 0 {
            // A sign of life for the others, bound to the membership.
            self.beat += 1;
            let name = self.held.as_ref().map(|h| h.0.clone()).unwrap_or_default();
            self.call(
                "/v3/kv/put",
                serde_json::json!({
                    "key": b64(&self.beat_key(&name)),
                    "value": b64(&self.beat.to_string()),
                    "lease": lease,
                }),
            )?;
        }
        Ok(ttl > 0)
    }

    fn put(&mut self, key: &str, value: &str) -> Result<(), GroupError> {
        let k = format!("{}state/{key}", self.prefix);
        self.call(
            "/v3/kv/put",
            serde_json::json!({ "key": b64(&k), "value": b64(value) }),
        )?;
        Ok(())
    }

    fn get(&mut self, key: &str) -> Result<Option<String>, GroupError> {
        let k = format!("{}state/{key}", self.prefix);
        let v = self.call("/v3/kv/range", serde_json::json!({ "key": b64(&k) }))?;
        Ok(v.get("kvs")
            .and_then(|k| k.as_array())
            .and_then(|a| a.first())
            .and_then(|kv| kv.get("value"))
            .and_then(|x| x.as_str())
            .and_then(unb64))
    }

    fn compare_and_put(
        &mut self,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool, GroupError> {
        let k = b64(&format!("{}state/{key}", self.prefix));
        let compare = match expected {
            None => {
                serde_json::json!({ "key": k, "target": "CREATE", "result": "EQUAL", "create_revision": "0" })
            }
            Some(v) => {
                serde_json::json!({ "key": k, "target": "VALUE", "result": "EQUAL", "value": b64(v) })
            }
        };
        let txn = self.call(
            "/v3/kv/txn",
            serde_json::json!({
                "compare": [compare],
                "success": [{ "requestPut": { "key": k, "value": b64(value) } }],
            }),
        )?;
        Ok(txn.get("succeeded").and_then(|s| s.as_bool()) == Some(true))
    }

    fn describe(&self) -> String {
        format!("etcd {} under {}", self.endpoint, self.prefix)
    }
}
