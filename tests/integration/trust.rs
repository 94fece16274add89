//! Regression tests for the adversarial review ("Trust"): each is named
//! after its finding and drives the real binary.

use std::path::{Path, PathBuf};

use crate::support::{Workspace, litops, stderr, stdout};
use crate::test::Test;

impl Workspace {
    /// `litops run RUNBOOK --unattended --yes`, for more settings.
    fn running(&self) -> assert_cmd::Command {
        let mut cmd = self.litops();
        cmd.arg("run")
            .arg(self.runbook.path())
            .args(["--unattended", "--yes"]);
        cmd
    }

    fn run_unattended(&self, args: &[&str]) -> std::process::Output {
        self.running().args(args).output().expect("runs")
    }

    fn plan(&self, args: &[&str]) -> std::process::Output {
        self.litops()
            .arg("plan")
            .arg(self.runbook.path())
            .args(args)
            .output()
            .expect("runs")
    }

    fn marker(&self) -> PathBuf {
        self.dir().join("pwned")
    }

    /// The one transcript of the runs so far, as text.
    fn transcripts_text(&self) -> String {
        let mut text = String::new();
        for dir in std::fs::read_dir(self.runs()).expect("runs").flatten() {
            for file in std::fs::read_dir(dir.path()).expect("dir").flatten() {
                text.push_str(&std::fs::read_to_string(file.path()).expect("read"));
            }
        }
        text
    }
}

fn step(body: &str) -> String {
    format!("# Trust\n\n## Step\n\n```bash\n{body}\n```\n")
}

/// A step with `body` is refused up front with `hostile` bound (stderr
/// holding `reason`, nothing run) and runs with `harmless`; the output of
/// the run that went.
fn refused_then_runs(body: &str, set: (&str, &str, &str), reason: &str) -> std::process::Output {
    runbook_refused_then_runs(&step(body), set, reason)
}

/// The refusal of a value placed in another shell's code.
const SHELL: &str = "reads again as shell";
/// The refusal of a value placed in another language's program.
const PROGRAM: &str = "is placed in the program text of";

/// (body, a value that runs, a value that is data there, the reason of
/// the refusal, a line the run with the data prints once).
type Case<'a> = (&'a str, &'a str, &'a str, &'a str, Option<&'a str>);

/// [`refused_then_runs`] for each case, the value bound to NAME.
fn each_refused_then_runs(cases: &[Case]) {
    for &(body, hostile, harmless, reason, output) in cases {
        let out = refused_then_runs(body, ("NAME", hostile, harmless), reason);
        if let Some(output) = output {
            let lines = stdout(&out).lines().filter(|l| *l == output).count();
            assert_eq!(lines, 1, "{body}: {}", stdout(&out));
        }
    }
}

/// [`refused_then_runs`] for a whole runbook.
fn runbook_refused_then_runs(
    runbook: &str,
    set: (&str, &str, &str),
    reason: &str,
) -> std::process::Output {
    let (name, hostile, harmless) = set;
    let rb = Workspace::new("rb.md", runbook);
    let out = rb.run_unattended(&["--set", &format!("{name}={hostile}")]);
    assert!(!rb.marker().exists(), "{runbook}: the value ran");
    assert_eq!(out.status.code(), Some(2), "{runbook}: {}", stderr(&out));
    assert!(stderr(&out).contains(reason), "{runbook}: {}", stderr(&out));
    let out = rb.run_unattended(&["--set", &format!("{name}={harmless}")]);
    assert_eq!(out.status.code(), Some(0), "{runbook}: {}", stderr(&out));
    out
}

#[test]
fn h1_session_files_are_private() {
    let rb = Workspace::new(
        "rb.md",
        "# Trust\n\n## Set\n\n```bash\nexport TOKEN_VALUE=abc\n```\n\n## Look\n\n```bash\ndir=$(dirname \"${BASH_SOURCE[0]}\")\nstat -c '%a %n' \"$dir\" \"$dir\"/state.sh \"$dir\"/step.sh \"$dir\"/owner\n```\n",
    );
    let out = rb.run_unattended(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let modes: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("litops-session-"))
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(modes, ["700", "600", "600", "600"], "{text}");
}

#[test]
fn h2_a_planted_lock_file_symlink_truncates_nothing() {
    let rb = Workspace::new("rb.md", &step("echo ran"));
    let locks = rb.dir().join("locks");
    std::fs::create_dir(&locks).expect("mkdir");
    let victim = rb.dir().join("victim");
    std::fs::write(&victim, "precious\n").expect("write");
    let lock = litops::lock::lock_path(&locks, rb.runbook.path(), "");
    std::os::unix::fs::symlink(&victim, &lock).expect("symlink");
    let out = rb
        .running()
        .env("LITOPS_LOCK_DIR", &locks)
        .output()
        .expect("runs");
    assert_ne!(out.status.code(), Some(0));
    assert!(!stdout(&out).contains("ran\n"), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_to_string(&victim).expect("read"),
        "precious\n"
    );
}

#[test]
fn h2_a_shared_lock_directory_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let test = Test::new().file("rb.md", step("echo ran"));
    let locks = test.dir().join("shared");
    std::fs::create_dir(&locks).expect("mkdir");
    std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let refused = test
        .args(["run", "rb.md", "--unattended", "--yes", "--no-transcript"])
        .env("LITOPS_LOCK_DIR", &locks)
        .stderr("error: refusing the lock directory $DIR/shared: anyone can write it and it is not sticky\nnothing was run (LITOPS_LOCK_DIR chooses where locks go)\n")
        .status(7)
        .run();
    // Sticky, as /tmp is: accepted.
    std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    refused
        .then()
        .args(["run", "rb.md", "--unattended", "--yes", "--no-transcript"])
        .env("LITOPS_LOCK_DIR", &locks)
        .stdout_contains("\nran\n")
        .run();
}

