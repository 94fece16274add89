//! Every message with which `litops run` refuses to start, exactly as the
//! person (or the cron log) reads it, and the exit code that goes with it.
//! One test per message; messages that other tests already check exactly
//! are there (run.rs, classify.rs, dialects.rs, trust.rs).

use std::os::unix::fs::PermissionsExt;

use crate::test::Test;

/// One step that would leave a mark if it ran.
const ONE: &str = "# T\n\n## A\n\n```bash\ntouch ran\n```\n";

/// Two gated steps: one with its author's reason, one without.
const TWO_GATED: &str = "# T\n\n## Drop\n\n```bash {confirm=\"drops the table\"}\ntouch dropped\n```\n\n## Wipe\n\n```bash {confirm}\ntouch wiped\n```\n";

#[test]
fn two_gated_steps_not_approved_are_named_with_their_reasons() {
    let ran = Test::new()
        .runbook(TWO_GATED)
        .args(["run", "runbook.md", "--no-transcript"])
        .stderr("error: 2 gated steps are not approved; nothing was run:\n  drop  (drops the table)\n  wipe  (marked `confirm`)\napprove them with --approve ID (repeatable) or all with --yes\n")
        .status(4)
        .run();
    assert!(!ran.path("dropped").exists() && !ran.path("wiped").exists());
}

#[test]
fn manual_steps_in_an_unattended_run_are_refused() {
    let ran = Test::new()
        .runbook("# T\n\n## Auto\n\n```bash\ntouch ran\n```\n\n## Hand\n\n```bash {manual}\nvi /etc/motd\n```\n")
        .args(["run", "runbook.md", "--no-transcript"])
        .stderr("error: manual steps need a person; an unattended run cannot do them:\n  hand: marked `manual`: done by a person, confirmed in the run\nleave them out with --step/--section/--from/--to\n")
        .status(4)
        .run();
    assert!(!ran.path("ran").exists());
}

#[test]
fn two_inferred_steps_are_refused_unattended() {
    Test::new()
        .runbook("# T\n\n## One\n\n```\ntouch one\n```\n\n## Two\n\n```\ntouch two\n```\n")
        .args(["run", "runbook.md", "--no-transcript"])
        .stderr("error: 2 steps are inferred, not written as steps; nothing was run:\n  one  (runbook.md:5:1)\n    a block without a language whose lines read as shell commands\n  two  (runbook.md:11:1)\n    a block without a language whose lines read as shell commands\nrun them with --accept-inferred, run an approved plan (--approved), or make the blocks explicit (```bash, ```text)\n")
        .status(4)
        .run();
}

#[test]
fn values_missing_for_a_choice_name_the_alternatives() {
    Test::new()
        .runbook("# T\n\n## Where\n\n### GKE\n\n```bash\nCLOUD=gke ./up.sh \"$NAME\"\n```\n\n### EKS\n\n```bash\nCLOUD=eks ./up.sh \"$NAME\"\n```\n")
        .args(["run", "runbook.md", "--no-transcript"])
        .stderr("error: 1 variable without a value (unattended runs never prompt):\n  CLOUD  chooses between: gke, eks  used by: where/gke, where/eks\nchoose with --choose cloud=gke (the alternative you choose may need more values)\ngive them with --set NAME=VALUE, --vars FILE, --env-file FILE or the environment\n")
        .status(3)
        .run();
}

#[test]
fn two_steps_that_cannot_run_as_written_are_refused() {
    Test::new()
        .runbook("# T\n\n## A\n\n<!-- litops: bogus -->\n```bash\necho a\n```\n\n## B\n\n<!-- litops: nonsense -->\n```bash\necho b\n```\n")
        .args(["run", "runbook.md", "--no-transcript"])
        // The diagnostics first, as `check` shows them.
        .stderr("annotation-unknown-key\n\n  × unknown annotation `bogus`\n   ╭─[runbook.md:5:14]\n 4 │ \n 5 │ <!-- litops: bogus -->\n   ·              ──┬──\n   ·                ╰── not a litops annotation\n 6 │ ```bash\n   ╰────\n  help: litops annotations are: name, confirm, no-confirm, timeout, interactive, skip, manual,\n        when, alt, continue-on-error, check, retry, interval, until, tag, exclude-from-run-all,\n        cwd, stream, sequence, no-checkpoint, background\n\nannotation-unknown-key\n\n  × unknown annotation `nonsense`\n    ╭─[runbook.md:12:14]\n 11 │ \n 12 │ <!-- litops: nonsense -->\n    ·              ────┬───\n    ·                  ╰── not a litops annotation\n 13 │ ```bash\n    ╰────\n  help: litops annotations are: name, confirm, no-confirm, timeout, interactive, skip, manual,\n        when, alt, continue-on-error, check, retry, interval, until, tag, exclude-from-run-all,\n        cwd, stream, sequence, no-checkpoint, background\n\nerror: 2 steps cannot run as written; nothing was run:\n  a: unknown annotation `bogus` (runbook.md:5:14)\n  b: unknown annotation `nonsense` (runbook.md:12:14)\nfix them (`litops check` shows where), or leave them out with --step/--section/--from/--to\n")
        .status(2)
        .run();
}

