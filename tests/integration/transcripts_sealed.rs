//! Sealed transcripts (issue 16, item 3): `verify` tells a transcript whose
//! end is missing from a complete one, `run --seal-key` signs the chain
//! when the run ends, and `verify --allowed-signers` detects a rewrite, a
//! truncation and a seal by a key nobody listed. Keys are made by the real
//! `ssh-keygen` in each test's directory.

use std::path::Path;

use serde_json::Value;

use crate::sign::{keygen, signer_line};
use crate::test::{Ran, Test};

const RUNBOOK: &str = "# Nightly\n\n## Prepare\n\n```bash\necho preparing\n```\n\n## Report\n\n```bash\ntest -e ready || { echo not ready; exit 1; }\necho reported\n```\n";

/// A test directory with the runbook, an `ops` key in `allowed_signers`
/// (namespace `litops-transcript`) and a `mallory` key nobody listed.
fn sealing() -> Test {
    let test = Test::new().runbook(RUNBOOK).file("ready", "");
    let ops = keygen(test.dir(), "ops", &["-t", "ed25519"]);
    keygen(test.dir(), "mallory", &["-t", "ecdsa"]);
    let line = signer_line("ops@example.com", &ops, "namespaces=\"litops-transcript\" ");
    test.file("allowed_signers", format!("# who may seal\n{line}"))
}

/// `run runbook.md --transcript t.jsonl` with more arguments.
fn run_to(test: Test, args: &[&str]) -> Ran {
    test.args(["run", "runbook.md", "--transcript", "t.jsonl"])
        .args(args)
        .stdout_contains("reported")
        .stderr("transcript: t.jsonl\n")
        .run()
}

fn lines(ran: &Ran) -> Vec<Value> {
    std::fs::read_to_string(ran.path("t.jsonl"))
        .expect("transcript")
        .lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect()
}

