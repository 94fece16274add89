//! Interactive mode through a real PTY: the menus, gates, prompts for
//! missing values, editing a step, and Ctrl-C ending only the step.

use std::process::Command;
use std::time::Duration;

use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

use crate::support::{TempRunbook, fake_bin, repo};

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";

fn session(runbook: &TempRunbook, extra: &[&str], env: &[(&str, &str)]) -> PtySession {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("litops"));
    cmd.arg("run")
        .arg(runbook.path())
        .args(["--color", "never", "--no-env"])
        .args(extra);
    cmd.current_dir(runbook.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env("HOME", runbook.dir.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(15_000))
            .strip_ansi_escape_codes(true),
    )
    .expect("spawn in a pty")
}

/// Waits for a prompt, lets dialoguer switch the terminal to raw mode, types.
fn answer(p: &mut PtySession, prompt: &str, keys: &str) {
    p.exp_string(prompt)
        .unwrap_or_else(|e| panic!("no {prompt:?}: {e}"));
    std::thread::sleep(Duration::from_millis(150));
    p.send(keys).expect("send keys");
    p.flush().expect("flush");
}

/// Waits for a whole line of step output (the spinner clears its line with
/// `\r` before output is written, so a line starts after `\r` or `\n`).
fn line(p: &mut PtySession, text: &str) -> Result<(String, String), rexpect::error::Error> {
    p.exp_regex(&format!("[\r\n]{}\r\n", regex_escape(text)))
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

fn exit_code(p: &mut PtySession) -> Option<i32> {
    let _ = p.exp_eof();
    match p.process().wait() {
        Ok(rexpect::process::WaitStatus::Exited(_, code)) => Some(code),
        _ => None,
    }
}

const THREE: &str = "# T\n\n## First\n\n```bash\necho first-ran\n```\n\n## Second\n\n```bash\necho second-ran\n```\n\n## Third\n\n```bash\necho third-ran\n```\n";

#[test]
fn run_skip_quit() {
    let runbook = TempRunbook::new("three.md", THREE);
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "[1/3] first", "");
    answer(&mut p, "Step", ENTER);
    line(&mut p, "first-ran").expect("first ran");
    answer(&mut p, "[2/3] second", "");
    answer(&mut p, "Step", "s");
    p.exp_string("second skipped: skipped by the operator")
        .expect("second skipped");
    answer(&mut p, "[3/3] third", "");
    answer(&mut p, "Step", "q");
    let rest = p.exp_string("Stopped by the operator").expect("quit");
    assert!(!rest.contains("third-ran\r\n✓"), "{rest}");
    assert!(!rest.contains("✓ third"), "{rest}");
    // A run the operator quit is incomplete, never a success.
    assert_eq!(exit_code(&mut p), Some(8));
}