#[test]
fn a_value_that_cannot_be_placed_is_refused_per_step() {
    Test::new()
        .runbook("# T\n\n## A\n\n```bash\necho $(( $COUNT + 1 ))\n```\n\n## B\n\n```bash\nseq $(( $COUNT * 2 ))\n```\n")
        .args(["run", "runbook.md", "--no-transcript", "--set", "COUNT=three"])
        .stderr("error: step a: COUNT: the value \"three\" is not an integer; it is placed where bash evaluates arithmetic, which would run any `$(…)` in a subscript, so only integers are allowed there\nerror: step b: COUNT: the value \"three\" is not an integer; it is placed where bash evaluates arithmetic, which would run any `$(…)` in a subscript, so only integers are allowed there\n")
        .status(2)
        .run();
}

#[test]
fn approving_an_unknown_step_is_a_usage_error() {
    Test::new()
        .runbook(ONE)
        .args(["run", "runbook.md", "--no-transcript", "--approve", "nope"])
        .stderr("error: --approve: no step matches `nope`; `litops list FILE` shows the step ids\n")
        .status(2)
        .run();
}

#[test]
fn selecting_an_unknown_step_is_a_usage_error() {
    Test::new()
        .runbook(ONE)
        .args(["run", "runbook.md", "--no-transcript", "--step", "nope"])
        .stderr("error: no step matches `nope`; `litops list FILE` shows the step ids\n")
        .status(2)
        .run();
}

/// A gated step and a plain one, for approved plans.
const PLANNED: &str = "# T\n\n## Prepare\n\n```bash\necho prepare\n```\n\n## Purge\n\n```bash {confirm=\"deletes rows\"}\necho purge\n```\n";

/// `plan --out plan.json` of `runbook`, made in a fresh directory.
fn planned(runbook: &str) -> Test {
    Test::new()
        .runbook(runbook)
        .args(["plan", "runbook.md", "--out", "plan.json"])
        .stdout("Plan: T (runbook.md)\n2 steps selected: 2 to run, 1 gated\n\nSteps:\n\n  1. prepare\n     Prepare  (runbook.md:5:1)\n     │ echo prepare\n\n  2. purge\n     Purge  (runbook.md:11:1)\n     gate: deletes rows\n     │ echo purge\n")
        .stderr("wrote plan.json: 2 steps to approve (litops approve plan.json --by NAME)\n")
        .run()
        .then()
}

/// `planned`, then approved by alice.
fn approved(runbook: &str) -> Test {
    planned(runbook)
        .args(["approve", "plan.json", "--by", "alice"])
        .stdout("approved by alice: T (2 steps, 1 gated) in plan.json\n")
        .run()
        .then()
}

#[test]
fn a_plan_nobody_approved_is_refused() {
    planned(PLANNED)
        .args([
            "run",
            "runbook.md",
            "--no-transcript",
            "--approved",
            "plan.json",
        ])
        .stderr("error: the plan has no approval yet (litops approve PLAN --by NAME)\n")
        .status(4)
        .run();
}

#[test]
fn a_plan_edited_after_its_approval_is_refused() {
    let test = approved(PLANNED);
    let path = test.dir().join("plan.json");
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("plan")).expect("JSON");
    // Ungating the step after alice approved it.
    plan["steps"][1]["gated"] = serde_json::Value::Bool(false);
    std::fs::write(&path, plan.to_string()).expect("write plan");
    test.args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: the plan's approvals do not cover its steps (it was edited after approval); approve it again\n")
        .status(4)
        .run();
}