/// In a shared runs directory, someone else can make the runbook's
/// directory first, or a symbolic link to one of theirs: the transcript
/// never goes there, and nothing runs unrecorded.
#[test]
fn h1_a_transcript_never_goes_into_a_directory_someone_else_made() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    let test = Test::new().file("rb.md", step("echo ran"));
    let runs = test.dir().join("runs");
    let theirs = test.dir().join("theirs");
    std::fs::create_dir(&runs).expect("mkdir");
    std::fs::create_dir(&theirs).expect("mkdir");
    mode(&runs, 0o1777);
    std::os::unix::fs::symlink(&theirs, runs.join("rb")).expect("symlink");
    let run = ["run", "rb.md", "--unattended", "--yes"];
    let refused = "\nnothing was run; fix the directory, choose another with --transcript PATH, or run with --no-transcript\n";
    let ran = test
        .args(run)
        .env("LITOPS_RUNS_DIR", &runs)
        .stderr_contains(&format!(
            "$DIR/runs/rb is not a directory (a symbolic link?){refused}"
        ))
        .status(6)
        .run();
    assert_eq!(std::fs::read_dir(&theirs).expect("read").count(), 0);
    // A directory of the runbook's name that others can write.
    std::fs::remove_file(runs.join("rb")).expect("rm");
    std::fs::create_dir(runs.join("rb")).expect("mkdir");
    mode(&runs.join("rb"), 0o777);
    let ran = ran
        .then()
        .args(run)
        .env("LITOPS_RUNS_DIR", &runs)
        .stderr_contains(&format!(
            "$DIR/runs/rb can be written by others (mode 777){refused}"
        ))
        .status(6)
        .run();
    // One that belongs to someone else (as root, the test can make one).
    let ran = if nix::unistd::geteuid().is_root() {
        mode(&runs.join("rb"), 0o700);
        nix::unistd::chown(
            &runs.join("rb"),
            Some(nix::unistd::Uid::from_raw(65534)),
            None,
        )
        .expect("chown");
        ran.then()
            .args(run)
            .env("LITOPS_RUNS_DIR", &runs)
            .stderr_contains(&format!(
                "$DIR/runs/rb belongs to uid 65534, not to you{refused}"
            ))
            .status(6)
            .run()
    } else {
        ran
    };
    // A runs directory others can write, not sticky: they could move ours.
    std::fs::remove_dir(runs.join("rb")).expect("rmdir");
    mode(&runs, 0o777);
    let ran = ran
        .then()
        .args(run)
        .env("LITOPS_RUNS_DIR", &runs)
        .stderr_contains(&format!(
            "$DIR/runs can be written by others and is not sticky (mode 777){refused}"
        ))
        .status(6)
        .run();
    // Sticky, as /tmp is: the run goes, its directory made 0700.
    mode(&runs, 0o1777);
    let _ran = ran
        .then()
        .args(run)
        .env("LITOPS_RUNS_DIR", &runs)
        .stdout_contains("\nran\n")
        .stderr_contains("transcript: $DIR/runs/rb/")
        .run();
    let made = std::fs::symlink_metadata(runs.join("rb")).expect("made");
    assert!(made.is_dir());
    assert_eq!(made.permissions().mode() & 0o777, 0o700);
    // A runs directory of someone else's (mode 755): they can move ours.
    if nix::unistd::geteuid().is_root() {
        std::fs::remove_dir_all(runs.join("rb")).expect("rm");
        mode(&runs, 0o755);
        nix::unistd::chown(&runs, Some(nix::unistd::Uid::from_raw(65534)), None).expect("chown");
        _ran.then()
            .args(run)
            .env("LITOPS_RUNS_DIR", &runs)
            .stderr_contains(&format!(
                "$DIR/runs belongs to uid 65534, not to you or root{refused}"
            ))
            .status(6)
            .run();
    }
}

#[test]
fn low_a_symlink_to_the_runbook_takes_the_same_lock() {
    let rb = Workspace::new("rb.md", &step("echo ran"));
    let link = rb.dir().join("other-name.md");
    std::os::unix::fs::symlink(rb.runbook.path(), &link).expect("symlink");
    let locks = rb.dir();
    assert_eq!(
        litops::lock::lock_path(locks, rb.runbook.path(), ""),
        litops::lock::lock_path(locks, &link, "")
    );
}

#[test]
fn h3_values_inside_backticks_stay_data() {
    let rb = Workspace::new(
        "rb.md",
        &step(
            "POD=`echo \"<app-name>\"`\nprintf '[%s]\\n' \"$POD\"\nLAST=`echo <app-name>`\nprintf '[%s]\\n' \"$LAST\"",
        ),
    );
    for value in [
        "$(touch pwned)",
        "`touch pwned`",
        "x` ; touch pwned ; `",
        "a\\b$c\"d",
    ] {
        let out = rb.run_unattended(&["--set", &format!("APP_NAME={value}")]);
        assert!(!rb.marker().exists(), "{value:?} ran code");
        if out.status.code() == Some(0) {
            // Double-quoted inside: the exact value; unquoted: as bash splits it.
            assert!(
                stdout(&out).contains(&format!("[{value}]\n")),
                "{value:?}: {}",
                stdout(&out)
            );
        }
    }
}

#[test]
fn h6_the_environment_does_not_change_a_value_the_runbook_writes() {
    let rb = Workspace::new("rb.md", &step("AWS_PROFILE=staging printenv AWS_PROFILE"));
    let out = rb
        .running()
        .env("AWS_PROFILE", "production")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("\nstaging\n"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(
            "warning: step step: AWS_PROFILE: the runbook sets \"staging\" here; the environment's value is not used (--set AWS_PROFILE=… overrides)"
        ),
        "{}",
        stderr(&out)
    );
    let plan = rb
        .litops()
        .env("AWS_PROFILE", "production")
        .arg("plan")
        .arg(rb.runbook.path())
        .output()
        .expect("runs");
    assert!(stdout(&plan).contains("     note: AWS_PROFILE: the runbook sets \"staging\" here"));
    let out = rb.run_unattended(&["--set", "AWS_PROFILE=dev"]);
    assert!(stdout(&out).contains("\ndev\n"), "{}", stdout(&out));
}

