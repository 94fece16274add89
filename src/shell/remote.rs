//! Commands that open a shell somewhere else: `kubectl exec -it pod --
//! bash`, `docker exec -it c sh`, `ssh host`. A runbook that writes lines
//! after one means them for that shell ("inside the pod"), not for the
//! operator's machine; [`crate::model`] passes them to it as its input.

use compact_str::CompactString;

use super::program_name;
use super::terminal::{Needs, needs};

/// Shells whose input is shell text: the lines after the opener are
/// passed to them as written, with values quoted as for bash.
const SHELLS: &[&str] = &["bash", "sh", "zsh", "ash", "dash"];

/// `ssh` options that take a value (the host is the first other word).
const SSH_VALUED: &[&str] = &[
    "-B", "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p",
    "-Q", "-R", "-S", "-W", "-w",
];

/// How a shell opener is told to read its input from a pipe rather than a
/// terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opener {
    /// `kubectl|oc|docker|podman|nerdctl exec -it … -- sh`: drop `-t`.
    Exec,
    /// `ssh host`: add `-T`.
    Ssh,
    /// `oc rsh pod`: add `-T` after `rsh`.
    Rsh,
    /// `gcloud compute ssh vm`: add `--ssh-flag=-T` after `ssh`.
    GcloudSsh,
    /// A REPL started here (`psql db`, `mysql`, `redis-cli`, `python3`): it
    /// reads a pipe as it reads a terminal, nothing to change.
    Repl,
}

/// REPLs whose input is not shell text: the lines after them are passed as
/// written, and no value is placed into them.
pub const REPLS: &[&str] = &[
    "psql",
    "mysql",
    "mariadb",
    "redis-cli",
    "python",
    "python3",
    "sqlite3",
    "mongosh",
];

/// The program a command's input goes to when it is a REPL (`psql`, also
/// behind `kubectl exec -it pod --`), else `None`: a shell.
pub fn repl_of(argv: &[CompactString]) -> Option<&'static str> {
    let last_program = |words: &[CompactString]| {
        words
            .iter()
            .map(|w| program_name(w))
            .find_map(|p| REPLS.iter().find(|r| **r == p).copied())
    };
    let program = program_name(argv.first()?);
    if REPLS.contains(&program) {
        return REPLS.iter().find(|r| **r == program).copied();
    }
    let after = argv
        .iter()
        .position(|w| w == "--")
        .map_or(argv, |at| &argv[at + 1..]);
    last_program(after)
}

/// A REPL started with nothing to run (`psql -h db app`, not `psql -c …`
/// or `psql -f file`): it reads what is typed.
fn bare_repl(argv: &[CompactString]) -> bool {
    let program = argv.first().map(|w| program_name(w)).unwrap_or("");
    let args = &argv[1..];
    let has = |flags: &[&str]| {
        args.iter().any(|a| {
            flags
                .iter()
                .any(|f| a == f || (f.starts_with("--") && a.starts_with(&format!("{f}="))))
        })
    };
    match program {
        "psql" => !has(&[
            "-c",
            "--command",
            "-f",
            "--file",
            "-l",
            "--list",
            "-V",
            "--version",
        ]),
        "mysql" | "mariadb" => !has(&["-e", "--execute", "-V", "--version"]),
        "sqlite3" | "mongosh" => args.iter().filter(|a| !a.starts_with('-')).count() <= 1,
        // Options with a value; any other word is a command to run.
        "redis-cli" => {
            let mut words = args.iter();
            while let Some(w) = words.next() {
                if matches!(
                    w.as_str(),
                    "-h" | "-p" | "-a" | "-n" | "-u" | "-s" | "--user" | "--pass"
                ) {
                    words.next();
                } else if !w.starts_with('-') {
                    return false;
                }
            }
            true
        }
        "python" | "python3" => args
            .iter()
            .all(|a| matches!(a.as_str(), "-i" | "-u" | "-q" | "-B")),
        _ => false,
    }
}

/// Whether the command opens an interactive shell elsewhere, and which kind.
pub fn opens_shell(argv: &[CompactString]) -> Option<Opener> {
    let program = program_name(argv.first()?);
    if program == "ssh" {
        let mut words = argv[1..].iter();
        let mut host = None;
        while let Some(word) = words.next() {
            if SSH_VALUED.contains(&word.as_str()) {
                words.next();
            } else if word.starts_with('-') {
                continue;
            } else {
                host = Some(word);
                break;
            }
        }
        // `ssh host` alone: a login shell that reads what is typed.
        return (host.is_some() && words.next().is_none()).then_some(Opener::Ssh);
    }
    if program == "oc"
        && let Some(at) = argv.iter().position(|w| w == "rsh")
    {
        // `oc rsh [options] POD` with no command after the pod.
        let mut words = argv[at + 1..].iter();
        let mut pod = false;
        while let Some(word) = words.next() {
            if matches!(
                word.as_str(),
                "-c" | "--container"
                    | "-n"
                    | "--namespace"
                    | "--shell"
                    | "--timeout"
                    | "--context"
                    | "--kubeconfig"
            ) {
                words.next();
            } else if !word.starts_with('-') {
                pod = true;
                break;
            }
        }
        return (pod && words.next().is_none()).then_some(Opener::Rsh);
    }
    if program == "gcloud"
        && let Some(at) = argv
            .windows(2)
            .position(|w| w[0] == "compute" && w[1] == "ssh")
    {
        let rest = &argv[at + 2..];
        let runs_something = rest
            .iter()
            .any(|w| w == "--" || w == "--command" || w.starts_with("--command="));
        let vm = rest.iter().any(|w| !w.starts_with('-'));
        return (vm && !runs_something).then_some(Opener::GcloudSsh);
    }
    if REPLS.contains(&program) {
        return bare_repl(argv).then_some(Opener::Repl);
    }
    let last = argv.last().map(|w| program_name(w))?;
    let exec = matches!(program, "kubectl" | "oc" | "docker" | "podman" | "nerdctl")
        && argv.iter().any(|w| w == "exec");
    let into = SHELLS.contains(&last) || REPLS.contains(&last);
    (exec && into && matches!(needs(argv), Some(Needs::Person(_)))).then_some(Opener::Exec)
}