#[test]
fn a_runbook_changed_since_its_approval_is_refused_with_each_difference() {
    approved(PLANNED)
        .runbook("---\nlitops:\n  lock_key: [TARGET]\n---\n# T\n\n## Prepare\n\n```bash\necho prepare twice\n```\n\n## Purge\n\n```bash {confirm=\"deletes rows\"}\necho purge\n```\n\n## Extra\n\n```bash\necho extra\n```\n")
        .args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: the runbook or its values differ from the approved plan; nothing was run:\n  * runbook.md changed since the plan was made from it\n  * litops.lock_key changed since the plan was approved\n  ~ prepare: script changed since it was approved\n  + extra: not in the approved plan\nreview the change: make a new plan (litops plan --out) and have it approved\n")
        .status(4)
        .run();
}

#[test]
fn an_approved_plan_takes_no_selection_of_steps() {
    approved(PLANNED)
        .args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json", "--step", "purge"])
        .stderr("error: --approved runs the approved plan's steps; leave out --step, --section, --tag, --from and --to\n")
        .status(2)
        .run();
}

#[test]
fn an_approved_selection_that_no_longer_matches_is_not_approved() {
    Test::new()
        .runbook(PLANNED)
        .args(["plan", "runbook.md", "--step", "purge", "--out", "plan.json"])
        .stdout_contains("  1. purge\n")
        .stderr("wrote plan.json: 1 step to approve (litops approve plan.json --by NAME)\n")
        .run()
        .then()
        .runbook("# T\n\n## Prepare\n\n```bash\necho prepare\n```\n\n## Delete\n\n```bash {confirm=\"deletes rows\"}\necho purge\n```\n")
        .args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: no step matches `purge`; `litops list FILE` shows the step ids\n")
        .status(4)
        .run();
}

#[test]
fn a_missing_approved_plan_is_a_usage_error() {
    Test::new()
        .runbook(ONE)
        .args([
            "run",
            "runbook.md",
            "--no-transcript",
            "--approved",
            "plan.json",
        ])
        .stderr("error: cannot read plan.json: No such file or directory (os error 2)\n")
        .status(2)
        .run();
}

#[test]
fn an_approved_plan_that_is_not_one_is_a_usage_error() {
    Test::new()
        .runbook(ONE)
        .file("plan.json", "{}")
        .args([
            "run",
            "runbook.md",
            "--no-transcript",
            "--approved",
            "plan.json",
        ])
        .stderr("error: plan.json is not an approvable plan: missing field `format` at line 1 column 2\n")
        .status(2)
        .run();
}

#[test]
fn an_approved_plan_of_another_format_is_a_usage_error() {
    let test = approved(PLANNED);
    let path = test.dir().join("plan.json");
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("plan")).expect("JSON");
    plan["format"] = "litops-plan/99".into();
    std::fs::write(&path, plan.to_string()).expect("write plan");
    test.args([
        "run",
        "runbook.md",
        "--no-transcript",
        "--approved",
        "plan.json",
    ])
    .stderr("error: plan.json: format \"litops-plan/99\"; this litops reads \"litops-approved-plan/2\"\n")
    .status(2)
    .run();
}

/// The lock file `litops run runbook.md` takes in the test's lock directory.
fn lock_file(test: &Test, key: &str) -> std::path::PathBuf {
    litops::lock::lock_path(
        &test.dir().join("locks"),
        &test.dir().join("runbook.md"),
        key,
    )
}

/// Holds `path` locked as a running litops would, until dropped.
fn hold(path: &std::path::Path, record: &str) -> nix::fcntl::Flock<std::fs::File> {
    std::fs::write(path, record).expect("write lock");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("open lock");
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .expect("lock")
}

#[test]
fn a_run_holding_the_lock_is_named() {
    let test = Test::new().runbook(
        "---\nlitops:\n  lock_key: [TARGET]\n---\n# T\n\n## A\n\n```bash\ntouch \"$TARGET\"\n```\n",
    );
    let lock = lock_file(&test, "TARGET=db1");
    let holder = litops::lock::Holder {
        pid: 4242,
        host: "db-host".into(),
        user: "ops".into(),
        started_at: "2026-11-01T03:00:00Z".into(),
        runbook: "runbook.md".into(),
        key: "TARGET=db1".into(),
    };
    let _held = hold(&lock, &serde_json::to_string(&holder).expect("JSON"));
    let ran = test
        .args(["run", "runbook.md", "--no-transcript", "--set", "TARGET=db1"])
        .stderr(format!(
            "error: another run holds $DIR/locks/{}: pid 4242 on db-host (ops), started 2026-11-01T03:00:00Z, for TARGET=db1\nnothing was run; wait for it to finish\n",
            file_name(&lock)
        ))
        .status(7)
        .run();
    assert!(!ran.path("db1").exists());
}

