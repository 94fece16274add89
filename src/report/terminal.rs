//! The terminal reporter: a header per step with its resolved command
//! (secrets masked), the step's own output as it comes, and a result line.

use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::event::{Event, Outcome, Reporter, RunOutcome, Stream, Verdict};

pub struct TerminalReporter<O: Write, E: Write> {
    out: O,
    err: E,
    color: bool,
    /// Echo each step's script (off when the interactive operator already showed it).
    echo_script: bool,
    /// Show a spinner with the elapsed time on stderr (a terminal) while a step runs.
    spinner: bool,
    progress: Option<ProgressBar>,
    total: usize,
    ran: usize,
    skipped: usize,
    failed: usize,
    /// Whether the last byte written to `out` ended a line.
    at_line_start: bool,
    /// An event's lines, written to `out` in one call when the event is
    /// done (`out` is unbuffered: a call per piece showed in profiles).
    pending: String,
}

impl<O: Write, E: Write> TerminalReporter<O, E> {
    pub fn new(out: O, err: E, color: bool) -> TerminalReporter<O, E> {
        TerminalReporter {
            out,
            err,
            color,
            echo_script: true,
            spinner: false,
            progress: None,
            total: 0,
            ran: 0,
            skipped: 0,
            failed: 0,
            at_line_start: true,
            pending: String::new(),
        }
    }

    /// Interactive runs: the operator has shown the script already, and a
    /// spinner keeps the elapsed time of long steps in view.
    pub fn interactive(mut self, spinner: bool) -> TerminalReporter<O, E> {
        self.echo_script = false;
        self.spinner = spinner;
        self
    }

    fn start_spinner(&mut self, id: &str) {
        // The step's header goes out before the spinner draws under it.
        self.write_pending();
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_message(id.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        self.progress = Some(bar);
    }

    fn stop_spinner(&mut self) {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// One line of its own (the quiet reporter's summary).
    pub fn summary_line(&mut self, text: &str) {
        self.line(text);
        self.write_pending();
    }

    fn line(&mut self, text: &str) {
        if !self.at_line_start {
            self.pending.push('\n');
        }
        self.pending.push_str(text);
        self.pending.push('\n');
        self.at_line_start = true;
    }

    fn write_pending(&mut self) {
        if !self.pending.is_empty() {
            let _ = self.out.write_all(self.pending.as_bytes());
            let _ = self.out.flush();
            self.pending.clear();
        }
    }
}

fn seconds(ms: u64) -> String {
    let d = Duration::from_millis(ms);
    if d < Duration::from_secs(60) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
    }
}

impl<O: Write, E: Write> Reporter for TerminalReporter<O, E> {
    fn before_question(&mut self) {
        self.stop_spinner();
    }