#[test]
fn gate_needs_an_explicit_yes() {
    let runbook = TempRunbook::new(
        "gate.md",
        "## Risky\n\n```bash {confirm=\"touches the cluster\"}\necho risky-ran\n```\n\n## Again\n\n```bash {confirm}\necho again-ran\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "Step", ENTER);
    answer(&mut p, "Run this gated step?", "y");
    line(&mut p, "risky-ran").expect("approved step ran");
    answer(&mut p, "Step", ENTER);
    answer(&mut p, "Run this gated step?", ENTER); // default is no
    p.exp_string("again skipped: gate not approved")
        .expect("refused");
    // A declined gate leaves the run incomplete: exit 8, never 0.
    p.exp_string("Incomplete, steps were declined")
        .expect("said so");
    assert_eq!(exit_code(&mut p), Some(8));
}

#[test]
fn production_gates_ask_to_type_the_cluster_name() {
    let runbook = TempRunbook::new(
        "prod.md",
        "---\nlitops:\n  production: true\n---\n## Deploy\n\n```bash {confirm}\nCLUSTER_NAME=clipper-prod printenv CLUSTER_NAME\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "Step", ENTER);
    answer(&mut p, "type `clipper-prod`", "clipper-prod\r");
    line(&mut p, "clipper-prod").expect("ran");
    p.exp_string("Done").expect("finished");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// A typo in the production confirmation asks again (it used to skip the
/// step); an empty answer declines it.
#[test]
fn a_mistyped_production_confirmation_asks_again() {
    let runbook = TempRunbook::new(
        "prod.md",
        "---\nlitops:\n  production: true\n---\n## Deploy\n\n```bash {confirm}\nCLUSTER_NAME=clipper-prod printenv CLUSTER_NAME\n```\n\n## Again\n\n```bash {confirm}\necho again-ran\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "Step", ENTER);
    answer(&mut p, "type `clipper-prod`", "clipper-prd\r");
    p.exp_string("`clipper-prd` is not `clipper-prod`")
        .expect("told");
    answer(&mut p, "type `clipper-prod`", "clipper-prod\r");
    line(&mut p, "clipper-prod").expect("ran");
    answer(&mut p, "Step", ENTER);
    answer(&mut p, "type `clipper-prod`", "\r");
    p.exp_string("again skipped: gate not approved")
        .expect("declined");
    assert_eq!(exit_code(&mut p), Some(8));
}

#[test]
fn missing_value_is_asked_for() {
    let runbook = TempRunbook::new(
        "ask.md",
        "---\nlitops:\n  vars:\n    TIER:\n      values: [staging, production]\n---\n## Greet\n\n```bash\necho \"hello $WHO in $TIER\"\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "WHO", "world\r");
    answer(&mut p, "TIER", &format!("{DOWN}{ENTER}"));
    answer(&mut p, "Step", ENTER);
    line(&mut p, "hello world in production").expect("values used");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// Runme's `skipPrompts: true`: a person at the terminal is not asked; a
/// missing value ends the run before its first step, as unattended.
#[test]
fn skip_prompts_in_the_front_matter_never_asks() {
    let runbook = TempRunbook::new(
        "skip.md",
        "---\nskipPrompts: true\n---\n## Greet\n\n```bash\necho \"hello $WHO\"\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    p.exp_string("1 variable without a value (the runbook's front matter says skipPrompts: true):")
        .expect("refused without asking");
    p.exp_string("WHO").expect("the variable named");
    assert_eq!(exit_code(&mut p), Some(3));
}

#[test]
fn edit_opens_the_editor_on_the_resolved_command() {
    let runbook = TempRunbook::new("edit.md", "## Edit\n\n```bash\necho original\n```\n");
    let editor = runbook.dir.path().join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nsed -i 's/original/edited/' \"$1\"\n").expect("editor");
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let editor = editor.display().to_string();
    let mut p = session(
        &runbook,
        &[],
        &[("EDITOR", editor.as_str()), ("VISUAL", editor.as_str())],
    );
    answer(&mut p, "Step", "e");
    // The change is shown and confirmed before it runs.
    p.exp_string("- echo original").expect("diff");
    p.exp_string("+ echo edited").expect("diff");
    answer(&mut p, "Run the edited step?", "y");
    line(&mut p, "edited").expect("the edited command ran");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// Issue 13: an edit that adds a risky command says so and is not run
/// without a yes; a step holding a secret is not written to a file for an
/// editor.
#[test]
fn i13_an_edit_is_read_again_and_confirmed() {
    let runbook = TempRunbook::new(
        "edit.md",
        "## Look\n\n```bash\necho look\n```\n\n## Secret\n\n```bash\necho <api-token> | wc -c\n```\n",
    );
    let editor = runbook.dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'kubectl delete namespace prod\\n' > \"$1\"\n",
    )
    .expect("editor");
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let editor = editor.display().to_string();
    let mut p = session(
        &runbook,
        &["--set", "API_TOKEN=tok-123456"],
        &[("EDITOR", editor.as_str()), ("VISUAL", editor.as_str())],
    );
    answer(&mut p, "Step", "e");
    p.exp_string("+ kubectl delete namespace prod")
        .expect("diff");
    // Enter: no.
    answer(&mut p, "Run the edited step? It deletes", ENTER);
    // Back at the menu: run the step as planned.
    answer(&mut p, "Step", ENTER);
    line(&mut p, "look").expect("the planned command ran");
    // The secret step: editing is refused, the menu comes back.
    answer(&mut p, "Step", "e");
    p.exp_string("cannot edit: the step holds secret values")
        .expect("refused");
    answer(&mut p, "Step", "s");
    assert_eq!(exit_code(&mut p), Some(8));
}

#[test]
fn ctrl_c_ends_only_the_step() {
    let marker = "1021.5";
    let runbook = TempRunbook::new(
        "long.md",
        format!(
            "## Follow\n\n```bash\necho following\nsleep {marker}\n```\n\n## Next\n\n```bash\necho next-ran\n```\n"
        ),
    );
    let mut p = session(&runbook, &["--grace", "1s"], &[]);
    answer(&mut p, "Step", ENTER);
    line(&mut p, "following").expect("step started");
    std::thread::sleep(Duration::from_millis(300));
    p.send_control('c').expect("ctrl-c");
    // Going on after Ctrl-C is a choice of its own.
    answer(&mut p, "follow was interrupted", "c");
    answer(&mut p, "[2/2] next", "");
    answer(&mut p, "Step", ENTER);
    line(&mut p, "next-ran").expect("the run went on");
    assert_eq!(exit_code(&mut p), Some(0));
    let left = Command::new("pgrep")
        .args(["-f", &format!("sleep {marker}")])
        .output()
        .expect("pgrep");
    assert!(
        left.stdout.is_empty(),
        "the interrupted step left a process"
    );
}

/// Issue 13, item 7: after Ctrl-C, Enter quits; it never goes on to the
/// next step.
#[test]
fn i13_after_ctrl_c_enter_quits() {
    let runbook = TempRunbook::new(
        "long.md",
        "## Follow\n\n```bash\necho following\nsleep 1022.5\n```\n\n## Next\n\n```bash\necho next-ran\n```\n",
    );
    let mut p = session(&runbook, &["--grace", "1s"], &[]);
    answer(&mut p, "Step", ENTER);
    line(&mut p, "following").expect("step started");
    std::thread::sleep(Duration::from_millis(300));
    p.send_control('c').expect("ctrl-c");
    answer(&mut p, "follow was interrupted", ENTER);
    let rest = p.exp_eof().expect("the run ends");
    assert!(!rest.contains("next-ran"), "{rest}");
    // Ended by Ctrl-C: 130, as a shell reports it.
    assert_eq!(exit_code(&mut p), Some(130));
}

/// Issue 13, item 7: the step is shown once, before it is asked about:
/// its header is not printed again when it starts, its commands are shown
/// as typed, and only the variables it reads are listed.
#[test]
fn i13_a_step_is_shown_once_with_the_variables_it_reads() {
    let runbook = TempRunbook::new(
        "vars.md",
        "---\nlitops:\n  vars:\n    REGION:\n      default: eu\n    NAME:\n      default: other\n---\n# T\n\n## Show\n\n```bash\ncat <<EOF\nin $REGION\nEOF\n```\n",
    );
    let mut p = session(&runbook, &["--yes"], &[]);
    let shown = p.exp_string("Step").expect("the step's prompt");
    assert!(shown.contains("  variables: REGION=eu\r\n"), "{shown}");
    assert!(!shown.contains("NAME="), "{shown}");
    assert!(
        shown.contains("  $ cat <<EOF\r\n    in $REGION\r\n    EOF\r\n"),
        "{shown}"
    );
    std::thread::sleep(Duration::from_millis(150));
    p.send(ENTER).expect("run it");
    p.flush().expect("flush");
    let before = p.exp_string("in eu").expect("the step ran");
    assert!(!before.contains("▶ [1/1]"), "the header again: {before}");
    assert_eq!(exit_code(&mut p), Some(0));
}

#[test]
fn long_steps_show_a_spinner_with_elapsed_time() {
    let runbook = TempRunbook::new(
        "slow.md",
        "## Slow\n\n```bash\necho started\nsleep 1.6\necho finished\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "Step", ENTER);
    line(&mut p, "started").expect("output before the spinner");
    p.exp_string("slow 1s")
        .expect("spinner with the elapsed time");
    line(&mut p, "finished").expect("output after the spinner, on its own line");
    assert_eq!(exit_code(&mut p), Some(0));
}

#[test]
fn a_value_with_a_default_in_the_script_is_asked_with_that_default() {
    let runbook = TempRunbook::new(
        "defaults.md",
        "## Show\n\n```bash\necho \"region=${REGION:-us-east-1} zone=${ZONE:-a}\"\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    // The default is offered; Enter keeps it. A typed value replaces it.
    answer(&mut p, "us-east-1", ENTER);
    answer(&mut p, "ZONE", "c\r");
    answer(&mut p, "Step", ENTER);
    line(&mut p, "region=us-east-1 zone=c").expect("the default kept, the typed value used");
    assert_eq!(exit_code(&mut p), Some(0));
}

#[test]
fn a_shell_opens_where_the_session_is() {
    let runbook = TempRunbook::new(
        "shell.md",
        "## Prepare\n\n```bash\nmkdir -p here && cd here\nexport MARK=session-value\n```\n\n## Next\n\n```bash\necho next-ran\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "[1/2] prepare", "");
    answer(&mut p, "Step", ENTER);
    answer(&mut p, "[2/2] next", "");
    answer(&mut p, "Step", "o");
    answer(
        &mut p,
        "(litops)",
        "echo \"shell sees $MARK in ${PWD##*/}\"\r",
    );
    line(&mut p, "shell sees session-value in here").expect("the shell has the session");
    answer(&mut p, "(litops)", "exit\r");
    answer(&mut p, "Step", ENTER);
    line(&mut p, "next-ran").expect("back in the run");
    assert_eq!(exit_code(&mut p), Some(0));
}

#[test]
fn a_failed_check_offers_a_retry() {
    let runbook = TempRunbook::new(
        "check.md",
        "## Wait\n\n```bash\nn=$(cat count 2>/dev/null || echo 0)\necho $((n + 1)) > count\necho \"try $((n + 1))\"\n```\n\n```rhai\nif stdout.contains(\"try 2\") { pass() } else { fail(\"not yet: \" + stdout) }\n```\n",
    );
    let mut p = session(&runbook, &["--no-transcript"], &[]);
    answer(&mut p, "[1/1] wait", "");
    answer(&mut p, "Step", ENTER);
    p.exp_string("block check failed: not yet: try 1")
        .expect("the check fails first");
    // Retry is the default.
    answer(&mut p, "wait ran, but its check did not pass", ENTER);
    p.exp_string("block check passed").expect("then passes");
    p.exp_string("Done: 1 succeeded, 0 failed").expect("done");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// Issue 13: a person is asked once per axis, from its options: choosing
/// `eks` runs the EKS section and the `# EKS` lines of a block, nothing of
/// GKE.
#[test]
fn i13_an_axis_is_asked_once_from_its_options() {
    let runbook = TempRunbook::new(
        "clouds.md",
        "# T\n\n## Provision\n\n### GKE\n\n```bash\nCLOUD=gke echo provision-gke\n```\n\n### EKS\n\n```bash\nCLOUD=eks echo provision-eks\n```\n\n## Credentials\n\n```bash\n# GKE\necho creds-gke\n\n# EKS\necho creds-eks\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    // Options in document order: gke, eks.
    answer(&mut p, "CLOUD", &format!("{DOWN}{ENTER}"));
    answer(&mut p, "eks", "");
    answer(&mut p, "Step", ENTER);
    line(&mut p, "provision-eks").expect("the EKS section ran");
    answer(&mut p, "Step", ENTER);
    let (before, _) = line(&mut p, "creds-eks").expect("the # EKS lines ran");
    assert!(!before.contains("creds-gke"), "{before}");
    let rest = p.exp_string("Done").expect("done");
    assert!(
        !rest.contains("gke-ran") && !rest.contains("provision-gke"),
        "{rest}"
    );
    assert_eq!(exit_code(&mut p), Some(0));
}

/// Issue 13: a menu offers its entries by label; the one chosen runs with
/// the lines every entry shares.
#[test]
fn i13_a_menu_offers_its_entries() {
    let runbook = TempRunbook::new(
        "menu.md",
        "# T\n\n## Roll back\n\n```bash\n# History\necho history-shown\n\n# Previous version\necho undo-previous\n\n# Or a specific revision\necho undo-revision-3\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "1 # Previous version", "");
    answer(
        &mut p,
        "2 # Or a specific revision",
        &format!("{DOWN}{ENTER}"),
    );
    answer(&mut p, "Step", ENTER);
    line(&mut p, "history-shown").expect("shared lines ran");
    let before = p
        .exp_string("undo-revision-3\r\n")
        .expect("chosen entry ran");
    assert!(!before.contains("undo-previous\r\n"), "{before}");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// Issue 13: a block that asks for an edit by hand shows it, and runs only
/// once the person says it is done.
#[test]
fn i13_work_by_hand_is_confirmed_before_the_step_runs() {
    let runbook = TempRunbook::new(
        "edit.md",
        "# T\n\n## Deploy\n\n```bash\n# Edit kustomization.yaml to set newTag: v1.2.3\n\n# Apply\necho applied\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    p.exp_string("by hand first: line 6: Edit kustomization.yaml to set newTag: v1.2.3 (before `echo applied`)")
        .expect("the work is shown");
    answer(&mut p, "Step", ENTER);
    // Not done yet: the step does not run, the menu comes back.
    answer(&mut p, "Have you done the work by hand above?", ENTER);
    p.exp_string("not run: do the work by hand first")
        .expect("refused");
    answer(&mut p, "Step", ENTER);
    answer(&mut p, "Have you done the work by hand above?", "y");
    line(&mut p, "applied").expect("ran once confirmed");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// Issue 13, item 4: a person follows `tail -f` until they have seen
/// enough; Ctrl-C ends that command and the step goes on with its next
/// line, a success.
#[test]
fn i13_ctrl_c_ends_a_followed_command_and_the_step_goes_on() {
    let runbook = TempRunbook::new(
        "follow.md",
        "## Watch\n\n```bash\necho seen-line > log.txt\ntail -f log.txt\necho after-follow\n```\n",
    );
    let mut p = session(&runbook, &["--grace", "1s"], &[]);
    answer(&mut p, "Step", ENTER);
    line(&mut p, "seen-line").expect("following");
    std::thread::sleep(Duration::from_millis(300));
    p.send_control('c').expect("ctrl-c");
    line(&mut p, "after-follow").expect("the step went on");
    p.exp_string("Done: 1 succeeded").expect("a success");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// Issue 13, item 7: Ctrl-C at the step menu quits the run and gives the
/// terminal its cursor back (the menu hid it).
#[test]
fn i13_ctrl_c_at_the_menu_restores_the_cursor() {
    let runbook = TempRunbook::new("menu.md", "## One\n\n```bash\necho one\n```\n");
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("litops"));
    cmd.arg("run")
        .arg(runbook.path())
        .args(["--color", "never", "--no-env", "--no-transcript"])
        .current_dir(runbook.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm-256color")
        .env("HOME", runbook.dir.path());
    let mut p =
        spawn_with_options(cmd, Options::new().timeout_ms(Some(15_000))).expect("spawn in a pty");
    p.exp_string("Step").expect("menu");
    std::thread::sleep(Duration::from_millis(150));
    p.send_control('c').expect("ctrl-c");
    let (rest, _) = p.exp_regex("Stopped by the operator").expect("quit");
    let shown = p.exp_eof().unwrap_or_default();
    let all = format!("{rest}{shown}");
    let hidden = all.rfind("\x1b[?25l");
    let restored = all.rfind("\x1b[?25h");
    assert!(
        restored.is_some() && restored > hidden,
        "the cursor is left hidden: {all:?}"
    );
}

/// Issue 13, item 7: one key answers (`r`, `s`, `e`, `o`, `a`, `q`); `a`
/// runs this step and the rest without asking before each.
#[test]
fn i13_single_keys_and_all_remaining_steps() {
    let runbook = TempRunbook::new("three.md", THREE);
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "[1/3] first", "");
    p.exp_string("Step: >[r]un<  [s]kip  [e]dit the command  [o]pen a shell here  [a]ll remaining steps, without asking  [q]uit")
        .expect("the keys are shown");
    p.send("r").expect("r");
    p.flush().expect("flush");
    line(&mut p, "first-ran").expect("first ran");
    answer(&mut p, "[2/3] second", "");
    answer(&mut p, "Step", "a");
    line(&mut p, "second-ran").expect("second ran");
    let (between, _) = line(&mut p, "third-ran").expect("third ran unasked");
    assert!(!between.contains("Step:"), "asked again: {between}");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// After a failure, a shell opens where the session is: what the person
/// fixes there (a file in the session's directory) the retry sees; what the
/// shell changes of the session itself is said not to carry back.
#[test]
fn i13_a_shell_after_a_failure_then_retry() {
    let runbook = TempRunbook::new(
        "fix.md",
        "## Prepare\n\n```bash\nmkdir -p work && cd work\n```\n\n## Check\n\n```bash\ntest -f ready && echo ready-found\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "Step", "r");
    answer(&mut p, "[2/2] check", "");
    answer(&mut p, "Step", "r");
    answer(&mut p, "check failed", "o");
    p.exp_string("is not carried back")
        .expect("the shell says what it keeps");
    answer(&mut p, "(litops)", "touch ready\r");
    answer(&mut p, "(litops)", "exit\r");
    answer(&mut p, "check failed", "r");
    line(&mut p, "ready-found").expect("the retry saw the fix");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// A manual step offers a shell to do the work in, then asks again.
#[test]
fn i13_a_shell_on_a_manual_step() {
    let runbook = TempRunbook::new(
        "hand.md",
        "## Hand\n\n```bash {manual}\nvi /etc/motd\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    p.exp_string("manual step hand").expect("manual");
    answer(&mut p, "When you have done it", "o");
    answer(&mut p, "(litops)", "echo in-the-shell\r");
    line(&mut p, "in-the-shell").expect("the shell ran");
    answer(&mut p, "(litops)", "exit\r");
    answer(&mut p, "When you have done it", "d");
    p.exp_string("done by hand")
        .expect("recorded as done by hand");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// Issue 13's must-show, interactively: the seed in a real terminal, with
/// recording fakes of the cloud CLIs. The cloud is asked once, from its
/// options; choosing eks runs the AWS secret store's section, the `# EKS`
/// lines of the credentials block and of the upgrade block, and nothing of
/// GKE or AKS.
#[test]
fn i13_the_seed_asks_for_the_cloud_once() {
    let text = std::fs::read_to_string(repo().join(crate::support::SEED)).expect("seed");
    let runbook = TempRunbook::new("runbook.md", text);
    let path = fake_bin(
        runbook.dir.path(),
        &["kubectl", "aws", "gcloud", "az", "eksctl"],
    );
    let log = runbook.dir.path().join("calls.log");
    let sections = [
        "--section",
        "Configure External Secrets",
        "--section",
        "Get Cluster Credentials",
        "--section",
        "Update Kubernetes Version",
        "--set",
        "SECURE_PASSWORD=pw-123456",
    ];
    let mut p = session(
        &runbook,
        &sections,
        &[("PATH", &path), ("FAKE_LOG", &log.to_string_lossy())],
    );
    // Options in document order: gke, eks, aks.
    answer(&mut p, "CLOUD_PROVIDER", &format!("{DOWN}{ENTER}"));
    answer(&mut p, "Step", "a");
    // The gates still ask: the secret store's setup, the upgrade.
    answer(&mut p, "Run this gated step?", "y");
    answer(&mut p, "Run this gated step?", "y");
    let rest = p.exp_string("Done").expect("done");
    assert!(!rest.contains("CLOUD_PROVIDER"), "asked twice: {rest}");
    assert_eq!(exit_code(&mut p), Some(0));
    let calls = std::fs::read_to_string(&log).expect("calls");
    let tools: Vec<&str> = calls.lines().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(
        tools,
        [
            "eksctl", "aws", "kubectl", "kubectl", "kubectl", "kubectl", "aws", "eksctl"
        ],
        "{calls}"
    );
}

/// Work by hand in the middle of a step is asked for where the step gets
/// to it: the commands before it have run (the `cd`), a shell opens there,
/// and the rest runs once the work is done.
#[test]
fn i13_work_by_hand_stops_the_step_at_its_line() {
    let runbook = TempRunbook::new(
        "deploy.md",
        "# T\n\n## Deploy\n\n```bash\nmkdir -p overlay && cd overlay\necho before-the-edit\n# Edit kustomization.yaml to set newTag: v1.2.3\ngrep newTag kustomization.yaml\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    p.exp_string("by hand when the step gets there: line 8: Edit kustomization.yaml to set newTag: v1.2.3 (before `grep newTag kustomization.yaml`)")
        .expect("the work is shown with the step");
    answer(&mut p, "Step", "r");
    line(&mut p, "before-the-edit").expect("the commands before the work ran");
    p.exp_string("! deploy: waits for work by hand: line 8: Edit kustomization.yaml")
        .expect("stopped at the work");
    answer(&mut p, "When you have done it", "o");
    answer(
        &mut p,
        "(litops)",
        "echo newTag: v1.2.3 > kustomization.yaml\r",
    );
    answer(&mut p, "(litops)", "exit\r");
    answer(&mut p, "When you have done it", "d");
    line(&mut p, "newTag: v1.2.3").expect("the rest ran where the step was, after the edit");
    p.exp_string("Done: 1 succeeded")
        .expect("one step, one success");
    assert_eq!(exit_code(&mut p), Some(0));
}

/// Quitting at the work by hand stops the run there: what comes after the
/// work does not run, and the run is incomplete.
#[test]
fn i13_quitting_at_the_work_by_hand_runs_nothing_after_it() {
    let runbook = TempRunbook::new(
        "deploy.md",
        "# T\n\n## Deploy\n\n```bash\necho before-the-edit\n# Edit kustomization.yaml to set newTag: v1.2.3\ntest -d . && echo after-the-edit\n```\n",
    );
    let mut p = session(&runbook, &[], &[]);
    answer(&mut p, "Step", "r");
    line(&mut p, "before-the-edit").expect("ran up to the work");
    answer(&mut p, "When you have done it", "q");
    let (rest, _) = p
        .exp_regex("quit at the work by hand: what comes after it did not run")
        .expect("said");
    assert!(!rest.contains("after-the-edit"), "{rest}");
    assert_eq!(exit_code(&mut p), Some(8));
}