#[test]
fn a_lock_held_without_a_record_says_so() {
    let test = Test::new().runbook(ONE);
    let lock = lock_file(&test, "");
    let _held = hold(&lock, "");
    test.args(["run", "runbook.md", "--no-transcript"])
        .stderr(format!(
            "error: another run holds $DIR/locks/{} (its holder is not recorded)\nnothing was run; wait for it to finish\n",
            file_name(&lock)
        ))
        .status(7)
        .run();
}

#[test]
fn a_lock_that_cannot_be_opened_is_refused() {
    let test = Test::new().runbook(ONE);
    let lock = lock_file(&test, "");
    std::fs::create_dir(&lock).expect("a directory in the lock's place");
    test.args(["run", "runbook.md", "--no-transcript"])
        .stderr(format!(
            "error: cannot lock $DIR/locks/{}: Is a directory (os error 21)\nnothing was run (LITOPS_LOCK_DIR chooses where locks go)\n",
            file_name(&lock)
        ))
        .status(7)
        .run();
}

#[test]
fn a_lock_that_is_not_a_regular_file_is_refused() {
    let test = Test::new().runbook(ONE);
    let lock = lock_file(&test, "");
    nix::unistd::mkfifo(&lock, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    test.args(["run", "runbook.md", "--no-transcript"])
        .stderr(format!(
            "error: refusing the lock file $DIR/locks/{}: it is not a regular file\nnothing was run (LITOPS_LOCK_DIR chooses where locks go)\n",
            file_name(&lock)
        ))
        .status(7)
        .run();
}

#[test]
fn a_relative_lock_directory_is_refused() {
    Test::new()
        .runbook(ONE)
        .env("LITOPS_LOCK_DIR", "locks")
        .args(["run", "runbook.md", "--no-transcript"])
        .stderr("error: refusing the lock directory locks: LITOPS_LOCK_DIR must be an absolute path\nnothing was run (LITOPS_LOCK_DIR chooses where locks go)\n")
        .status(7)
        .run();
}

#[test]
fn a_lock_directory_nobody_made_is_refused() {
    let test = Test::new().runbook(ONE);
    let missing = test.dir().join("no-locks");
    test.env("LITOPS_LOCK_DIR", missing)
        .args(["run", "runbook.md", "--no-transcript"])
        .stderr("error: refusing the lock directory $DIR/no-locks: it does not exist; a shared lock directory is created by an administrator (docs/scheduling.md)\nnothing was run (LITOPS_LOCK_DIR chooses where locks go)\n")
        .status(7)
        .run();
}

#[test]
fn a_lock_directory_reached_through_a_symbolic_link_is_refused() {
    let test = Test::new().runbook(ONE);
    let link = test.dir().join("link");
    std::os::unix::fs::symlink(test.dir().join("locks"), &link).expect("symlink");
    test.env("LITOPS_LOCK_DIR", link)
        .args(["run", "runbook.md", "--no-transcript"])
        .stderr("error: refusing the lock directory $DIR/link: it is not a directory (a symbolic link?)\nnothing was run (LITOPS_LOCK_DIR chooses where locks go)\n")
        .status(7)
        .run();
}

/// Only root can give a directory away to try it.
#[test]
fn a_lock_directory_of_another_user_is_refused() {
    if !nix::unistd::getuid().is_root() {
        return;
    }
    let test = Test::new().runbook(ONE);
    let theirs = test.dir().join("theirs");
    std::fs::create_dir(&theirs).expect("mkdir");
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    nix::unistd::chown(&theirs, Some(nix::unistd::Uid::from_raw(65534)), None).expect("chown");
    test.env("LITOPS_LOCK_DIR", theirs)
        .args(["run", "runbook.md", "--no-transcript"])
        .stderr("error: refusing the lock directory $DIR/theirs: it belongs to uid 65534, neither you nor root\nnothing was run (LITOPS_LOCK_DIR chooses where locks go)\n")
        .status(7)
        .run();
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn a_transcript_that_cannot_be_written_stops_the_run() {
    let ran = Test::new()
        .runbook(ONE)
        .file("not-a-dir", "")
        .args(["run", "runbook.md", "--transcript", "not-a-dir/t.jsonl"])
        .stderr("error: cannot write the transcript not-a-dir/t.jsonl: File exists (os error 17)\nnothing was run; fix the directory, choose another with --transcript PATH, or run with --no-transcript\n")
        .status(6)
        .run();
    assert!(!ran.path("ran").exists());
}

/// Issue 16: what a reviewer approves is what the plan file shows, and what
/// runs must be that. A readable script edited in the file is refused by
/// `approve`; with its digest recomputed, `approve` takes the text it shows
/// and `run` refuses, because today's script is another.
#[test]
fn i16_a_plan_whose_readable_script_was_edited_does_not_run() {
    let test = planned(PLANNED);
    let path = test.dir().join("plan.json");
    let mut plan: litops::approval::ApprovedPlan =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("plan")).expect("JSON");
    plan.steps[1].script = "echo harmless".to_owned();
    std::fs::write(&path, serde_json::to_string(&plan).expect("JSON")).expect("write plan");
    let test = test
        .args(["approve", "plan.json", "--by", "alice"])
        .stderr("error: plan.json was edited after `litops plan --out` wrote it (what it shows does not match its digest); make the plan again\n")
        .status(2)
        .run()
        .then();
    plan.digest = plan.computed_digest();
    std::fs::write(&path, serde_json::to_string(&plan).expect("JSON")).expect("write plan");
    test.args(["approve", "plan.json", "--by", "alice"])
        .stdout("approved by alice: T (2 steps, 1 gated) in plan.json\n")
        .run()
        .then()
        .args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: the runbook or its values differ from the approved plan; nothing was run:\n  ~ purge: script changed since it was approved\nreview the change: make a new plan (litops plan --out) and have it approved\n")
        .status(4)
        .run();
}

/// Issue 16: the shell that runs the steps is part of the approval.
#[test]
fn i16_a_shell_added_to_an_approved_runbook_is_refused() {
    approved(PLANNED)
        .runbook(&format!("---\nlitops:\n  shell: ./anything\n---\n{PLANNED}"))
        .args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: the runbook or its values differ from the approved plan; nothing was run:\n  * runbook.md changed since the plan was made from it\n  * the shell: approved \"bash\", now \"./anything\"\nreview the change: make a new plan (litops plan --out) and have it approved\n")
        .status(4)
        .run()
        .then()
        .runbook(PLANNED)
        .args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json", "--shell", "sh"])
        .stderr("error: the runbook or its values differ from the approved plan; nothing was run:\n  * the shell: approved \"bash\", --shell \"sh\"\nreview the change: make a new plan (litops plan --out) and have it approved\n")
        .status(4)
        .run();
}