    fn event(&mut self, event: &Event) {
        self.lines_for(event);
        self.write_pending();
    }
}

impl<O: Write, E: Write> TerminalReporter<O, E> {
    fn lines_for(&mut self, event: &Event) {
        match event {
            Event::RunStarted {
                title,
                steps,
                runbook,
                ..
            } => {
                self.total = *steps;
                let text = format!(
                    "{title} ({runbook}): {steps} step{}",
                    if *steps == 1 { "" } else { "s" }
                );
                let text = self.paint("1", &text);
                self.line(&text);
            }
            Event::StepStarted {
                index,
                id,
                section,
                script,
                interactive,
                attempt,
                ..
            } => {
                // Another attempt: the failed one before it is not a failure
                // of the run (unless this one fails too).
                if *attempt > 1 {
                    self.failed = self.failed.saturating_sub(1);
                }
                // Interactive runs: the operator showed the step already;
                // another attempt is marked.
                if self.echo_script || *attempt > 1 {
                    let header =
                        self.paint("1;36", &format!("▶ [{}/{}] {id}", index + 1, self.total));
                    let path = self.paint("2", &section.join(" › "));
                    let again = if *attempt > 1 {
                        format!(" (attempt {attempt})")
                    } else {
                        String::new()
                    };
                    self.line(&format!("\n{header}  {path}{again}"));
                }
                if self.echo_script {
                    for line in crate::shell::typed_lines(script) {
                        let text = self.paint("2", line.trim_end());
                        self.line(&text);
                    }
                }
                if self.spinner && !interactive {
                    self.start_spinner(id);
                }
            }
            Event::Output { stream, data, .. } => {
                // The spinner steps aside while output is written, so the two
                // never share a line.
                let progress = self.progress.clone();
                let mut write = || match stream {
                    Stream::Stdout => {
                        let _ = self.out.write_all(data);
                        let _ = self.out.flush();
                        if let Some(last) = data.last() {
                            self.at_line_start = *last == b'\n';
                        }
                    }
                    Stream::Stderr => {
                        let _ = self.err.write_all(data);
                        let _ = self.err.flush();
                    }
                };
                match progress {
                    Some(bar) => bar.suspend(write),
                    None => write(),
                }
            }
            Event::StepFinished {
                id,
                outcome,
                exit_code,
                signal,
                duration_ms,
                continue_on_error,
            } => {
                self.stop_spinner();
                let time = seconds(*duration_ms);
                let text = match outcome {
                    Outcome::Success => {
                        self.ran += 1;
                        self.paint("32", &format!("✓ {id} ({time})"))
                    }
                    other => {
                        self.failed += 1;
                        let what = match (other, exit_code, signal) {
                            (Outcome::TimedOut, _, _) => format!("timed out after {time}"),
                            (Outcome::CheckFailed, _, _) => {
                                format!("check failed after {time}")
                            }
                            (Outcome::Interrupted, _, _) => format!("interrupted after {time}"),
                            (_, Some(code), _) => format!("exit {code} after {time}"),
                            (_, _, Some(signal)) => {
                                format!("killed by signal {signal} after {time}")
                            }
                            _ => format!("failed after {time}"),
                        };
                        let tail = if *continue_on_error {
                            " (continue-on-error)"
                        } else {
                            ""
                        };
                        self.paint("31", &format!("✗ {id}: {what}{tail}"))
                    }
                };
                self.line(&text);
            }
            Event::StepSkipped { id, reason } => {
                self.skipped += 1;
                let text = self.paint("33", &format!("↷ {id} skipped: {reason}"));
                self.line(&text);
            }
            Event::GateAsked { .. } | Event::SessionSaved { .. } => {}
            Event::CheckFinished {
                id,
                origin,
                verdict,
                location,
                printed,
                ..
            } => {
                for line in printed {
                    let text = self.paint("2", &format!("  │ {line}"));
                    self.line(&text);
                }
                let what = if id == "preflight" {
                    "preflight check".to_owned()
                } else {
                    format!("{origin} check")
                };
                let text = match verdict {
                    Verdict::Pass => self.paint("32", &format!("  ✓ {what} passed")),
                    Verdict::Warn { messages } => self.paint(
                        "33",
                        &format!("  ! {what} passed with warnings: {}", messages.join("; ")),
                    ),
                    Verdict::Fail { message } => {
                        self.paint("31", &format!("  ✗ {what} failed: {message} ({location})"))
                    }
                    Verdict::Error { message } => {
                        self.paint("31", &format!("  ✗ {what} is broken: {message}"))
                    }
                };
                self.line(&text);
            }
            Event::StepRetrying {
                id,
                attempt,
                attempts,
                wait_ms,
                reason,
            } => {
                self.stop_spinner();
                let text = self.paint(
                    "33",
                    &format!(
                        "↻ {id}: attempt {attempt}/{attempts} {}; next in {}",
                        reason.replace('-', " "),
                        seconds(*wait_ms)
                    ),
                );
                self.line(&text);
            }
            Event::StepNotice { id, message } => {
                let text = self.paint("33", &format!("! {id}: {message}"));
                self.line(&text);
            }
            Event::GateAnswered {
                id,
                approved,
                by,
                how,
            } => {
                let text = if *approved {
                    format!("gate on {id} approved by {by} ({how})")
                } else {
                    format!("gate on {id} not approved")
                };
                let text = self.paint("33", &text);
                self.line(&text);
            }
            Event::RunInterrupted { id } => {
                let text = match id {
                    Some(id) => format!("interrupted during {id}"),
                    None => "interrupted".to_owned(),
                };
                let text = self.paint("31", &text);
                self.line(&text);
            }
            Event::RunFinished {
                outcome,
                duration_ms,
                ..
            } => {
                let summary = format!(
                    "{} succeeded, {} failed, {} skipped in {}",
                    self.ran,
                    self.failed,
                    self.skipped,
                    seconds(*duration_ms)
                );
                let text = match outcome {
                    RunOutcome::Success => self.paint("1;32", &format!("\nDone: {summary}")),
                    RunOutcome::Quit => {
                        self.paint("1;33", &format!("\nStopped by the operator: {summary}"))
                    }
                    RunOutcome::Declined => self.paint(
                        "1;33",
                        &format!("\nIncomplete, steps were declined: {summary}"),
                    ),
                    RunOutcome::StepFailed => self.paint("1;31", &format!("\nFailed: {summary}")),
                    RunOutcome::RecordFailed => self.paint(
                        "1;31",
                        &format!("\nStopped, the transcript cannot be written: {summary}"),
                    ),
                    RunOutcome::CheckFailed => {
                        self.paint("1;31", &format!("\nCheck failed: {summary}"))
                    }
                    RunOutcome::Interrupted => {
                        self.paint("1;31", &format!("\nInterrupted: {summary}"))
                    }
                };
                self.line(&text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TerminalReporter;
    use crate::event::{Event, Outcome, Reporter};
    use crate::shell::typed_lines as command_lines;

    /// Records each `write` call separately.
    #[derive(Default)]
    struct Writes(Vec<String>);

    impl std::io::Write for Writes {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.push(String::from_utf8_lossy(buf).into_owned());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_event_is_written_in_one_call() {
        let mut reporter = TerminalReporter::new(Writes::default(), std::io::sink(), false);
        reporter.event(&Event::StepStarted {
            index: 0,
            id: "build".into(),
            section: vec!["Deploy".into()],
            script: "make\nmake install\n".into(),
            env: vec![],
            interactive: false,
            attempt: 1,
        });
        reporter.event(&Event::StepFinished {
            id: "build".into(),
            outcome: Outcome::Success,
            exit_code: Some(0),
            signal: None,
            duration_ms: 100,
            continue_on_error: false,
        });
        assert_eq!(
            reporter.out.0,
            [
                "\n▶ [1/0] build  Deploy\n  $ make\n  $ make install\n",
                "✓ build (0.1s)\n"
            ]
        );
    }

    #[test]
    fn a_continued_command_is_one_command_not_a_column_of_them() {
        assert_eq!(
            command_lines(
                "kubectl apply -f - <<EOF\nkind: X\nEOF\nTOKEN=a \\\n  ./deploy.sh\n# done\necho 'a\nb'\n"
            ),
            [
                "  $ kubectl apply -f - <<EOF",
                "    kind: X",
                "    EOF",
                "  $ TOKEN=a \\",
                "      ./deploy.sh",
                "  $ # done",
                "  $ echo 'a",
                "    b'",
            ]
        );
    }
}
