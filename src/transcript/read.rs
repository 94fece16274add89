//! Reading transcripts back, checking their chain, finding them by id.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::{GENESIS, Header, sha256_hex};
use crate::event::Event;

/// A transcript as read: its records and how the file ended.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub path: PathBuf,
    pub header: Header,
    pub records: Vec<Record>,
    /// The file ended in a line cut short (a crash mid-write); it is ignored.
    pub truncated: bool,
    /// Bytes of complete records (where an append continues).
    pub valid_len: u64,
    /// Hash of the last complete record (the next record's `prev`).
    pub last_hash: String,
    /// Records whose `prev` does not match the line before them (1-based line numbers).
    pub broken_links: Vec<usize>,
}

/// One line of a transcript: its place in the chain, and what it holds.
#[derive(Debug, Clone)]
pub struct Record {
    pub seq: u64,
    pub ts: String,
    /// The hash of the line before, as the record says.
    pub prev: String,
    /// The record's `event` field (`header`, `run-finished`, `seal`, …).
    pub kind: String,
    /// Output held back until its step ended: when it was printed.
    pub printed_at: Option<String>,
    pub entry: Entry,
}

/// What a record holds, read through the same types that wrote it.
#[derive(Debug, Clone)]
pub enum Entry {
    /// The first record (read into [`Transcript::header`]).
    Header,
    Event(Event),
    /// Output of a step left out of the transcript (the middle of it).
    OutputDropped {
        id: String,
        bytes: u64,
    },
    /// A resumed run continues the transcript from here.
    Resumed,
    /// The run's signature over the records before this one
    /// ([`super::seal_message`]).
    Seal {
        records: u64,
        chain: String,
        signature: String,
    },
    /// A record of a kind this litops does not know, or that does not read
    /// as its kind: kept in the chain (`verify` counts it), ignored by views.
    Unreadable {
        kind: String,
        message: String,
    },
}

#[derive(Deserialize)]
struct Sealed {
    records: u64,
    chain: String,
    signature: String,
}

#[derive(Deserialize)]
struct Dropped {
    id: String,
    bytes: u64,
}

/// The transcript's own fields around a record (the rest is its body).
#[derive(Default, Deserialize)]
struct Envelope {
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    ts: String,
    #[serde(default)]
    prev: String,
    #[serde(default)]
    printed_at: Option<String>,
    #[serde(default)]
    event: String,
}

impl Record {
    fn read(value: Value) -> Record {
        let envelope = Envelope::deserialize(&value).unwrap_or_default();
        Record {
            seq: envelope.seq,
            ts: envelope.ts,
            prev: envelope.prev,
            printed_at: envelope.printed_at,
            entry: Entry::read(&envelope.event, value),
            kind: envelope.event,
        }
    }
}