/// Writes the records back with every `prev` recomputed: a rewrite by
/// someone who knows how the chain is made.
fn write_chained(path: &Path, records: &mut [Value]) {
    let mut prev = litops::transcript::GENESIS.to_owned();
    let mut text = String::new();
    for record in records.iter_mut() {
        record["prev"] = Value::String(prev.clone());
        let line = serde_json::to_string(record).expect("serialises");
        prev = litops::transcript::sha256_hex(line.as_bytes());
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(path, text).expect("write");
}

fn verify(ran: Ran, args: &[&str]) -> Test {
    ran.then()
        .args(["transcript", "verify", "t.jsonl"])
        .args(args)
}

#[test]
fn i16_a_transcript_with_its_last_records_cut_off_is_incomplete_not_intact() {
    let ran = run_to(Test::new().runbook(RUNBOOK).file("ready", ""), &[]);
    let text = std::fs::read_to_string(ran.path("t.jsonl")).expect("transcript");
    let mut kept: Vec<&str> = text.lines().collect();
    assert_eq!(
        kept.last()
            .map(|l| l.contains("\"event\":\"run-finished\"")),
        Some(true)
    );
    // Whole records cut off the end: each line still follows from the one
    // before, but the run's end is gone.
    kept.truncate(kept.len() - 2);
    std::fs::write(ran.path("t.jsonl"), kept.join("\n") + "\n").expect("write");
    let ran = verify(ran, &[])
        .stdout_contains("INCOMPLETE: t.jsonl: ")
        .stdout_contains(
            " records, chain intact, but the run's end is not recorded: the last record is `",
        )
        .stdout_contains("not sealed\n")
        .status(8)
        .run();
    // A complete transcript next to it still passes; the worst one decides.
    let ran = ran
        .then()
        .args(["run", "runbook.md", "--transcript", "u.jsonl"])
        .stdout_contains("reported")
        .stderr("transcript: u.jsonl\n")
        .run();
    ran.then()
        .args(["transcript", "verify", "u.jsonl"])
        .stdout_contains("ok: u.jsonl: ")
        .stdout_contains(" records, chain intact; not sealed\n")
        .run();
}

#[test]
fn i16_a_sealed_transcript_verifies_and_names_who_sealed_it() {
    let ran = run_to(sealing(), &["--seal-key", "ops"]);
    let records = lines(&ran);
    let seal = records.last().expect("records");
    assert_eq!(seal["event"], "seal");
    assert_eq!(seal["records"], records.len() - 1);
    assert_eq!(seal["chain"], seal["prev"]);
    let n = records.len();
    let ran = verify(ran, &["--allowed-signers", "allowed_signers"])
        .stdout_contains(&format!(
            "ok: t.jsonl: {n} records, chain intact; sealed by ops@example.com (SHA256:"
        ))
        .run();
    verify(ran, &[])
        .stdout(format!(
            "ok: t.jsonl: {n} records, chain intact; sealed (the seal was not checked: give --allowed-signers FILE)\n"
        ))
        .run();
}

/// The seal signs exactly what the docs say: ssh-keygen verifies it over
/// `litops-transcript-seal-v1\nrecords: N\nchain: HEX\n`.
#[test]
fn i16_the_seal_is_an_ssh_signature_that_ssh_keygen_verifies() {
    let ran = run_to(sealing(), &["--seal-key", "ops"]);
    let records = lines(&ran);
    let seal = records.last().expect("records");
    let message = format!(
        "litops-transcript-seal-v1\nrecords: {}\nchain: {}\n",
        records.len() - 1,
        seal["prev"].as_str().expect("prev")
    );
    std::fs::write(ran.path("msg"), &message).expect("write");
    std::fs::write(
        ran.path("msg.sig"),
        seal["signature"].as_str().expect("signature"),
    )
    .expect("write");
    let out = std::process::Command::new("ssh-keygen")
        .current_dir(ran.path("."))
        .args([
            "-Y",
            "verify",
            "-f",
            "allowed_signers",
            "-I",
            "ops@example.com",
            "-n",
            "litops-transcript",
            "-s",
            "msg.sig",
        ])
        .stdin(std::fs::File::open(ran.path("msg")).expect("open"))
        .output()
        .expect("ssh-keygen runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn i16_a_rewritten_transcript_with_a_recomputed_chain_fails_its_seal() {
    let ran = run_to(sealing(), &["--seal-key", "ops"]);
    let original = lines(&ran);
    let rewrite = |records: &[Value]| -> Vec<Value> {
        let text = serde_json::to_string(records).expect("serialises");
        assert!(text.contains("preparing"));
        serde_json::from_str(&text.replace("preparing", "skipped it")).expect("parses")
    };

    // The output rewritten, the chain recomputed, the seal left as it was:
    // without a seal, this passes as intact.
    let mut records = rewrite(&original);
    let old_chain = original.last().expect("seal")["chain"].clone();
    records.last_mut().expect("seal")["chain"] = old_chain;
    write_chained(&ran.path("t.jsonl"), &mut records);
    let ran = verify(ran, &["--allowed-signers", "allowed_signers"])
        .stdout_contains("TAMPERED: t.jsonl: the seal on line ")
        .stdout_contains(
            "does not match its place: the chain hash it holds is not the one before it\n",
        )
        .status(1)
        .run();

    // The seal's own fields rewritten too: its signature does not hold.
    let mut records = rewrite(&original);
    let n = records.len();
    write_chained(&ran.path("t.jsonl"), &mut records);
    let prev = records[n - 1]["prev"].clone();
    records[n - 1]["chain"] = prev;
    write_chained(&ran.path("t.jsonl"), &mut records);
    let ran = verify(ran, &["--allowed-signers", "allowed_signers"])
        .stdout_contains(&format!(
            "TAMPERED: t.jsonl: the seal on line {n} does not hold: the signature by SHA256:"
        ))
        .stdout_contains(
            "does not match: what was signed has changed, or the signature is forged\n",
        )
        .status(1)
        .run();

    // The seal removed, the chain recomputed: a seal was required.
    let mut records = rewrite(&original);
    records.pop();
    write_chained(&ran.path("t.jsonl"), &mut records);
    verify(ran, &["--allowed-signers", "allowed_signers"])
        .stdout_contains("UNSEALED: t.jsonl: ")
        .stdout_contains("not sealed, and --allowed-signers requires a seal\n")
        .status(1)
        .run();
}

#[test]
fn i16_a_truncated_sealed_transcript_fails() {
    let ran = run_to(sealing(), &["--seal-key", "ops"]);
    let text = std::fs::read_to_string(ran.path("t.jsonl")).expect("transcript");
    let all: Vec<&str> = text.lines().collect();
    // Only the seal cut off: the run's end is there, the seal is not.
    std::fs::write(ran.path("t.jsonl"), all[..all.len() - 1].join("\n") + "\n").expect("write");
    let ran = verify(ran, &["--allowed-signers", "allowed_signers"])
        .stdout_contains("UNSEALED: t.jsonl: ")
        .status(1)
        .run();
    // The seal and the run's end cut off.
    std::fs::write(ran.path("t.jsonl"), all[..all.len() - 3].join("\n") + "\n").expect("write");
    let ran = verify(ran, &["--allowed-signers", "allowed_signers"])
        .stdout_contains("INCOMPLETE: t.jsonl: ")
        .stdout_contains("; not sealed\n")
        .status(1)
        .run();
    verify(ran, &[])
        .stdout_contains("INCOMPLETE: t.jsonl: ")
        .status(8)
        .run();
}

#[test]
fn i16_a_transcript_sealed_by_a_key_not_in_allowed_signers_fails() {
    let ran = run_to(sealing(), &["--seal-key", "mallory"]);
    verify(ran, &["--allowed-signers", "allowed_signers"])
        .stdout_contains("UNTRUSTED SEAL: t.jsonl: the seal on line ")
        .stdout_contains(") is not in allowed_signers\n")
        .status(1)
        .run();
}

#[test]
fn i16_a_seal_key_that_cannot_seal_stops_the_run_before_it_starts() {
    use std::os::unix::fs::PermissionsExt;
    let test = sealing();
    let key = test.dir().join("ops");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let ran = test
        .args(["run", "runbook.md", "--seal-key", "ops"])
        .stderr("error: the signing key ops can be read by other users (mode 0644); make it private (chmod 600), as ssh requires; nothing was run\n")
        .status(2)
        .run();
    assert!(!ran.path("runs").exists(), "a transcript was started");
    let ran = ran
        .then()
        .args(["run", "runbook.md", "--seal-key", "missing-key"])
        .stderr_contains("error: cannot read the signing key missing-key: ")
        .status(2)
        .run();
    // The environment gives it as the flag does.
    let test = ran.then().file("notakey", "hello\n");
    std::fs::set_permissions(
        test.dir().join("notakey"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod");
    let ran = test
        .env("LITOPS_SEAL_KEY", "notakey")
        .args(["run", "runbook.md"])
        .stderr_contains("error: notakey is not an OpenSSH private key")
        .status(2)
        .run();
    // Set but empty: not set.
    let ran = ran
        .then()
        .env("LITOPS_SEAL_KEY", "")
        .args(["run", "runbook.md", "--no-transcript"])
        .stdout_contains("reported")
        .run();
    ran.then()
        .args(["run", "runbook.md", "--no-transcript", "--seal-key", "mallory"])
        .stderr("error: --seal-key (or LITOPS_SEAL_KEY) seals the transcript, and --no-transcript records none; leave one out\n")
        .status(2)
        .run();
}

#[test]
fn i16_a_resumed_run_is_sealed_again_or_says_its_seal_covers_less() {
    let test = sealing();
    std::fs::remove_file(test.dir().join("ready")).expect("rm");
    let ran = test
        .args([
            "run",
            "runbook.md",
            "--transcript",
            "t.jsonl",
            "--seal-key",
            "ops",
        ])
        .stdout_contains("not ready")
        .stderr("transcript: t.jsonl\n")
        .status(1)
        .run();
    let sealed_at = lines(&ran).len();
    // A failed run is sealed too: its record is complete.
    let ran = verify(ran, &["--allowed-signers", "allowed_signers"])
        .stdout_contains("; sealed by ops@example.com")
        .run();
    std::fs::write(ran.path("ready"), "").expect("touch");
    let ran = ran
        .then()
        .args(["resume", "t.jsonl"])
        .stdout_contains("reported")
        .stderr_contains("transcript: t.jsonl\n")
        .run();
    let ran = verify(ran, &[])
        .stdout_contains(&format!(
            "; not sealed (the seal on line {sealed_at} covers only the records before it; the run was resumed without --seal-key)\n"
        ))
        .run();
    let ran = verify(ran, &["--allowed-signers", "allowed_signers"])
        .stdout_contains("UNSEALED: t.jsonl: ")
        .status(1)
        .run();

    // Resumed with the key: the new end is sealed, over everything.
    std::fs::remove_file(ran.path("ready")).expect("rm");
    let ran = ran
        .then()
        .args([
            "run",
            "runbook.md",
            "--transcript",
            "r.jsonl",
            "--seal-key",
            "ops",
        ])
        .stdout_contains("not ready")
        .stderr("transcript: r.jsonl\n")
        .status(1)
        .run();
    std::fs::write(ran.path("ready"), "").expect("touch");
    let ran = ran
        .then()
        .args(["resume", "r.jsonl", "--seal-key", "ops"])
        .stdout_contains("reported")
        .stderr_contains("transcript: r.jsonl\n")
        .run();
    ran.then()
        .args([
            "transcript",
            "verify",
            "r.jsonl",
            "--allowed-signers",
            "allowed_signers",
        ])
        .stdout_contains("ok: r.jsonl: ")
        .stdout_contains("; sealed by ops@example.com (SHA256:")
        .run();
}
