//! `--json`: one JSON object per event, one per line, flushed as it happens.

use std::io::Write;

use crate::event::{Event, Reporter};

pub struct JsonReporter<W: Write> {
    out: W,
}

impl<W: Write> JsonReporter<W> {
    pub fn new(out: W) -> JsonReporter<W> {
        JsonReporter { out }
    }
}

impl<W: Write> Reporter for JsonReporter<W> {
    fn event(&mut self, event: &Event) {
        // Session dumps are for the transcript (resume), not for scripts.
        if let Event::SessionSaved { .. } = event {
            return;
        }
        // A closed pipe must not stop the run: the events are also its record.
        if serde_json::to_writer(&mut self.out, event).is_ok() {
            let _ = self.out.write_all(b"\n");
            let _ = self.out.flush();
        }
    }
}