#[test]
fn h6_a_hardening_path_prefix_is_kept() {
    let rb = Workspace::new("rb.md", &step("PATH=/usr/bin:/bin printenv PATH"));
    let out = rb
        .running()
        .env(
            "PATH",
            format!("/nonexistent:{}", std::env::var("PATH").unwrap_or_default()),
        )
        .output()
        .expect("runs");
    assert!(
        stdout(&out).contains("\n/usr/bin:/bin\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn m1_values_in_arithmetic_must_be_integers() {
    let rb = Workspace::new(
        "rb.md",
        &step(
            "if (( <count> > 3 )); then echo big; fi\necho $(( <count> + 1 ))\nlet n=<count>\na=(1 2 3); echo \"${a[<count>]}\"\n[[ <count> -ge 1 ]] && echo ge",
        ),
    );
    let out = rb.run_unattended(&["--set", "COUNT=a[$(touch pwned)]"]);
    assert!(!rb.marker().exists());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: step step: COUNT: the value \"a[$(touch pwned)]\" is not an integer; it is placed where bash evaluates arithmetic"),
        "{}",
        stderr(&out)
    );
    let out = rb.run_unattended(&["--set", "COUNT=1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("\n2\n"), "{}", stdout(&out));
}

#[test]
fn m1_a_bound_variable_read_in_arithmetic_must_be_an_integer() {
    let rb = Workspace::new(
        "rb.md",
        "---\nlitops:\n  vars:\n    COUNT:\n      description: how many\n---\n# Trust\n\n## Step\n\n```bash\nif (( $COUNT > 3 )); then echo big; fi\n```\n",
    );
    let out = rb.run_unattended(&["--set", "COUNT=a[$(touch pwned)]"]);
    assert!(!rb.marker().exists());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Bash evaluates a variable named bare in arithmetic (`(( N > 3 ))`) as
/// arithmetic too, and a value assigned to such a variable: only integers.
#[test]
fn m1_a_value_named_bare_in_arithmetic_must_be_an_integer() {
    let cases = [
        "echo \"$N\"; (( N > 3 )) || true",
        "echo \"$N\"; echo $(( N + 1 ))",
        "echo \"$N\"; arr=(a b); echo \"${arr[N]}\"",
        "echo \"$N\"; s=abcdef; echo \"${s:N}\"",
        "echo \"$N\"; for ((i = 0; i < N; i++)); do :; done",
        "echo \"$N\"; [[ N -eq 3 ]] || true",
        "echo \"$N\"; let x=N",
        "n=<n>; echo $(( n + 1 ))",
        "M=$N; B=$M; (( B > 1 )) || true",
        // The old `$[…]`, and subscripts of compound array assignments.
        "echo $[<n>]",
        "echo \"$N\"; echo $[$N + 1]",
        "a=([<n>]=1)",
        "echo \"$N\"; declare -a a; a+=([$N]=1)",
    ];
    for body in cases {
        refused_then_runs(
            body,
            ("N", "a[$(touch pwned)]", "2"),
            "N: the value \"a[$(touch pwned)]\" is not an integer",
        );
    }
}

/// Where bash takes a value as a variable's name, it evaluates the name's
/// subscript (`a[$(cmd)]`); where it expands a value as a prompt (`@P`),
/// it runs `$(…)` in it. Only names, or plain words, are data there.
#[test]
fn m1_a_value_taken_as_a_name_or_a_prompt_must_be_one() {
    let cases = [
        ("echo \"${!N}\"", "a[$(touch pwned)]"),
        ("[[ -v $N ]] || true", "a[$(touch pwned)]"),
        ("test -v \"$N\" || true", "a[$(touch pwned)]"),
        ("declare \"$N=1\"", "a[$(touch pwned)]"),
        ("read -r \"$N\" < /dev/null || true", "a[$(touch pwned)]"),
        ("read -r <n> < /dev/null || true", "a[$(touch pwned)]"),
        ("declare -n r=\"$N\"; echo \"$r\"", "a[$(touch pwned)]"),
        ("declare -a arr=\"$N\"", "($(touch pwned))"),
        ("echo \"${N@P}\"", "$(touch pwned)"),
    ];
    for (body, value) in cases {
        let reason = if body.contains("@P") {
            "expanded there as a prompt"
        } else {
            "is taken there as a variable's name"
        };
        refused_then_runs(body, ("N", value, "a_name"), reason);
    }
    // Text, not a name: any value.
    for body in [
        "read -p \"$N\" x < /dev/null || true",
        "declare x=\"$N\"; echo \"$x\"",
    ] {
        let rb = Workspace::new("rb.md", &step(body));
        let out = rb.run_unattended(&["--set", "N=a[$(touch pwned)]"]);
        assert!(!rb.marker().exists(), "{body}");
        assert_eq!(out.status.code(), Some(0), "{body}: {}", stderr(&out));
    }
}

#[test]
fn m2_values_in_an_inner_shell_are_plain_words_or_refused() {
    let cases = [
        "bash -c 'echo <name>'",
        "sh -c \"echo <name>\"",
        "eval echo <name>",
        "env LC_ALL=C bash -c 'echo <name>'",
        "bash <<EOF\necho <name>\nEOF",
        "timeout 5 sh -c 'echo <name>'",
        "echo \"$(bash -c 'echo <name>')\"",
        "X=`sh -c 'echo <name>'`; echo \"$X\"",
        "kubectl() { shift 3; \"$@\"; }\nkubectl exec pod -- sh -c 'echo <name>'",
        // Options before `-c`, `--` after it, a here-string.
        "bash -o pipefail -c \"echo <name>\"",
        "bash -O extglob -c \"echo <name>\"",
        "bash -c -- \"echo <name>\"",
        "bash <<< \"echo <name>\"",
        // A bound variable the outer shell expands into the code.
        "echo \"$NAME\" >/dev/null; bash -c \"echo $NAME\"",
        "echo \"$NAME\" >/dev/null; eval \"echo $NAME\"",
        // Code a shell reads from a pipe or a process substitution, or runs later.
        "echo \"echo <name>\" | bash",
        "source <(echo \"echo <name>\")",
        "trap \"echo <name>\" EXIT",
        // Behind wrappers and other ways in.
        "flock rb.lock -c 'echo <name>'",
        "chrt -o 0 sh -c 'echo <name>'",
        "taskset -c 0 sh -c 'echo <name>'",
        "bash <(echo 'echo <name>')",
        "source /dev/stdin <<'EOF'\necho <name>\nEOF",
        ". /dev/stdin <<< 'echo <name>'",
        "env -S 'printf %s\\n <name>'",
        // Code reaching a shell through a pipe, xargs, find and git.
        "cat <<EOF | bash\necho <name>\nEOF",
        "echo '<name>' | xargs -I{} sh -c 'echo {}'",
        "mkdir -p \"d/<name>\" && find \"d/<name>\" -maxdepth 0 -exec sh -c 'echo {}' \\;",
        "git -c alias.x='!echo <name>' x",
        // A program litops does not know, running a shell's `-c`.
        "setarch \"$(uname -m)\" sh -c 'echo <name>'",
    ];
    for body in cases {
        let out = refused_then_runs(
            body,
            ("NAME", "x; touch pwned", "web-1.example.com"),
            "reads again as shell, so quoting cannot keep it data",
        );
        assert!(
            stdout(&out).contains("web-1.example.com\n"),
            "{body}: {}",
            stdout(&out)
        );
    }
}

/// A prompt's value is expanded, `$(…)` included, when bash shows it.
#[test]
fn m2_a_value_in_a_prompt_is_a_plain_word_or_refused() {
    for body in [
        "export PS4=\"+ <name> \"; set -x; true",
        "PS4=\"+ $NAME \"; set -x; true",
        "PS4='<name>' bash -x -c true",
    ] {
        refused_then_runs(
            body,
            ("NAME", "$(touch pwned)", "web-1"),
            "code that PS4, a prompt bash expands, reads again as shell",
        );
    }
}

#[test]
fn low_a_quoted_prefix_is_not_an_assignment() {
    // Bash runs a command named `REGION=eu` here: no value goes into it.
    let rb = Workspace::new("rb.md", &step("'REGION=eu' printf '%s\\n' ok || true"));
    let out = rb.plan(&["--set", "REGION=$(touch pwned)'"]);
    assert!(
        stdout(&out).contains("     │ 'REGION=eu' printf '%s\\n' ok || true\n"),
        "{}",
        stdout(&out)
    );
    rb.run_unattended(&["--set", "REGION=$(touch pwned)'"]);
    assert!(!rb.marker().exists());
}

#[test]
fn low_a_value_cannot_end_a_heredoc_with_its_surroundings() {
    let rb = Workspace::new("rb.md", &step("cat <<EOF\nEO<x>\ntouch pwned\nEOF"));
    let out = rb.run_unattended(&["--set", "X=F"]);
    assert!(!rb.marker().exists());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("which would end the heredoc it is written in"));
}

/// The plan used to check masked values and the run placed real ones
/// without checking again: a secret ended the heredoc and the rest ran.
#[test]
fn a_secret_value_cannot_end_a_heredoc_with_its_surroundings() {
    let rb = Workspace::new(
        "rb.md",
        &step("cat <<END_OF_DATA\nEND_OF_<api-key>\ntouch pwned\nEND_OF_DATA"),
    );
    let out = rb.run_unattended(&["--set", "API_KEY=DATA"]);
    assert!(!rb.marker().exists());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        // The secret is masked, in the delimiter too.
        "error: step step: API_KEY: the value contains a line `END_OF_[REDACTED:API_KEY]` (or `END_OF_[REDACTED:API_KEY])`), which would end the heredoc it is written in\n"
    );
    let out = rb.plan(&["--set", "API_KEY=DATA"]);
    assert!(
        stdout(&out).contains("which would end the heredoc"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn m3_a_rotated_secret_is_never_spliced_into_shell_text() {
    let rb = Workspace::new(
        "rb.md",
        "# Trust\n\n## One\n\n```bash\nexport STAGE=one\necho \"$API_TOKEN\" >/dev/null\n```\n\n## Two\n\n```bash\n[ -e \"$FLAG\" ] || exit 1\nprintf '[%s][%s]\\n' \"$API_TOKEN\" \"$STAGE\"\n```\n",
    );
    let flag = rb.dir().join("flag");
    let flag = flag.to_str().expect("utf-8");
    let out = rb.run_unattended(&[
        "--set",
        "API_TOKEN=old-token-1",
        "--set",
        &format!("FLAG={flag}"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    std::fs::write(rb.dir().join("flag"), "").expect("flag");
    let new = "new\"$(touch pwned)\"`touch pwned`'";
    let out = rb
        .litops()
        .args(["resume", "last", "--unattended", "--yes", "--set"])
        .arg(format!("API_TOKEN={new}"))
        .args(["--set", &format!("FLAG={flag}")])
        .output()
        .expect("runs");
    assert!(!rb.marker().exists());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("[[REDACTED:API_TOKEN]][one]\n"),
        "{}",
        stdout(&out)
    );
}

/// Rewrites a transcript's records and recomputes its hash chain, as
/// someone who can write the file can.
fn forge(path: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let text = std::fs::read_to_string(path).expect("read");
    let mut prev = litops::transcript::GENESIS.to_owned();
    let mut out = String::new();
    for line in text.lines() {
        let mut record: serde_json::Value = serde_json::from_str(line).expect("json");
        edit(&mut record);
        record["prev"] = serde_json::Value::String(prev.clone());
        let line = serde_json::to_string(&record).expect("json");
        prev = litops::transcript::sha256_hex(line.as_bytes());
        out.push_str(&line);
        out.push('\n');
    }
    std::fs::write(path, out).expect("write");
}

fn only_transcript(runs: &Path) -> PathBuf {
    let dir = std::fs::read_dir(runs)
        .expect("runs")
        .flatten()
        .next()
        .expect("a runbook directory");
    std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .next()
        .expect("a transcript")
        .path()
}

/// A forged saved session sets variables whose value runs: litops's own
/// EXIT hook, a file every bash sources, a prompt `set -x` expands.
#[test]
fn m4_resume_never_restores_a_variable_whose_value_would_run() {
    let rb = Workspace::new(
        "rb.md",
        "# Trust\n\n## One\n\n```bash\nV=1\n```\n\n## Two\n\n```bash\n[ -e flag ] || exit 1\nX=2\ngit ls-remote ssh://h/r 2>/dev/null || true\nset -x\nbash -c true\n```\n",
    );
    let out = rb.run_unattended(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let pwned = rb.marker();
    let evil = rb.dir().join("evil.sh");
    std::fs::write(&evil, format!("touch {}\n", pwned.display())).expect("write");
    let added = format!(
        "declare -- __litops_on_exit='touch {p}'\ndeclare -x BASH_ENV='{e}'\ndeclare -- PS4='$(touch {p})'\ndeclare -x GIT_SSH_COMMAND='touch {p};'\n",
        p = pwned.display(),
        e = evil.display()
    );
    forge(&only_transcript(&rb.runs()), |record| {
        if record["event"] == "session-saved" {
            let state = record["state"].as_str().unwrap_or("").to_owned();
            record["state"] = serde_json::Value::String(format!("{state}{added}"));
        }
    });
    std::fs::write(rb.dir().join("flag"), "").expect("flag");
    let out = rb
        .litops()
        .args(["resume", "last", "--unattended", "--yes"])
        .output()
        .expect("runs");
    assert!(!pwned.exists(), "resume ran code from the transcript");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Named after what the run itself left out (bash's own PS4 among them).
    let err = stderr(&out);
    let lost = err
        .lines()
        .find_map(|l| l.strip_prefix("warning: not restored from the saved session"))
        .unwrap_or_default();
    assert!(
        lost.ends_with(", __litops_on_exit, BASH_ENV, PS4, GIT_SSH_COMMAND"),
        "{err}"
    );
}

/// Inside `$(…)`, bash ends a heredoc at a line that starts with its
/// delimiter (`EOF)`): a value holding one is refused.
#[test]
fn h3_a_value_never_ends_a_heredoc_inside_a_command_substitution() {
    let rb = Workspace::new(
        "rb.md",
        &step("out=$(cat <<EOF\nhello <name>\nEOF\n)\necho \"$out\""),
    );
    let set = format!("NAME=x\nEOF)\ntouch {}\ncat <<EOF", rb.marker().display());
    let out = rb.run_unattended(&["--set", &set]);
    assert!(!rb.marker().exists(), "the value ran");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "NAME: the value contains a line `EOF` (or `EOF)`), which would end the heredoc it is written in"
        ),
        "{}",
        stderr(&out)
    );
    let out = rb.run_unattended(&["--set", "NAME=an EOF) inside"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("hello an EOF) inside\n"),
        "{}",
        stdout(&out)
    );
}

/// `__litops_on_exit` is evaluated when a step ends: a runbook variable of
/// that name would run the value bound to it. The step is refused.
#[test]
fn h3_a_value_never_reaches_the_step_shells_own_names() {
    let rb = Workspace::new("rb.md", &step("echo \"$__litops_on_exit\"\nX=1"));
    let set = format!("__litops_on_exit=touch {}", rb.marker().display());
    let out = rb.run_unattended(&["--set", &set]);
    assert!(!rb.marker().exists(), "the value ran");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out).replace(&rb.runbook.path().display().to_string(), "rb.md");
    assert!(
        err.contains(
            "error: 1 step cannot run as written; nothing was run:\n  step: `__litops_on_exit` is litops's own name: a runbook variable cannot use it (rb.md:6:7)\n"
        ),
        "{err}"
    );
}

/// A forged session value is data when restored, but a step that reads
/// it where bash evaluates a value again (`(( X > 1 ))`) would run it.
#[test]
fn m4_resume_never_restores_a_value_that_would_run_when_evaluated() {
    let rb = Workspace::new(
        "rb.md",
        "# Trust\n\n## One\n\n```bash\nX=5\nY=plain\n```\n\n## Two\n\n```bash\n[ -e flag ] || exit 1\n(( ${X:-0} > 1 )) || true\n(( X > 1 )) || true\necho \"y=$Y\"\n```\n",
    );
    let out = rb.run_unattended(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let pwned = rb.marker();
    forge(&only_transcript(&rb.runs()), |record| {
        if record["event"] == "session-saved" {
            let state = record["state"].as_str().unwrap_or("").to_owned();
            record["state"] = serde_json::Value::String(state.replace(
                "declare -- X='5'",
                &format!("declare -- X='a[$(touch {})]'", pwned.display()),
            ));
        }
    });
    std::fs::write(rb.dir().join("flag"), "").expect("flag");
    let out = rb
        .litops()
        .args(["resume", "last", "--unattended", "--yes"])
        .output()
        .expect("runs");
    assert!(!pwned.exists(), "resume ran code from the transcript");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("y=plain\n"), "{}", stdout(&out));
    let err = stderr(&out);
    let lost = err
        .lines()
        .find_map(|l| l.strip_prefix("warning: not restored from the saved session"))
        .unwrap_or_default();
    assert!(
        lost.contains("nor values holding `$(`, `${` or a backtick): ") && lost.ends_with(", X"),
        "{err}"
    );
}

/// The transcript names the runbook resume runs: one others can write is
/// not run (the operator can still choose it with `litops run`).
#[test]
fn m4_resume_runs_no_runbook_others_can_change() {
    use std::os::unix::fs::PermissionsExt;
    let rb = Workspace::new(
        "rb.md",
        "# Trust\n\n## One\n\n```bash\n[ -e flag ] || exit 1\necho resumed\n```\n",
    );
    let out = rb.run_unattended(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    std::fs::write(rb.dir().join("flag"), "").expect("flag");
    std::fs::set_permissions(rb.runbook.path(), std::fs::Permissions::from_mode(0o666))
        .expect("chmod");
    let out = rb
        .litops()
        .args(["resume", "last", "--unattended", "--yes"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stdout(&out).contains("resumed"), "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "error: the runbook {} can be written by other users; resume runs only a runbook no one else can change (choose it yourself with `litops run`)\n",
            rb.runbook.path().display()
        )
    );
    std::fs::set_permissions(rb.runbook.path(), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    // A link in its place, even to a file of ours: the name could be made
    // to point elsewhere between the check and the read.
    let kept = rb.dir().join("kept.md");
    std::fs::rename(rb.runbook.path(), &kept).expect("mv");
    std::os::unix::fs::symlink(&kept, rb.runbook.path()).expect("symlink");
    let out = rb
        .litops()
        .args(["resume", "last", "--unattended", "--yes"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "error: the runbook {} is a symbolic link; resume runs only a runbook no one else can change (choose it yourself with `litops run`)\n",
            rb.runbook.path().display()
        )
    );
    std::fs::remove_file(rb.runbook.path()).expect("rm");
    std::fs::rename(&kept, rb.runbook.path()).expect("mv");
    let out = rb
        .litops()
        .args(["resume", "last", "--unattended", "--yes"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("resumed\n"), "{}", stdout(&out));
}

#[test]
fn m4_resume_never_runs_code_from_a_transcript() {
    let rb = Workspace::new(
        "rb.md",
        "# Trust\n\n## One\n\n```bash\nexport STAGE=one\n```\n\n## Two\n\n```bash\n[ -e flag ] || exit 1\necho \"stage=$STAGE\"\n```\n",
    );
    let out = rb.run_unattended(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let path = only_transcript(&rb.runs());
    let pwned = rb.marker();
    forge(&path, |record| {
        if record["event"] == "session-saved" {
            let state = record["state"].as_str().unwrap_or("").to_owned();
            record["state"] = serde_json::Value::String(format!(
                "{state}touch {}\ndeclare -x STAGE=\"$(touch {})\"\n",
                pwned.display(),
                pwned.display()
            ));
        }
    });
    std::fs::write(rb.dir().join("flag"), "").expect("flag");
    let out = rb
        .litops()
        .args(["resume", "last", "--unattended", "--yes"])
        .output()
        .expect("runs");
    assert!(!pwned.exists(), "resume ran code from the transcript");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("stage=one\n"), "{}", stdout(&out));
}

#[test]
fn m4_transcripts_others_can_write_are_not_resumed() {
    use std::os::unix::fs::PermissionsExt;
    let rb = Workspace::new("rb.md", "# Trust\n\n## One\n\n```bash\nexit 1\n```\n");
    let out = rb.run_unattended(&[]);
    assert_eq!(out.status.code(), Some(1));
    let path = only_transcript(&rb.runs());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let out = rb
        .litops()
        .args(["resume"])
        .arg(&path)
        .args(["--unattended", "--yes"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!("error: {} can be written by other users\n", path.display())
    );
    // Nor is it picked as `last`.
    let out = rb
        .litops()
        .args(["resume", "last", "--unattended", "--yes"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no run of yours in"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn m5_escaped_forms_of_a_secret_reach_no_output() {
    let secret = "s3\"cr$t'va`l\\ue";
    let rb = Workspace::new(
        "rb.md",
        &step(
            "builtin declare -p API_TOKEN\nprintf '%q\\n' \"$API_TOKEN\"\nset -x\n: \"$API_TOKEN\"\nset +x\nexport OTHER=\"$API_TOKEN\"",
        ),
    );
    let out = rb.run_unattended(&["--set", &format!("API_TOKEN={secret}")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let everything = format!("{}{}{}", stdout(&out), stderr(&out), rb.transcripts_text());
    for form in [
        "s3\\\"cr\\$t'va\\`l\\\\ue",
        "s3\"cr$t'\\''va`l\\ue",
        "s3\\\"cr\\$t\\'va\\`l\\\\ue",
        "cr$t",
        "cr\\$t",
    ] {
        assert!(!everything.contains(form), "{form:?} in:\n{everything}");
    }
    assert!(everything.contains("[REDACTED:API_TOKEN]"));
}

/// The forms litops itself writes a secret in when it places it (inside
/// backticks, a heredoc), a program's JSON with `\uXXXX` escapes, and
/// litops's own refusals, which quote the value refused.
#[test]
fn m5_a_secret_placed_by_litops_or_quoted_in_a_refusal_is_masked() {
    let secret = "S\u{e4}p3r\"Sec$ret";
    let rb = Workspace::new(
        "rb.md",
        &step(
            "x=`echo <api-token>`\ncat <<EOF\ntoken: <api-token>\nEOF\ny=\"`echo \"<api-token>\"`\"\nprintf '%s' <api-token> | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))'",
        ),
    );
    let out = rb.run_unattended(&["--json", "--set", &format!("API_TOKEN={secret}")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let everything = format!("{}{}{}", stdout(&out), stderr(&out), rb.transcripts_text());
    for form in ["Sec\\$ret", "Sec\\\\\\$ret", "S\\u00e4p3r", "\\\"Sec"] {
        assert!(!everything.contains(form), "{form:?} in:\n{everything}");
    }
    assert!(
        everything.contains("token: [REDACTED:API_TOKEN]"),
        "{everything}"
    );
    // Refused: the reason names the value, masked.
    let rb = Workspace::new(
        "rb.md",
        &step("mysql-cli --password <db-password>\necho $(( <db-password> + 1 ))"),
    );
    for value in ["-Sup3rSecretXyz", "Sup3r\u{1}Secret"] {
        let out = rb.run_unattended(&["--json", "--set", &format!("DB_PASSWORD={value}")]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(!err.contains("Sup3r"), "{value:?}: {err}");
        assert!(
            err.contains("the value \"[REDACTED:DB_PASSWORD]\""),
            "{err}"
        );
    }
}

/// A probe's finds: a secret written in a block (as `list` and `plan`
/// mask it, `run` showed and recorded it), split by quotes as written, and
/// bash's own `printf %q` of a secret (which leaves `#` and `~` in a word
/// alone).
#[test]
fn m5_a_secret_written_in_a_block_or_printed_by_printf_q_is_masked() {
    let rb = Workspace::new(
        "rb.md",
        "# Trust\n\n## Set\n\n```bash\nexport API_TOKEN=hunter22secretA\necho \"t=$API_TOKEN\"\nMYVAR=\"prefix-$API_TOKEN\"\n```\n\n## Split\n\n```bash\nexport GH_TOKEN=\"ghp_\"abcdefC\necho \"u=$GH_TOKEN\"\n```\n\n## Quote\n\n```bash\nprintf '%q\\n' \"$DB_PASSWORD\"\n```\n",
    );
    let file = rb.dir().join("db-password");
    std::fs::write(&file, "hunter 22#xyz").expect("write");
    let out = rb.run_unattended(&[
        "--json",
        "--secret-file",
        &format!("DB_PASSWORD={}", file.display()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let everything = format!("{}{}{}", stdout(&out), stderr(&out), rb.transcripts_text());
    for form in ["hunter22secretA", "ghp_\\\"abcdefC", "abcdefC", "22#xyz"] {
        assert!(!everything.contains(form), "{form:?} in:\n{everything}");
    }
    assert!(
        everything.contains("t=[REDACTED:API_TOKEN]"),
        "{everything}"
    );
}

#[test]
fn m6_the_inherited_environment_is_not_recorded() {
    let rb = Workspace::new("rb.md", &step("export MINE=set-by-the-step"));
    let out = rb
        .running()
        .env("DATABASE_URL", "postgres://app:db-pass-1@db/app")
        .env("MYSQL_PWD", "short")
        .env("SLACK_HOOK", "https://hooks.slack.com/services/T0/B0/xyz")
        .env("HARMLESS", "inherited-value")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let transcript = rb.transcripts_text();
    for leaked in ["db-pass-1", "short", "services/T0", "inherited-value"] {
        assert!(!transcript.contains(leaked), "{leaked} in:\n{transcript}");
    }
    assert!(
        transcript.contains("declare -x MINE='set-by-the-step'"),
        "{transcript}"
    );
}

#[test]
fn m11_a_steps_own_exit_trap_keeps_the_session() {
    let rb = Workspace::new(
        "rb.md",
        "# Trust\n\n## One\n\n```bash\nmkdir -p work\ncleanup() { echo cleaned; }\ntrap cleanup EXIT\ncd work\nexport FROM_ONE=yes\n```\n\nThen:\n\n```bash\nbasename \"$PWD\"\necho \"from one: $FROM_ONE\"\n```\n",
    );
    for mode in ["1", "0"] {
        let out = rb
            .running()
            .env("LITOPS_FORK_SERVER", mode)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("cleaned\n"), "{text}");
        assert!(text.contains("\nwork\n"), "{text}");
        assert!(text.contains("from one: yes\n"), "{text}");
    }
}

#[test]
fn low_bash_env_is_not_sourced_by_the_step_shell() {
    let rb = Workspace::new("rb.md", &step("echo step"));
    let env_file = rb.dir().join("env.sh");
    std::fs::write(&env_file, format!("touch {}\n", rb.marker().display())).expect("write");
    for mode in ["1", "0"] {
        let out = rb
            .running()
            .env("BASH_ENV", &env_file)
            .env("LITOPS_FORK_SERVER", mode)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            !rb.marker().exists(),
            "BASH_ENV sourced (fork server {mode})"
        );
    }
}

/// The step shells' own names (`__litops_on_exit` is evaluated when a step
/// ends, `__litops_cd` moves it) are litops's to set, never the
/// environment's: no code and no directory comes in through them.
#[test]
fn the_step_shells_own_names_are_not_taken_from_the_environment() {
    let rb = Workspace::new("rb.md", &step("pwd > where.txt"));
    let marker = rb.marker();
    for mode in ["1", "0"] {
        let out = rb
            .running()
            .env("__litops_on_exit", format!("touch '{}'", marker.display()))
            .env("__litops_cd", "/")
            .env("__litops_back", "/")
            .env("LITOPS_FORK_SERVER", mode)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            !marker.exists(),
            "code from the environment ran (fork server {mode})"
        );
        let dir = rb.dir().canonicalize().expect("dir");
        assert_eq!(
            std::fs::read_to_string(rb.dir().join("where.txt")).expect("where"),
            format!("{}\n", dir.display()),
            "the step moved (fork server {mode})"
        );
    }
}

#[test]
fn low_secret_selector_values_are_not_printed() {
    let rb = Workspace::new(
        "rb.md",
        "---\nlitops:\n  vars:\n    DB_PASSWORD:\n      values: [alpha-secret, beta-secret]\n---\n# Trust\n\n## Step\n\n```bash\necho hi\n```\n",
    );
    let out = rb.plan(&["--set", "DB_PASSWORD=gamma-secret"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("gamma-secret"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("[REDACTED:DB_PASSWORD]"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn low_a_secret_too_short_to_mask_is_said() {
    let rb = Workspace::new("rb.md", &step("[ -n \"$API_TOKEN\" ]"));
    let out = rb.run_unattended(&["--set", "API_TOKEN=ab"]);
    assert!(
        stderr(&out).contains(
            "warning: the secret API_TOKEN is shorter than 3 characters: it cannot be masked"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn defaults_a_run_started_in_the_root_directory_keeps_its_transcript_out_of_it() {
    let rb = Workspace::new("rb.md", &step("echo hi"));
    let state = rb.dir().join("state");
    let out = litops()
        .env_remove("LITOPS_RUNS_DIR")
        .env("XDG_STATE_HOME", &state)
        .current_dir("/")
        .arg("run")
        .arg(rb.runbook.path())
        .args(["--unattended", "--yes"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(state.join("litops/runs/rb").is_dir(), "{}", stderr(&out));
}

#[test]
fn low_processes_that_leave_their_group_do_not_outlive_the_run() {
    // A duration no other test uses, to find the process by.
    let rb = Workspace::new(
        "rb.md",
        &step(
            "setsid sleep 4321.5 >/dev/null 2>&1 < /dev/null &\n( setsid sleep 4321.6 >/dev/null 2>&1 < /dev/null & ) ; sleep 0.2\necho started",
        ),
    );
    let out = rb.run_unattended(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for marker in ["sleep 4321.5", "sleep 4321.6"] {
        let found = std::process::Command::new("pgrep")
            .args(["-f", marker])
            .output()
            .expect("pgrep");
        assert!(
            found.stdout.is_empty(),
            "{marker} outlived the run: {}",
            stdout(&found)
        );
    }
}

#[test]
fn low_plan_masks_secret_values_written_in_the_document() {
    let rb = Workspace::new(
        "rb.md",
        "---\nlitops:\n  vars:\n    DB_PASSWORD:\n      default: hunter2-default\n      secret: true\n---\n# Trust\n\n## Step\n\n```bash\nexport API_TOKEN=abc123tok\necho \"hunter2-default\" | login\n```\n",
    );
    for format in ["text", "markdown", "json"] {
        let out = rb.plan(&["--format", format]);
        let text = stdout(&out);
        assert!(!text.contains("abc123tok"), "{format}: {text}");
        assert!(!text.contains("hunter2-default"), "{format}: {text}");
        assert!(text.contains("[REDACTED:API_TOKEN]"), "{format}: {text}");
    }
}

#[test]
fn low_diagnostics_of_plan_show_no_terminal_escapes() {
    let rb = Workspace::new(
        "rb.md",
        "# Trust\n\n<!-- litops: confirm --> \u{1b}[2J\u{1b}]52;c;aGk=\u{7}\n\nprose\n\n```bash\necho hi\n```\n",
    );
    let out = rb.plan(&[]);
    let text = stderr(&out);
    assert!(text.contains("annotation-detached"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
}

#[test]
fn extra_an_endless_secret_file_is_refused_not_read_into_memory() {
    let rb = Workspace::new("rb.md", &step("echo \"$API_TOKEN\""));
    let out = rb.plan(&["--secret-file", "API_TOKEN=/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot read secret file /dev/zero: it is larger than 16 MiB\n"
    );
}

#[test]
fn extra_a_report_is_never_written_through_a_planted_link() {
    let rb = Workspace::new("rb.md", &step("echo hi"));
    let victim = rb.dir().join("victim");
    std::fs::write(&victim, "precious\n").expect("write");
    let report = rb.dir().join("report.xml");
    std::os::unix::fs::symlink(&victim, &report).expect("symlink");
    let out = rb.run_unattended(&["--report", &format!("junit={}", report.display())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&victim).expect("read"),
        "precious\n"
    );
    let written = std::fs::read_to_string(&report).expect("report");
    assert!(written.contains("<testsuites"), "{written}");
    assert!(
        !std::fs::symlink_metadata(&report)
            .expect("meta")
            .is_symlink()
    );
}

#[test]
fn extra_render_never_writes_through_a_planted_link() {
    let rb = Workspace::new("rb.md", &step("echo hi"));
    let site = rb.dir().join("site");
    std::fs::create_dir(&site).expect("mkdir");
    let victim = rb.dir().join("victim");
    std::fs::write(&victim, "precious\n").expect("write");
    std::os::unix::fs::symlink(&victim, site.join("index.html")).expect("symlink");
    let out = rb
        .litops()
        .arg("render")
        .arg(rb.runbook.path())
        .arg("--out")
        .arg(&site)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&victim).expect("read"),
        "precious\n"
    );
    assert!(
        !std::fs::symlink_metadata(site.join("index.html"))
            .expect("meta")
            .is_symlink()
    );
}

/// `--report json=/dev/stdout` and `plan --out /dev/null` are what people
/// write: a device is written to, never replaced (for root, renaming a file
/// over `/dev/null` replaces it). `/proc/self/fd/1` is litops's stdout, and
/// a rename there could only fail.
#[test]
fn extra_a_device_named_as_output_is_written_not_replaced() {
    let rb = Workspace::new("rb.md", &step("echo hi"));
    let out = rb.run_unattended(&["--quiet", "--report", "json=/proc/self/fd/1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\"outcome\": \"success\""),
        "{}",
        stdout(&out)
    );
    let out = rb.plan(&["--out", "/proc/self/fd/1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"format\""), "{}", stdout(&out));
}

/// Issue 13: `POD_NAME=--all` in `kubectl delete pod <pod-name>` would
/// delete every pod.
#[test]
fn a_value_that_would_be_an_option_is_refused() {
    let rb = Workspace::new(
        "rb.md",
        &step(
            "kubectl() { printf '[%s]' \"$@\"; echo; }\nkubectl delete pod <pod-name> -n \"ns-<pod-name>\"",
        ),
    );
    let out = rb.run_unattended(&["--set", "POD_NAME=--all"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().next().unwrap_or(""),
        "error: step step: POD_NAME: the value \"--all\" starts with `-` where it begins an argument, so the command would read it as an option"
    );
    let out = rb.run_unattended(&["--set", "POD_NAME=web-0"]);
    assert!(
        stdout(&out).contains("[delete][pod][web-0][-n][ns-web-0]"),
        "{}",
        stdout(&out)
    );
}

/// A value placed in the program text of awk, sed or perl is read by that
/// program as code, whatever the shell quoting: it is data only as an
/// integer, or as a plain word inside one of the program's strings or
/// patterns, without the character that ends it.
#[test]
fn m2_a_value_in_another_languages_program_is_data_or_refused() {
    let cases = [
        // (body, a value that ran before, a value that is data there, output)
        (
            "awk 'BEGIN { print \"<name>\" }'",
            "x\"; system(\"touch pwned\"); \"",
            "web-1.example.com",
            "web-1.example.com\n",
        ),
        (
            "awk \"BEGIN { print <name> }\"",
            "system(\"touch pwned\")",
            "42",
            "42\n",
        ),
        (
            "echo a | sed 's/a/<name>/'",
            "touch pwned/e;s/x/y",
            "web-1",
            "web-1\n",
        ),
        (
            "printf 'a\\nb\\n' | sed -n '<name>p'",
            "1e touch pwned;",
            "2",
            "b\n",
        ),
        (
            "perl -e 'print \"<name>\\n\"'",
            "@{[ system(q(touch pwned)) ]}",
            "web-1.example.com",
            "web-1.example.com\n",
        ),
        // A value the outer shell expands into the program, and one that
        // flows there through a variable.
        (
            "echo \"$NAME\" >/dev/null; awk \"BEGIN { print \\\"$NAME\\\" }\"",
            "x\"; system(\"touch pwned\"); \"",
            "web-1",
            "web-1\n",
        ),
        (
            "x='<name>'; echo a | sed \"s/a/$x/\"",
            "touch pwned/e;s/x/y",
            "web-1",
            "web-1\n",
        ),
    ];
    for (body, hostile, harmless, output) in cases {
        let out = refused_then_runs(
            body,
            ("NAME", hostile, harmless),
            "is placed in the program text of",
        );
        assert_eq!(
            stdout(&out).matches(output).count(),
            1,
            "{body}: {}",
            stdout(&out)
        );
    }
}

/// A value assigned to a variable is read again wherever bash reads that
/// variable again: in another shell's code, as a name, as arithmetic for a
/// variable declared `-i`, in this step or a later one.
#[test]
fn m1_a_value_assigned_then_read_again_is_held_to_it() {
    let cases = [
        (
            step("x=<name>; bash -c \"echo $x\""),
            "x; touch pwned",
            "web-1.example.com",
            "reads again as shell",
        ),
        (
            step("x=<name>; echo \"${!x}\""),
            "a[$(touch pwned)]",
            "HOSTTYPE",
            "is taken there as a variable's name",
        ),
        (
            step("declare -i n; n=<name>; echo \"$n\""),
            "a[$(touch pwned)]",
            "42",
            "is not an integer",
        ),
        (
            step("for c in <name>; do eval \"echo $c\"; done"),
            "x; touch pwned",
            "web-1.example.com",
            "reads again as shell",
        ),
        (
            "# Trust\n\n## Keep\n\n```bash\nx=<name>\n```\n\n## Use\n\n```bash\nbash -c \"echo $x\"\n```\n"
                .to_owned(),
            "x; touch pwned",
            "web-1.example.com",
            "reads again as shell",
        ),
    ];
    for (runbook, hostile, harmless, reason) in cases {
        runbook_refused_then_runs(&runbook, ("NAME", hostile, harmless), reason);
    }
}

/// The probe of this round: programs that read their code from their
/// input, shells reached in ways the first reading missed, variables other
/// programs run, and values that reach code through arrays and exports.
/// Each ran its hostile value before.
#[test]
fn m2_code_read_from_input_arrays_and_program_variables() {
    let cases: &[Case] = &[
        // (body, a value that ran, a value that is data there, reason, output)
        (
            "echo a | perl -pe 's/a/<name>/e'",
            "mkdir+pwned",
            "42",
            PROGRAM,
            Some("42"),
        ),
        (
            "perl -e 'eval \"<name>\"; print \"ok\\n\"'",
            "mkdir+pwned",
            "42",
            PROGRAM,
            Some("ok"),
        ),
        (
            "perl - <<'EOF'\nprint \"<name>\\n\";\nEOF",
            "@{[ system(q(touch pwned)) ]}",
            "web-1.example.com",
            PROGRAM,
            Some("web-1.example.com"),
        ),
        (
            "awk -f <(echo 'BEGIN { print \"<name>\" }')",
            "x\"; system(\"touch pwned\"); print \"",
            "42",
            PROGRAM,
            Some("42"),
        ),
        (
            "sh /dev/stdin <<EOF\necho <name>\nEOF",
            "x; touch pwned",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "sh 0<<EOF\necho <name>\nEOF",
            "x; touch pwned",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "echo \"echo <name>\" |\nsh",
            "x; touch pwned",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "cat <<EOF |\necho <name>\nEOF\nsh",
            "x; touch pwned",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "echo \"echo <name>\" | (bash)",
            "x; touch pwned",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "bash < <(echo \"echo <name>\")",
            "x; touch pwned",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "SH=sh; $SH -c \"echo <name>\"",
            "x; touch pwned",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "a=(<name>); eval \"echo ${a[0]}\"",
            "$(touch pwned)",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "export x=<name>; bash -c 'eval \"$x\"'",
            "touch pwned",
            "true",
            SHELL,
            None,
        ),
        (
            "GIT_SSH_COMMAND=\"<name>\" git ls-remote ssh://h/r 2>/dev/null || true",
            "touch pwned;",
            "true",
            SHELL,
            None,
        ),
        (
            "env \"BASH_FUNC_echo%%=<name>\" bash -c 'echo ran'",
            "() { touch pwned; }",
            "x",
            SHELL,
            Some("ran"),
        ),
    ];
    each_refused_then_runs(cases);
}

/// The second probe of this round: places where the readers of other
/// languages took code for a string or a comment, and programs that run
/// an option's or a variable's value through a shell. Each ran before.
#[test]
fn m2_what_confused_the_readers_and_options_that_run_commands() {
    let cases: &[Case] = &[
        (
            "perl -e '\"a\" =~ /(?{ <name> })/; print \"ok\\n\"'",
            "mkdir+pwned",
            "42",
            PROGRAM,
            Some("ok"),
        ),
        (
            "perl -e 'print $#ARGV, \"\\n\"; <name>; print \"ok\\n\"'",
            "mkdir+pwned",
            "42",
            PROGRAM,
            Some("ok"),
        ),
        (
            "echo a | sed '1a\\\nfoo\\\\\n<name>' || true",
            "wpwned",
            "1",
            PROGRAM,
            None,
        ),
        (
            "make -f - <<'EOF'\nall:\n\t@echo <name>\nEOF",
            "x; touch pwned",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "printf 'all:\\n\\t@echo $(V)\\n' > Makefile; make V=<name>",
            "x; touch pwned",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "tar cf /dev/null --checkpoint=1 --checkpoint-action=exec='echo <name>' /etc/hostname",
            "x; touch pwned",
            "web-1",
            SHELL,
            None,
        ),
        (
            "ssh -o BatchMode=yes -o ProxyCommand='echo <name>' h true 2>/dev/null || true",
            "$(touch pwned)",
            "web-1",
            SHELL,
            None,
        ),
        (
            "export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.zz GIT_CONFIG_VALUE_0='!echo <name>'; git zz",
            "$(touch pwned)",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
    ];
    each_refused_then_runs(cases);
}

/// The third probe of values: reads the flow missed (an env prefix or
/// `env NAME=…` read by another shell, a nameref, `${!n}`, `printf -v`),
/// and more ways in (`compgen -W`, an alias, `BASH_ENV`, `\"` inside
/// backticks in double quotes). Each ran before.
#[test]
fn m1_reads_through_prefixes_namerefs_and_aliases_are_followed() {
    let cases: &[Case] = &[
        (
            "Y=<name> sh -c 'eval \"$Y\"'",
            "touch pwned",
            "true",
            SHELL,
            None,
        ),
        (
            "env Y=<name> bash -c 'eval \"$Y\"'",
            "touch pwned",
            "true",
            SHELL,
            None,
        ),
        (
            "x=<name>; declare -n r=x; eval \"$r\"",
            "touch pwned",
            "true",
            SHELL,
            None,
        ),
        (
            "x=<name>; n=x; eval \"${!n}\"",
            "touch pwned",
            "true",
            SHELL,
            None,
        ),
        (
            "y=''; printf -v y %s <name>; eval \"$y\"",
            "touch pwned",
            "true",
            SHELL,
            None,
        ),
        (
            "x=<name>; declare -n r=x; (( r )) || true",
            "a[$(touch pwned)]",
            "1",
            "is not an integer",
            None,
        ),
        (
            "compgen -W \"<name>\" a",
            "$(touch pwned)",
            "abc",
            SHELL,
            Some("abc"),
        ),
        (
            "shopt -s expand_aliases\nalias hi=\"echo <name>\"\nhi",
            ";touch pwned",
            "web-1",
            SHELL,
            Some("web-1"),
        ),
        (
            "BASH_ENV=<name> bash -c true",
            "$(touch pwned)",
            "/dev/null",
            SHELL,
            None,
        ),
        (
            "echo \"`echo \\\"<name>\\\"`\"",
            "$(touch pwned)",
            "web-1",
            "nested backticks",
            Some("web-1"),
        ),
    ];
    each_refused_then_runs(cases);
}