/// Issue 16: the steps' order is part of the approval.
#[test]
fn i16_steps_moved_in_an_approved_runbook_are_refused() {
    approved(PLANNED)
        .runbook("# T\n\n## Purge\n\n```bash {confirm=\"deletes rows\"}\necho purge\n```\n\n## Prepare\n\n```bash\necho prepare\n```\n")
        .args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: the runbook or its values differ from the approved plan; nothing was run:\n  * runbook.md changed since the plan was made from it\n  * the steps' order: approved prepare, purge; now purge, prepare\nreview the change: make a new plan (litops plan --out) and have it approved\n")
        .status(4)
        .run();
}

/// Issue 16: a plan is approved for its runbook, not for another file with
/// the same steps.
#[test]
fn i16_a_plan_approved_for_one_runbook_does_not_run_another() {
    approved(PLANNED)
        .file("other.md", format!("<!-- another runbook -->\n{PLANNED}"))
        .args(["run", "other.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: the runbook or its values differ from the approved plan; nothing was run:\n  * other.md is not the runbook the plan was made from (runbook.md)\nreview the change: make a new plan (litops plan --out) and have it approved\n")
        .status(4)
        .run();
}

/// Issue 16: who approved is plain text.
#[test]
fn i16_an_approver_name_with_control_characters_is_refused() {
    planned(PLANNED)
        .args(["approve", "plan.json", "--by", "alice\n\u{1b}[2Jbob"])
        .stderr(
            "error: --by takes printable text: \"alice\\n\\u{1b}[2Jbob\" has control characters\n",
        )
        .status(2)
        .run();
}

/// Issue 16: `approve --show` prints everything the digest covers, and
/// approves nothing.
#[test]
fn i16_approve_show_prints_what_is_approved() {
    let test = planned(PLANNED);
    let plan: litops::approval::ApprovedPlan =
        serde_json::from_str(&std::fs::read_to_string(test.dir().join("plan.json")).expect("plan"))
            .expect("JSON");
    test.args(["approve", "plan.json", "--show"])
        .stdout(format!(
            "T\n  runbook: runbook.md ({})\n  made: {} by {}\n  shell: bash\n\n1. prepare [run]\n   $ echo prepare\n\n2. purge [run, gated]\n   $ echo purge\n\ndigest: {}\n",
            plan.content_hash, plan.created_at, plan.created_by, plan.digest
        ))
        .run()
        .then()
        .args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: the plan has no approval yet (litops approve PLAN --by NAME)\n")
        .status(4)
        .run();
}

/// Issue 16: a plan approved under the previous format is reported as
/// such, not as drift, and not run.
#[test]
fn i16_a_plan_of_the_older_format_asks_for_a_new_approval() {
    Test::new()
        .runbook(PLANNED)
        .file(
            "plan.json",
            "{\"format\": \"litops-approved-plan/1\", \"runbook\": \"runbook.md\", \"content_hash\": \"sha256:0\", \"steps\": [], \"approvals\": []}\n",
        )
        .args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: plan.json was approved under an older format (litops-approved-plan/1), which did not cover everything that decides what runs (the shell, the steps' order, all of each step's settings): re-approve it: make a new plan (litops plan --out) and have it approved; runbook.md has changed since then\n")
        .status(4)
        .run();
}

/// Issue 16: with an approval policy (an allowed-signers file and a count),
/// only approvals signed by listed keys count, each signer once, never the
/// user running the plan; keys made by the real ssh-keygen.
#[test]
fn i16_signed_approvals_are_counted_against_the_allowed_signers() {
    use crate::sign::{keygen, signer_line};
    let test = planned(PLANNED);
    let dir = test.dir().to_owned();
    let runner = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .expect("the user running the tests");
    let ed = ["-t", "ed25519"];
    let (alice, bob, me, eve) = (
        keygen(&dir, "alice", &ed),
        keygen(&dir, "bob", &["-t", "ecdsa", "-b", "256"]),
        keygen(&dir, "me", &ed),
        keygen(&dir, "eve", &ed),
    );
    let signers = [
        signer_line(
            "alice@example.com",
            &alice,
            "namespaces=\"litops-approval\" ",
        ),
        signer_line("bob@example.com", &bob, ""),
        signer_line(&format!("{runner}@ops"), &me, ""),
    ]
    .concat();
    std::fs::write(dir.join("allowed_signers"), signers).expect("allowed signers");
    owner_writes_only(&dir.join("allowed_signers"));
    let run = [
        "run",
        "runbook.md",
        "--no-transcript",
        "--approved",
        "plan.json",
        "--allowed-signers",
        "allowed_signers",
        "--required-approvals",
        "2",
    ];
    let test = test
        // Unsigned: does not count.
        .args(["approve", "plan.json", "--by", "carol"])
        .stdout("approved by carol: T (2 steps, 1 gated) in plan.json\n")
        .run()
        .then()
        .args(["approve", "plan.json", "--by", "alice", "--key"])
        .arg(&alice)
        .stdout_contains("approved by alice, signed with SHA256:")
        .run()
        .then()
        // The user running the plan signs too: not counted.
        .args(["approve", "plan.json", "--by", "me", "--key"])
        .arg(&me)
        .stdout_contains("approved by me, signed with SHA256:")
        .run()
        .then()
        // A key nobody listed.
        .args(["approve", "plan.json", "--by", "eve", "--key"])
        .arg(&eve)
        .stdout_contains("approved by eve, signed with SHA256:")
        .run()
        .then()
        .args(run)
        .stderr_contains("error: the plan needs 2 signed approvals by allowed signers (allowed_signers, from --allowed-signers); it has 1 (alice@example.com)\n  carol: not signed\n")
        .stderr_contains(&format!(
            "  me: signed as {runner}@ops, the user running this plan, who cannot approve their own run\n"
        ))
        .stderr_contains("  eve: the key that signed (SHA256:")
        .stderr_contains(") is not in allowed_signers\nsign with: litops approve PLAN --key ~/.ssh/id_ed25519 (a key listed in allowed_signers)\n")
        .status(4)
        .run()
        .then()
        .args(["approve", "plan.json", "--by", "bob", "--key"])
        .arg(&bob)
        .stdout_contains("approved by bob, signed with SHA256:")
        .run()
        .then()
        .args(run)
        .stdout_contains("✓ T: success; 2 succeeded, 0 failed, 0 skipped")
        .stderr("")
        .run()
        .then()
        // The transcript says who signed.
        .args(["run", "runbook.md", "--transcript", "t.jsonl", "--approved", "plan.json"])
        .args(&run[5..])
        .stdout_contains("✓ T: success; 2 succeeded, 0 failed, 0 skipped")
        .stderr("transcript: t.jsonl\n")
        .run()
        .then()
        .args(["transcript", "show", "t.jsonl"])
        .stdout_contains("; signed by alice@example.com, bob@example.com |\n")
        .run()
        .then();
    // The plan edited after the signatures: none of them counts.
    let path = test.dir().join("plan.json");
    let text = std::fs::read_to_string(&path).expect("plan");
    std::fs::write(&path, text.replace("echo purge", "echo purge everything")).expect("edit");
    test.args(run)
        .stderr("error: the plan's approvals do not cover its steps (it was edited after approval); approve it again\n")
        .status(4)
        .run();
}

/// Issue 16: with no approval policy, unsigned approvals still run a plan,
/// and the run says they were not checked, on stderr and in its transcript.
#[test]
fn i16_without_a_policy_an_unsigned_approval_runs_and_says_so() {
    approved(PLANNED)
        .args(["run", "runbook.md", "--transcript", "t.jsonl", "--approved", "plan.json"])
        .stdout_contains("✓ T: success; 2 succeeded, 0 failed, 0 skipped")
        .stderr("warning: the plan's approvals are not signed or not checked: no approval policy (--allowed-signers, or an approval-policy.yaml; docs/scheduling.md)\ntranscript: t.jsonl\n")
        .run()
        .then()
        .args(["transcript", "show", "t.jsonl"])
        .stdout_contains("approved by alice at ")
        .stdout_contains("; signatures not checked (no approval policy) |\n")
        .run();
}

/// Issue 16: the policy can live in a configuration file (here the user's,
/// `$XDG_CONFIG_HOME/litops/approval-policy.yaml`), outside the runbook and
/// the plan; an unsigned approval then does not count.
#[test]
fn i16_an_approval_policy_file_applies_without_flags() {
    let test = approved(PLANNED)
        .file(
            "config/litops/approval-policy.yaml",
            "allowed_signers: allowed_signers\nrequired_approvals: 1\n",
        )
        .file("config/litops/allowed_signers", "# nobody yet\n");
    let signers = test.dir().join("config/litops/allowed_signers");
    owner_writes_only(&test.dir().join("config/litops/approval-policy.yaml"));
    owner_writes_only(&signers);
    let test = test
        .args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: the plan needs 1 signed approval by allowed signers ($DIR/config/litops/allowed_signers, from $DIR/config/litops/approval-policy.yaml); it has 0\n  alice: not signed\nsign with: litops approve PLAN --key ~/.ssh/id_ed25519 (a key listed in $DIR/config/litops/allowed_signers)\n")
        .status(4)
        .run()
        .then();
    // Another local user who can write the allowed signers could list
    // their own key: such a file is refused.
    std::fs::set_permissions(
        &signers,
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    )
    .expect("chmod");
    test.args(["run", "runbook.md", "--no-transcript", "--approved", "plan.json"])
        .stderr("error: the allowed-signers file $DIR/config/litops/allowed_signers can be changed by other users (mode 0666); make it writable by its owner only (chmod go-w)\n")
        .status(4)
        .run();
}

/// Mode 0644, whatever the umask the tests run under.
fn owner_writes_only(path: &std::path::Path) {
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .expect("chmod");
}

const TWO_CLOUDS: &str = "# T\n\n## Credentials\n\n```bash\n# GKE\necho gcloud get-credentials >> ran.txt\n\n# EKS\necho aws update-kubeconfig >> ran.txt\n```\n";

/// `TWO_CLOUDS` planned with `--choose cloud=eks`, approved by alice.
fn two_clouds_approved_for_eks() -> Test {
    Test::new()
        .runbook(TWO_CLOUDS)
        .args([
            "plan",
            "runbook.md",
            "--choose",
            "cloud=eks",
            "--out",
            "plan.json",
        ])
        .stderr("wrote plan.json: 1 step to approve (litops approve plan.json --by NAME)\n")
        .stdout_contains("     left out: lines 6-7 (`# GKE`): for cloud=gcp\n")
        .run()
        .then()
        .args(["approve", "plan.json", "--by", "alice"])
        .stdout("approved by alice: T (1 step, 0 gated) in plan.json\n")
        .run()
        .then()
}

/// Issue 13: the choice of an alternative is part of what is approved; the
/// approved choice runs unattended (a reviewer saw what was inferred), and
/// another is refused.
#[test]
fn i13_a_choice_is_part_of_the_approved_plan() {
    let test = two_clouds_approved_for_eks()
        .args(["run", "runbook.md", "--approved", "plan.json", "--choose", "cloud=gke"])
        .args(["--unattended", "--no-transcript"])
        .stderr("error: the runbook or its values differ from the approved plan; nothing was run:\n  ~ credentials: script changed since it was approved\nreview the change: make a new plan (litops plan --out) and have it approved\n")
        .status(4)
        .run()
        .then();
    let ran = test
        .args([
            "run",
            "runbook.md",
            "--approved",
            "plan.json",
            "--choose",
            "cloud=aws",
        ])
        .args(["--unattended", "--no-transcript"])
        .stdout_contains("✓ T: success; 1 succeeded, 0 failed, 0 skipped in ")
        .stderr_contains("no approval policy")
        .run();
    assert_eq!(
        std::fs::read_to_string(ran.path("ran.txt")).expect("ran"),
        "aws update-kubeconfig\n"
    );
    // The plan carries its choice: a run of it needs no --choose.
    std::fs::remove_file(ran.path("ran.txt")).expect("rm");
    let ran = ran
        .then()
        .args(["run", "runbook.md", "--approved", "plan.json"])
        .args(["--unattended", "--no-transcript"])
        .stdout_contains("✓ T: success; 1 succeeded, 0 failed, 0 skipped in ")
        .stderr_contains("no approval policy")
        .run();
    assert_eq!(
        std::fs::read_to_string(ran.path("ran.txt")).expect("ran"),
        "aws update-kubeconfig\n"
    );
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ran.path("plan.json")).expect("plan"))
            .expect("JSON");
    assert_eq!(plan["choices"], serde_json::json!(["cloud=aws"]));
}

