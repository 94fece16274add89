//! Commands that need a terminal: `kubectl exec -it`, `docker run -it`,
//! editors, pagers. With pipes they fail ("Unable to use a TTY") or do
//! something else; litops gives such a step a terminal, as `interactive`
//! does. A bare shell or REPL on a terminal (`exec -it pod -- bash`) waits
//! for a person to type: no run can do that step unattended.

use compact_str::CompactString;

use super::program_name;

/// What a command needs of the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// A terminal, and then it runs by itself (`exec -it pod -- migrate up`).
    Terminal(&'static str),
    /// A person typing into it (`exec -it pod -- bash`, `vi file`).
    Person(&'static str),
}

/// Programs that read what a person types when started with no arguments.
const SHELLS: &[&str] = &[
    "bash",
    "sh",
    "zsh",
    "ash",
    "fish",
    "psql",
    "mysql",
    "mongo",
    "mongosh",
    "redis-cli",
    "python",
    "python3",
    "node",
    "irb",
    "rails",
    "cqlsh",
    "sqlite3",
];

pub fn needs(argv: &[CompactString]) -> Option<Needs> {
    let program = program_name(argv.first()?);
    let args = &argv[1..];
    match program {
        "vi" | "vim" | "nvim" | "nano" | "emacs" | "less" | "more" => {
            Some(Needs::Person("an editor or pager waits for a person"))
        }
        "kubectl" | "oc" | "docker" | "podman" | "nerdctl" => {
            let (before, after) = match args.iter().position(|a| a == "--") {
                Some(at) => (&args[..at], &args[at + 1..]),
                None => (args, &[][..]),
            };
            let mut sub = super::endless::subcommand(before)?;
            // `docker container run`: the verb is the word after `container`.
            if sub == "container" {
                let at = before.iter().position(|a| a == "container")?;
                sub = super::endless::subcommand(&before[at + 1..])?;
            }
            if !matches!(sub, "exec" | "run" | "attach" | "debug") {
                return None;
            }
            let tty = before.iter().any(|a| {
                matches!(a.as_str(), "-t" | "--tty" | "-it" | "-ti" | "--tty=true")
                    || (a.starts_with('-')
                        && !a.starts_with("--")
                        && a.contains('t')
                        && a.contains('i')
                        && a.len() <= 4)
            });
            if !tty {
                return None;
            }
            // After `--` (kubectl), or the words after the image/container
            // (docker): a shell with nothing to run waits for a person.
            let command: Vec<&CompactString> = if after.is_empty() {
                before
                    .iter()
                    .skip_while(|a| *a != sub)
                    .skip(1)
                    .filter(|a| !a.starts_with('-'))
                    .skip(1)
                    .collect()
            } else {
                after.iter().collect()
            };
            match command.as_slice() {
                [] => Some(Needs::Person("a terminal session waits for a person")),
                [only] if SHELLS.contains(&program_name(only)) => {
                    Some(Needs::Person("opens a shell that waits for a person"))
                }
                _ => Some(Needs::Terminal("-t asks for a terminal")),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(text: &str) -> Vec<CompactString> {
        text.split_whitespace().map(CompactString::from).collect()
    }

    #[test]
    fn terminals_and_people() {
        let cases = [
            (
                "kubectl exec -it deploy/api -n prod -- /app/api migrate up",
                Some("terminal"),
            ),
            (
                "kubectl run -it --rm debug --image=curl --restart=Never -- curl -v http://x",
                Some("terminal"),
            ),
            ("kubectl exec -it pod/db -- psql", Some("person")),
            ("kubectl exec -ti pod/app -- bash", Some("person")),
            ("docker exec -it web sh", Some("person")),
            ("docker run -it --rm alpine echo hi", Some("terminal")),
            ("vim /etc/hosts", Some("person")),
            ("kubectl exec pod/app -- ls /", None),
            ("kubectl exec -i pod/db -- psql -c 'select 1'", None),
            ("kubectl get pods -o wide", None),
            ("docker run --rm -v /tmp:/tmp alpine ls", None),
            (
                "kubectl -n prod run -it --rm --image=mysql:5.7 client -- bash",
                Some("person"),
            ),
            (
                "docker container run --rm -it alpine:latest /bin/sh",
                Some("person"),
            ),
            ("docker run -it --rm alpine", Some("person")),
            (
                "kubectl exec -it pod/vault-0 -n vault -- vault operator unseal",
                Some("terminal"),
            ),
        ];
        for (text, want) in cases {
            let got = needs(&argv(text)).map(|n| match n {
                Needs::Terminal(_) => "terminal",
                Needs::Person(_) => "person",
            });
            assert_eq!(got, want, "{text}");
        }
    }
}