impl Entry {
    /// A record's body, through the types that write it.
    fn read(kind: &str, value: Value) -> Entry {
        let entry = match kind {
            "header" => Ok(Entry::Header),
            "resumed" => Ok(Entry::Resumed),
            "seal" => serde_json::from_value::<Sealed>(value).map(|s| Entry::Seal {
                records: s.records,
                chain: s.chain,
                signature: s.signature,
            }),
            "output-dropped" => {
                serde_json::from_value::<Dropped>(value).map(|d| Entry::OutputDropped {
                    id: d.id,
                    bytes: d.bytes,
                })
            }
            _ => serde_json::from_value::<Event>(value).map(Entry::Event),
        };
        entry.unwrap_or_else(|err| Entry::Unreadable {
            kind: kind.to_owned(),
            message: err.to_string(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{path}:{line}: not a transcript record: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: no header record; is this a litops transcript?")]
    NoHeader { path: PathBuf },
    #[error("{path}: transcript schema {found} is newer than this litops reads ({known})")]
    Schema {
        path: PathBuf,
        found: u32,
        known: u32,
    },
}

impl Transcript {
    pub fn read(path: &Path) -> Result<Transcript, ReadError> {
        let bytes = std::fs::read(path).map_err(|err| ReadError::Io {
            path: path.to_owned(),
            err,
        })?;
        let corrupt = |line: usize, message: String| ReadError::Corrupt {
            path: path.to_owned(),
            line,
            message,
        };
        let mut lines = Vec::new();
        let mut prev = GENESIS.to_owned();
        let mut broken_links = Vec::new();
        let mut valid_len = 0usize;
        let mut truncated = false;
        let mut rest = &bytes[..];
        let mut number = 0;
        while !rest.is_empty() {
            number += 1;
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                // No newline: the write of this record was cut short.
                truncated = true;
                break;
            };
            let line = &rest[..end];
            rest = &rest[end + 1..];
            let value: Value = match serde_json::from_slice(line) {
                Ok(v) => v,
                // A cut-short line that happens to be followed by nothing
                // but a partial newline-less tail is still the last one.
                Err(err) if rest.is_empty() => {
                    let _ = err;
                    truncated = true;
                    break;
                }
                Err(err) => return Err(corrupt(number, err.to_string())),
            };
            if value.get("prev").and_then(Value::as_str) != Some(prev.as_str()) {
                broken_links.push(number);
            }
            prev = sha256_hex(line);
            valid_len += end + 1;
            lines.push(value);
        }
        let header_value = lines
            .first()
            .filter(|v| v.get("event").and_then(Value::as_str) == Some("header"))
            .cloned()
            .ok_or_else(|| ReadError::NoHeader {
                path: path.to_owned(),
            })?;
        let found = header_value
            .get("schema_version")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let found = u32::try_from(found).unwrap_or(u32::MAX);
        if found > super::SCHEMA_VERSION {
            return Err(ReadError::Schema {
                path: path.to_owned(),
                found,
                known: super::SCHEMA_VERSION,
            });
        }
        let header: Header =
            serde_json::from_value(header_value).map_err(|e| corrupt(1, e.to_string()))?;
        // Records of every version up to this one read through today's
        // types: version 1 differs from 2 only in what their defaults cover
        // (`run-started` had no `schema_version`; output was already
        // `text`/`base64`). A version that changes an event's shape
        // converts older records here, before they are read.
        let records = lines.into_iter().map(Record::read).collect();
        Ok(Transcript {
            path: path.to_owned(),
            header,
            records,
            truncated,
            valid_len: valid_len as u64,
            last_hash: prev,
            broken_links,
        })
    }
}

/// The result of `transcript verify`.
#[derive(Debug, Clone)]
pub struct Verification {
    pub records: usize,
    pub truncated: bool,
    /// Line numbers whose record does not follow from the one before.
    pub broken_links: Vec<usize>,
    /// Records out of sequence (line numbers).
    pub out_of_sequence: Vec<usize>,
    /// The kind of the last record before a final seal: `run-finished`
    /// when the run's end is recorded.
    pub last_event: String,
    pub seal: SealStatus,
}

/// Whether the transcript ends in a seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealStatus {
    /// No seal at all.
    None,
    /// Sealed, then continued (a resumed run) without a seal: the seal on
    /// this line covers only the records before it.
    Superseded { line: usize },
    /// The last record is a seal (on this line): `message` is what its
    /// signature must sign; `mismatch` says how its own fields disagree
    /// with its place in the file, if they do.
    Sealed {
        line: usize,
        message: Vec<u8>,
        signature: String,
        mismatch: Option<String>,
    },
}

impl Verification {
    /// The hash chain and the record numbers hold.
    pub fn intact(&self) -> bool {
        self.broken_links.is_empty() && self.out_of_sequence.is_empty()
    }

    /// The run's end is recorded: the last record (before a seal) is
    /// `run-finished`, which every run, resumed or not, ends with.
    pub fn finished(&self) -> bool {
        self.last_event == "run-finished"
    }

    /// Checks the final seal against `allowed`: who sealed the transcript.
    /// `None` when it has no final seal.
    pub fn check_seal(
        &self,
        allowed: &crate::sign::AllowedSigners,
    ) -> Option<Result<crate::sign::Verified, crate::sign::VerifyError>> {
        match &self.seal {
            SealStatus::Sealed {
                message, signature, ..
            } => Some(allowed.verify(super::SEAL_NAMESPACE, message, signature)),
            SealStatus::None | SealStatus::Superseded { .. } => None,
        }
    }
}

pub fn verify(path: &Path) -> Result<Verification, ReadError> {
    let t = Transcript::read(path)?;
    let out_of_sequence = t
        .records
        .iter()
        .enumerate()
        .filter(|(i, r)| r.seq != *i as u64)
        .map(|(i, _)| i + 1)
        .collect();
    let mut before_seal = t.records.as_slice();
    let mut seal = SealStatus::None;
    if let Some((last, rest)) = t.records.split_last()
        && last.kind == "seal"
    {
        let line = t.records.len();
        // What the writer signed: the records before the seal, by their
        // count and the hash of the last of them (the seal's `prev`).
        let records = rest.len() as u64;
        let (signature, mismatch) = match &last.entry {
            Entry::Seal {
                records: says,
                chain,
                signature,
            } => {
                let mismatch = if *says != records {
                    Some(format!("it says it seals {says} records, not {records}"))
                } else if *chain != last.prev {
                    Some("the chain hash it holds is not the one before it".to_owned())
                } else {
                    None
                };
                (signature.clone(), mismatch)
            }
            Entry::Unreadable { message, .. } => (
                String::new(),
                Some(format!("it does not read as a seal: {message}")),
            ),
            _ => (String::new(), Some("it does not read as a seal".to_owned())),
        };
        seal = SealStatus::Sealed {
            line,
            message: super::seal_message(records, &last.prev),
            signature,
            mismatch,
        };
        before_seal = rest;
    } else if let Some(i) = t.records.iter().rposition(|r| r.kind == "seal") {
        seal = SealStatus::Superseded { line: i + 1 };
    }
    Ok(Verification {
        records: t.records.len(),
        truncated: t.truncated,
        broken_links: t.broken_links,
        out_of_sequence,
        last_event: before_seal
            .last()
            .map_or_else(String::new, |r| r.kind.clone()),
        seal,
    })
}

/// Whether a transcript can be trusted to resume from: a regular file (not
/// a symbolic link) of this user that no one else can write, in directories
/// that no one else can write (or sticky ones, where no one else can replace
/// it). Another user who can edit a transcript could recompute its chain.
pub fn trusted(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = nix::unistd::getuid().as_raw();
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.file_type().is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    if meta.uid() != me {
        return Err(format!(
            "{} belongs to another user (uid {}); only your own transcripts are resumed",
            path.display(),
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!("{} can be written by other users", path.display()));
    }
    unchangeable_dirs(path).map_err(|d| {
        format!(
            "{} can be changed by other users; its transcripts are not trusted",
            d.display()
        )
    })
}

/// Whether the runbook a transcript names can be run again on resume: a
/// file of this user or root that no one else can write, in directories no
/// one else can change. The transcript chose it, not the operator.
pub fn trusted_runbook(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let me = nix::unistd::getuid().as_raw();
    // Opened once, without following a link, and checked and read through
    // that one descriptor: a name swapped between the check and the read
    // (a dangling link made to point at another user's file) is no way in.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(nix::libc::ELOOP) {
                format!(
                    "the runbook {} is a symbolic link; resume runs only a runbook no one else can change (choose it yourself with `litops run`)",
                    path.display()
                )
            } else {
                format!("{}: {e}", path.display())
            }
        })?;
    let meta = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let why = if !meta.is_file() {
        Some("is not a regular file".to_owned())
    } else if meta.uid() != me && meta.uid() != 0 {
        Some(format!("belongs to another user (uid {})", meta.uid()))
    } else if meta.mode() & 0o022 != 0 {
        Some("can be written by other users".to_owned())
    } else {
        None
    };
    let refused = |what: String| {
        format!(
            "the runbook {what}; resume runs only a runbook no one else can change (choose it yourself with `litops run`)"
        )
    };
    if let Some(why) = why {
        return Err(refused(format!("{} {why}", path.display())));
    }
    unchangeable_dirs(path).map_err(|d| {
        refused(format!(
            "{} is in {}, which other users can change",
            path.display(),
            d.display()
        ))
    })?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes)
}