/// The edit that makes an opener read its input from a pipe: `(start, end,
/// replacement)` in `text`, the command as written. `None` when the
/// terminal flag is written in a way litops does not rewrite (`-itq`).
pub fn without_tty(text: &str, opener: Opener) -> Option<(usize, usize, &'static str)> {
    let words = words_at(text);
    match opener {
        Opener::Repl => Some((text.len(), text.len(), "")),
        Opener::Rsh => words
            .iter()
            .find(|(_, w)| *w == "rsh")
            .map(|&(at, w)| (at + w.len(), at + w.len(), " -T")),
        Opener::GcloudSsh => words
            .windows(2)
            .find(|pair| pair[0].1 == "compute" && pair[1].1 == "ssh")
            .map(|pair| {
                let end = pair[1].0 + pair[1].1.len();
                (end, end, " --ssh-flag=-T")
            }),
        Opener::Ssh => {
            let (at, word) = words.first()?;
            (program_name(word) == "ssh").then_some((at + word.len(), at + word.len(), " -T"))
        }
        Opener::Exec => {
            for &(at, word) in &words {
                if word == "--" {
                    break;
                }
                match word {
                    "-it" | "-ti" => return Some((at, at + word.len(), "-i")),
                    // A `-t` of its own goes, with the space before it.
                    "-t" | "--tty" | "--tty=true" => {
                        return Some((at.saturating_sub(1), at + word.len(), ""));
                    }
                    _ => {}
                }
            }
            None
        }
    }
}

/// Whitespace-separated words of a command's text, with their offsets
/// (a line continuation is whitespace).
fn words_at(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace() || c == '\\';
        match (start, space) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<CompactString> {
        line.split_whitespace().map(CompactString::from).collect()
    }

    #[test]
    fn shells_elsewhere_are_openers() {
        assert_eq!(
            opens_shell(&argv("kubectl exec -it pod -n db -- bash")),
            Some(Opener::Exec)
        );
        assert_eq!(
            opens_shell(&argv("docker exec -it web /bin/sh")),
            Some(Opener::Exec)
        );
        assert_eq!(
            opens_shell(&argv("ssh -p 2222 ops@bastion")),
            Some(Opener::Ssh)
        );
        assert_eq!(opens_shell(&argv("ssh bastion uptime")), None);
        assert_eq!(
            opens_shell(&argv("oc rsh -c db postgres-0")),
            Some(Opener::Rsh)
        );
        assert_eq!(opens_shell(&argv("oc rsh postgres-0 ls")), None);
        assert_eq!(
            opens_shell(&argv("gcloud compute ssh vm-1 --zone us-east1-b")),
            Some(Opener::GcloudSsh)
        );
        assert_eq!(
            opens_shell(&argv("gcloud compute ssh vm-1 --command uptime")),
            None
        );
        assert_eq!(
            opens_shell(&argv("kubectl exec -it pod -- psql")),
            Some(Opener::Exec)
        );
        assert_eq!(
            opens_shell(&argv("psql -h db -U app app")),
            Some(Opener::Repl)
        );
        assert_eq!(opens_shell(&argv("psql -h db -c select")), None);
        assert_eq!(opens_shell(&argv("redis-cli -h cache")), Some(Opener::Repl));
        assert_eq!(opens_shell(&argv("redis-cli -h cache PING")), None);
        assert_eq!(
            repl_of(&argv("kubectl exec -i pod -- psql -U app")),
            Some("psql")
        );
        assert_eq!(repl_of(&argv("kubectl exec -i pod -- bash")), None);
        assert_eq!(opens_shell(&argv("kubectl exec pod -- ls")), None);
    }

    #[test]
    fn the_terminal_flag_is_rewritten() {
        let text = "kubectl exec -it pod -- bash";
        assert_eq!(without_tty(text, Opener::Exec), Some((13, 16, "-i")));
        let text = "kubectl exec -i -t pod -- bash";
        assert_eq!(without_tty(text, Opener::Exec), Some((15, 18, "")));
        assert_eq!(without_tty("ssh host", Opener::Ssh), Some((3, 3, " -T")));
        assert_eq!(without_tty("oc rsh pod", Opener::Rsh), Some((6, 6, " -T")));
        assert_eq!(
            without_tty("gcloud compute ssh vm", Opener::GcloudSsh),
            Some((18, 18, " --ssh-flag=-T"))
        );
        assert_eq!(
            without_tty("kubectl exec -itq pod -- sh", Opener::Exec),
            None
        );
    }
}
