//! Commands that never end by themselves: a reader runs `kubectl logs -f`
//! or `port-forward`, looks, and presses Ctrl-C. Unattended, nobody does:
//! the run would hang until something kills it. They are found here so a
//! run can refuse them up front, or bound them (`stream=DURATION`).

use compact_str::CompactString;

use super::program_name;

/// Why the command never ends by itself, if it does not.
pub fn never_ends(argv: &[CompactString]) -> Option<&'static str> {
    let argv = unwrapped(argv);
    let program = program_name(argv.first()?);
    if !ENDLESS_PROGRAMS.contains(&program) {
        return None;
    }
    let args = &argv[1..];
    // `-f`, or `--follow` / `--follow=true` (not `--follow=false`).
    let has = |flags: &[&str]| {
        args.iter().any(|a| {
            flags.iter().any(|f| match a.strip_prefix(f) {
                Some("") => true,
                Some(rest) => f.starts_with("--") && rest.starts_with('=') && rest != "=false",
                None => false,
            })
        })
    };
    let sub = subcommand(args);
    match program {
        "kubectl" | "oc" => match sub {
            Some("logs") if has(&["-f", "--follow"]) => Some("follows logs until stopped"),
            Some("get" | "events") if has(&["-w", "--watch", "--watch-only"]) => {
                Some("watches until stopped")
            }
            Some("port-forward") => Some("forwards a port until stopped"),
            Some("proxy") => Some("serves a proxy until stopped"),
            Some("attach") => Some("stays attached until stopped"),
            _ => None,
        },
        "docker" | "podman" | "nerdctl" => match sub {
            Some("logs") if has(&["-f", "--follow"]) => Some("follows logs until stopped"),
            Some("compose") if args.iter().any(|a| a == "logs") && has(&["-f", "--follow"]) => {
                Some("follows logs until stopped")
            }
            Some("events" | "stats") if !has(&["--no-stream"]) => Some("streams until stopped"),
            _ => None,
        },
        "tail" if has(&["-f", "-F", "--follow"]) => Some("follows the file until stopped"),
        "journalctl" if has(&["-f", "--follow"]) => Some("follows the journal until stopped"),
        "stern" | "kubetail" => Some("follows logs until stopped"),
        "watch" => Some("repeats until stopped"),
        "top" | "htop" | "k9s" => Some("is a screen that stays until quit"),
        _ => None,
    }
}

/// The programs [`never_ends`] knows about.
const ENDLESS_PROGRAMS: &[&str] = &[
    "kubectl",
    "oc",
    "docker",
    "podman",
    "nerdctl",
    "tail",
    "journalctl",
    "stern",
    "kubetail",
    "watch",
    "top",
    "htop",
    "k9s",
];

/// The first word that is neither an option nor the value of one of the
/// global options written before it (`kubectl -n prod logs …`).
pub(super) fn subcommand(args: &[CompactString]) -> Option<&str> {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "-n" | "--namespace" | "--context" | "--kubeconfig" | "--cluster" | "--user" | "-H"
            | "--host" | "-f" | "--file" | "-p" | "--project-name" => {
                words.next();
            }
            w if w.starts_with('-') => {}
            w => return Some(w),
        }
    }
    None
}

/// The command under `sudo`, `env`, `nice`, `nohup`; a `timeout` bounds
/// whatever it runs, so nothing under it is endless.
fn unwrapped(argv: &[CompactString]) -> &[CompactString] {
    let mut at = 0;
    while let Some(word) = argv.get(at) {
        match program_name(word) {
            "sudo" | "nice" | "nohup" | "env" => {
                at += 1;
                // Their options and `env`'s assignments.
                while argv
                    .get(at)
                    .is_some_and(|w| w.starts_with('-') || w.contains('='))
                {
                    at += 1;
                }
            }
            "timeout" => return &[],
            _ => break,
        }
    }
    argv.get(at..).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(text: &str) -> Vec<CompactString> {
        text.split_whitespace().map(CompactString::from).collect()
    }

    #[test]
    fn commands_a_reader_stops_with_ctrl_c() {
        for endless in [
            "kubectl logs -f deployment/api -n prod",
            "kubectl logs --follow=true pod/x",
            "oc logs -f dc/app",
            "kubectl get pods -w",
            "kubectl get events --watch",
            "kubectl port-forward svc/grafana 3000:80",
            "kubectl proxy",
            "docker logs -f web",
            "docker compose logs -f",
            "tail -F /var/log/syslog",
            "journalctl -u nginx -f",
            "sudo tail -f /var/log/auth.log",
            "watch kubectl get pods",
            "kubectl -n prod logs -f api-0",
            "stern api",
        ] {
            assert!(never_ends(&argv(endless)).is_some(), "{endless}");
        }
        for ends in [
            "kubectl logs deployment/api",
            "kubectl logs --tail=100 pod/x",
            "kubectl get pods",
            "kubectl rollout status deployment/api",
            "timeout 30 kubectl logs -f pod/x",
            "tail -n 50 /var/log/syslog",
            "docker stats --no-stream",
            "journalctl -u nginx --since today",
            "kubectl logs --follow=false pod/x",
        ] {
            assert_eq!(never_ends(&argv(ends)), None, "{ends}");
        }
    }
}