/// The choices an approved plan carries are read back from a file anyone
/// with write access could edit: another choice voids the approvals, and a
/// value that is no option of the group is refused before anything runs.
#[test]
fn i13_a_plans_choices_edited_after_approval_are_refused() {
    let test = two_clouds_approved_for_eks();
    let plan = test.dir().join("plan.json");
    let text = std::fs::read_to_string(&plan).expect("plan");
    std::fs::write(&plan, text.replace("\"cloud=aws\"", "\"cloud=gcp\"")).expect("edit");
    let ran = test
        .args(["run", "runbook.md", "--approved", "plan.json"])
        .args(["--unattended", "--no-transcript"])
        .stderr("error: the plan's approvals do not cover its steps (it was edited after approval); approve it again\n")
        .status(4)
        .run();
    assert!(!ran.path("ran.txt").exists());
    let plan = ran.path("plan.json");
    let text = std::fs::read_to_string(&plan).expect("plan");
    std::fs::write(
        &plan,
        text.replace("\"cloud=gcp\"", "\"cloud=$(touch pwned)\""),
    )
    .expect("edit");
    let ran = ran
        .then()
        .args(["run", "runbook.md", "--approved", "plan.json"])
        .args(["--unattended", "--no-transcript"])
        .stderr("error: --choose cloud=$(touch pwned): not one of its options (gcp, aws)\n")
        .status(2)
        .run();
    assert!(!ran.path("pwned").exists() && !ran.path("ran.txt").exists());
}