/// Each directory above `path` belongs to this user or root and no one else
/// can write it (unless sticky: then no one else can replace what is in it).
/// The first that fails, if any.
fn unchangeable_dirs(path: &Path) -> Result<(), PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let me = nix::unistd::getuid().as_raw();
    let mut dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let absolute = dir.and_then(|d| d.canonicalize().ok());
    dir = absolute.as_deref();
    while let Some(d) = dir {
        let meta = std::fs::metadata(d).map_err(|_| d.to_owned())?;
        let sticky = meta.mode() & 0o1000 != 0;
        if (meta.uid() != me && meta.uid() != 0) || (meta.mode() & 0o022 != 0 && !sticky) {
            return Err(d.to_owned());
        }
        dir = d.parent();
    }
    Ok(())
}

/// A run named on the command line: a path, a run id (or a unique part of
/// one) under the runs directory, or `last`.
pub fn locate(name: &str, runs: &Path) -> Result<PathBuf, String> {
    let path = Path::new(name);
    if path.is_file() {
        return Ok(path.to_owned());
    }
    let mut all = all_transcripts(runs);
    if all.is_empty() {
        return Err(format!(
            "no transcript {name:?}: {} holds no runs",
            runs.display()
        ));
    }
    // Run ids start with their UTC time: file names sort by time.
    all.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if name == "last" || name == "latest" {
        // Never a file someone else could have planted or edited.
        all.retain(|p| trusted(p).is_ok());
        return all.pop().ok_or_else(|| {
            format!(
                "no run of yours in {} (files of other users, or that others can write, are never picked)",
                runs.display()
            )
        });
    }
    let found: Vec<&PathBuf> = all
        .iter()
        .filter(|p| {
            p.file_stem()
                .is_some_and(|s| s.to_string_lossy().contains(name))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!(
            "no run matches {name:?} in {} (see `litops transcript list`)",
            runs.display()
        )),
        many => Err(format!(
            "{name:?} matches {} runs; give more of the id: {}",
            many.len(),
            many.iter()
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Every `*.jsonl` one level under each runbook directory of `runs`.
pub fn all_transcripts(runs: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(runs) else {
        return out;
    };
    for dir in dirs.flatten() {
        let Ok(files) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "jsonl") {
                out.push(path);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transcript file of these records (`event` and body), chained.
    fn file(events: &[serde_json::Value]) -> tempfile::NamedTempFile {
        let header = serde_json::json!({
            "event": "header", "schema_version": 2, "run_id": "r", "litops_version": "0",
            "runbook": "rb.md", "title": "T", "content_hash": "sha256:00", "source": "",
            "git_commit": null, "user": "u", "host": "h", "cwd": "/", "started_at": "",
            "unattended": true, "steps": [], "variables": []
        });
        let mut prev = GENESIS.to_owned();
        let mut text = String::new();
        for (seq, body) in std::iter::once(&header).chain(events).enumerate() {
            let mut record = serde_json::json!({"seq": seq, "ts": "", "prev": prev});
            if let (Value::Object(r), Value::Object(b)) = (&mut record, body) {
                r.extend(b.clone());
            }
            let line = serde_json::to_string(&record).expect("serialises");
            prev = sha256_hex(line.as_bytes());
            text.push_str(&line);
            text.push('\n');
        }
        let f = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(f.path(), text).expect("write");
        f
    }

    fn finished() -> Value {
        serde_json::json!({"event": "run-finished", "outcome": "success", "exit_code": 0, "duration_ms": 1})
    }

    fn started() -> Value {
        serde_json::json!({"event": "run-started", "runbook": "rb.md", "title": "T", "steps": 0, "unattended": true})
    }

    /// A seal as the writer makes one over `records` records ending in `chain`.
    fn seal(records: u64, chain: &str) -> Value {
        serde_json::json!({"event": "seal", "records": records, "chain": chain, "signature": "sig"})
    }

    #[test]
    fn the_run_is_finished_only_when_run_finished_ends_it() {
        let f = file(&[started(), finished()]);
        let v = verify(f.path()).expect("reads");
        assert!(v.intact() && v.finished());
        assert_eq!(v.seal, SealStatus::None);
        let f = file(&[started()]);
        let v = verify(f.path()).expect("reads");
        assert!(v.intact() && !v.finished());
        assert_eq!(v.last_event, "run-started");
        let f = file(&[]);
        assert_eq!(verify(f.path()).expect("reads").last_event, "header");
    }

    #[test]
    fn a_final_seal_signs_the_count_and_hash_of_the_records_before_it() {
        let f = file(&[started(), finished()]);
        let text = std::fs::read_to_string(f.path()).expect("read");
        let last = sha256_hex(text.lines().last().expect("line").as_bytes());
        let f = file(&[started(), finished(), seal(3, &last)]);
        let v = verify(f.path()).expect("reads");
        assert!(v.intact() && v.finished());
        assert_eq!(
            v.seal,
            SealStatus::Sealed {
                line: 4,
                message: crate::transcript::seal_message(3, &last),
                signature: "sig".into(),
                mismatch: None,
            }
        );
        // A seal whose fields disagree with its place.
        let f = file(&[started(), finished(), seal(2, &last)]);
        let v = verify(f.path()).expect("reads");
        assert!(matches!(
            v.seal,
            SealStatus::Sealed { mismatch: Some(ref m), .. } if m == "it says it seals 2 records, not 3"
        ));
        let f = file(&[
            started(),
            finished(),
            serde_json::json!({"event": "seal", "records": 3}),
        ]);
        let v = verify(f.path()).expect("reads");
        assert!(matches!(
            v.seal,
            SealStatus::Sealed { mismatch: Some(ref m), .. } if m.contains("missing field `chain`")
        ));
        let f = file(&[started(), finished(), seal(3, GENESIS)]);
        let v = verify(f.path()).expect("reads");
        assert!(matches!(
            v.seal,
            SealStatus::Sealed { mismatch: Some(ref m), .. } if m.contains("chain hash")
        ));
    }

    #[test]
    fn a_seal_followed_by_more_records_covers_only_what_came_before() {
        let resumed = serde_json::json!({"event": "resumed"});
        let f = file(&[
            started(),
            finished(),
            seal(3, "x"),
            resumed,
            started(),
            finished(),
        ]);
        let v = verify(f.path()).expect("reads");
        assert!(v.finished());
        assert_eq!(v.seal, SealStatus::Superseded { line: 4 });
    }
}
