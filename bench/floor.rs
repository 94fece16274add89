//! The floor under `litops run` with a durable transcript: per step, fork
//! a subshell of an already running bash (as litops's step shell does) and
//! wait for it, and write one record line and `fdatasync` it (as litops does
//! once per step boundary). Nothing else: no parsing, no events, no output.
//!
//! Usage: `floor STEPS FILE [--no-sync]` (run by `bench/steps.sh` through
//! hyperfine, side by side with `litops run`). FILE is written and then
//! removed; put it on the file system the transcripts go to.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(steps), Some(path)) = (
        args.get(1).and_then(|s| s.parse::<usize>().ok()),
        args.get(2),
    ) else {
        eprintln!("usage: floor STEPS FILE [--no-sync]");
        std::process::exit(2);
    };
    let sync = !args.iter().any(|a| a == "--no-sync");
    let mut shell = Command::new("bash")
        .args([
            "--noprofile",
            "--norc",
            "-c",
            "set -m\nwhile read -r n; do ( true ) & wait $!; echo \"done $?\"; done",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut to_shell = shell
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("stdin"))?;
    let mut answers = BufReader::new(
        shell
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("stdout"))?,
    );
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(path)?;
    // About the size of a step-started record.
    let record = format!(
        "{{\"seq\":0,\"event\":\"step-started\",\"script\":\"true\",\"pad\":\"{}\"}}\n",
        "x".repeat(160)
    );
    let mut answer = String::new();
    for n in 0..steps {
        file.write_all(record.as_bytes())?;
        if sync {
            file.sync_data()?;
        }
        writeln!(to_shell, "{n}")?;
        to_shell.flush()?;
        answer.clear();
        answers.read_line(&mut answer)?;
        if answer.trim() != "done 0" {
            return Err(std::io::Error::other(format!(
                "unexpected answer {answer:?}"
            )));
        }
    }
    drop(to_shell);
    shell.wait()?;
    std::fs::remove_file(path)
}
