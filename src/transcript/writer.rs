//! Writing a transcript as the run goes: a [`Reporter`] like the others.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::{GENESIS, Header, OUTPUT_HEAD, OUTPUT_TAIL, sha256_hex};
use crate::event::{Event, Reporter, Stream};

#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Output bytes kept per step from its start and from its end.
    pub head: usize,
    pub tail: usize,
}

impl Default for WriterOptions {
    fn default() -> WriterOptions {
        WriterOptions {
            head: OUTPUT_HEAD,
            tail: OUTPUT_TAIL,
        }
    }
}

/// Appends records to a transcript file.
pub struct TranscriptWriter {
    path: PathBuf,
    file: File,
    seq: u64,
    prev: String,
    options: WriterOptions,
    /// The first error; nothing is written after it.
    failed: Option<String>,
    step: StepOutput,
}

/// Output of the current step beyond its head, kept until the step ends.
#[derive(Default)]
struct StepOutput {
    id: String,
    head_written: usize,
    tail: VecDeque<(Stream, String, Vec<u8>)>,
    tail_bytes: usize,
    dropped: u64,
}

impl TranscriptWriter {
    /// Creates the file (it must not exist; directories are made private)
    /// and writes the header, synced, before anything runs.
    pub fn create(path: &Path, header: &Header, options: WriterOptions) -> std::io::Result<Self> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        // The header is written under a hidden name and the file linked into
        // place once it is on disk: a run killed in between leaves no
        // transcript without a header (a `.partial` file, never listed).
        let partial = path.with_file_name(format!(
            ".{}.partial",
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&partial)?;
        let mut writer = TranscriptWriter {
            path: path.to_owned(),
            file,
            seq: 0,
            prev: GENESIS.to_owned(),
            options,
            failed: None,
            step: StepOutput::default(),
        };
        let mut body = serde_json::to_value(header).map_err(std::io::Error::other)?;
        if let Value::Object(map) = &mut body {
            map.insert("event".into(), "header".into());
        }
        let linked = writer
            .record(body)
            .and_then(|()| writer.file.sync_all())
            // `link` refuses an existing name, as `create_new` would; a file
            // system without hard links gets a rename (the run id in the
            // name is new).
            .and_then(|()| match std::fs::hard_link(&partial, path) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                    std::fs::rename(&partial, path)
                }
                other => other,
            });
        let _ = std::fs::remove_file(&partial);
        linked?;
        Ok(writer)
    }

    /// Opens an existing transcript to add to it (a resumed run): a last
    /// line cut short by a crash is removed first, and the chain goes on.
    pub fn append(path: &Path, options: WriterOptions) -> std::io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let transcript = super::Transcript::read(path).map_err(std::io::Error::other)?;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(path)?;
        file.set_len(transcript.valid_len)?;
        let mut file = file;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0))?;
        Ok(TranscriptWriter {
            path: path.to_owned(),
            file,
            seq: transcript.records.last().map_or(0, |r| r.seq + 1),
            prev: transcript.last_hash.clone(),
            options,
            failed: None,
            step: StepOutput::default(),
        })
    }

    /// A record that is not an event (`resumed`), synced.
    pub fn note(&mut self, body: Value) -> std::io::Result<()> {
        self.record(body)?;
        self.file.sync_data()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seals the transcript as it stands (after `run-finished`): a last
    /// record, in the chain, whose SSH signature signs the count of the
    /// records before it and the hash of the last one
    /// ([`super::seal_message`]), synced.
    pub fn seal(&mut self, key: &crate::sign::SigningKey) -> std::io::Result<()> {
        self.flush_tail();
        if let Some(reason) = &self.failed {
            return Err(std::io::Error::other(reason.clone()));
        }
        let message = super::seal_message(self.seq, &self.prev);
        let signature = key
            .sign(super::SEAL_NAMESPACE, &message)
            .map_err(std::io::Error::other)?;
        let body = json!({
            "event": "seal",
            "records": self.seq,
            "chain": self.prev,
            "signature": signature,
        });
        self.record(body)?;
        self.file.sync_data()
    }

    /// Writes one record: one line, with its place in the chain.
    fn record(&mut self, body: Value) -> std::io::Result<()> {
        let mut map = Map::new();
        map.insert("seq".into(), self.seq.into());
        map.insert("ts".into(), now().into());
        map.insert("prev".into(), self.prev.clone().into());
        if let Value::Object(fields) = body {
            map.extend(fields);
        }
        let mut line = serde_json::to_vec(&Value::Object(map)).map_err(std::io::Error::other)?;
        self.prev = sha256_hex(&line);
        self.seq += 1;
        line.push(b'\n');
        // One write per record: a crash cuts at most the last line.
        self.file.write_all(&line)
    }

    fn write(&mut self, body: Value) {
        if self.failed.is_some() {
            return;
        }
        if let Err(err) = self.record(body) {
            self.fail(&err);
        }
    }

    /// An event as `--json` writes it, in its place in the chain; output
    /// held back until its step ended also says when it was printed.
    fn write_event(&mut self, event: &Event, printed_at: Option<&str>) {
        match serde_json::to_value(event) {
            Ok(mut body) => {
                if let (Value::Object(map), Some(at)) = (&mut body, printed_at) {
                    map.insert("printed_at".into(), at.into());
                }
                self.write(body);
            }
            Err(err) => self.fail(&std::io::Error::other(err)),
        }
    }

    fn sync(&mut self) {
        if self.failed.is_some() {
            return;
        }
        if let Err(err) = self.file.sync_data() {
            self.fail(&err);
        }
    }

    fn fail(&mut self, err: &std::io::Error) {
        tracing::error!(path = %self.path.display(), %err, "transcript write failed");
        self.failed = Some(format!("{}: {err}", self.path.display()));
    }

    fn output(&mut self, id: &str, stream: Stream, data: &[u8]) {
        if self.step.id != id {
            self.flush_tail();
            self.step = StepOutput {
                id: id.to_owned(),
                ..StepOutput::default()
            };
        }
        let mut data = data;
        if self.step.head_written < self.options.head {
            let n = (self.options.head - self.step.head_written).min(data.len());
            self.step.head_written += n;
            let head = Event::Output {
                id: id.to_owned(),
                stream,
                data: data[..n].to_vec(),
            };
            self.write_event(&head, None);
            data = &data[n..];
        }
        if data.is_empty() {
            return;
        }
        let step = &mut self.step;
        step.tail.push_back((stream, now(), data.to_vec()));
        step.tail_bytes += data.len();
        while step.tail_bytes > self.options.tail {
            let over = step.tail_bytes - self.options.tail;
            let Some(front) = step.tail.front_mut() else {
                break;
            };
            if front.2.len() <= over {
                step.tail_bytes -= front.2.len();
                step.dropped += front.2.len() as u64;
                step.tail.pop_front();
            } else {
                front.2.drain(..over);
                step.tail_bytes -= over;
                step.dropped += over as u64;
            }
        }
    }

    /// The kept end of the step's output, after a note of what was left out.
    fn flush_tail(&mut self) {
        let step = std::mem::take(&mut self.step);
        if step.dropped > 0 {
            self.write(json!({
                "event": "output-dropped",
                "id": step.id,
                "bytes": step.dropped,
            }));
        }
        for (stream, ts, data) in step.tail {
            let id = step.id.clone();
            self.write_event(&Event::Output { id, stream, data }, Some(&ts));
        }
        self.step.id = step.id;
        self.step.head_written = step.head_written;
    }
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl Reporter for TranscriptWriter {
    fn event(&mut self, event: &Event) {
        if let Event::Output { id, stream, data } = event {
            self.output(id, *stream, data);
            return;
        }
        self.flush_tail();
        self.write_event(event, None);
        // Every record is written at once (a killed litops loses nothing
        // the kernel has); the disk is synced at step boundaries: before a
        // step runs (never run a step without a record of it, nor before
        // the previous step's end is safe) and when the run ends.
        if matches!(
            event,
            Event::StepStarted { .. } | Event::RunInterrupted { .. } | Event::RunFinished { .. }
        ) {
            self.sync();
        }
    }

    fn failure(&self) -> Option<String> {
        self.failed.clone()
    }
}
