//! Risk rules: which commands deserve a confirmation gate by default.
//!
//! A rule names a program and a subcommand path (`kubectl rollout undo`),
//! optionally a flag that must be present. Rules read argument lists with
//! quotes removed, so `"kubectl" 'delete'` matches too; wrappers such as
//! `sudo` and `env X=1` are looked through. SQL statements that destroy data
//! are found in the command's whole text, heredoc bodies included.
//! Annotations (`confirm`, `no-confirm`) override the result per step.

use serde::Serialize;

/// Why a command is risky.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Risk {
    /// Stable rule identifier, e.g. `kubectl-rollout-undo`.
    pub rule: &'static str,
    pub reason: &'static str,
}

struct Rule {
    id: &'static str,
    program: &'static str,
    /// Consecutive positional words that must appear…
    path: &'static [&'static str],
    /// …starting within the first `window` positional words.
    window: usize,
    /// All of these flags must be present (`--flag` or `--flag=value`).
    flags: &'static [&'static str],
    reason: &'static str,
}

const fn rule(
    id: &'static str,
    program: &'static str,
    path: &'static [&'static str],
    reason: &'static str,
) -> Rule {
    Rule {
        id,
        program,
        path,
        window: 3,
        flags: &[],
        reason,
    }
}

const RULES: &[Rule] = &[
    rule(
        "kubectl-delete",
        "kubectl",
        &["delete"],
        "deletes Kubernetes resources",
    ),
    rule(
        "kubectl-rollout-undo",
        "kubectl",
        &["rollout", "undo"],
        "rolls a workload back to an earlier revision",
    ),
    rule(
        "kubectl-rollout-restart",
        "kubectl",
        &["rollout", "restart"],
        "restarts every pod of a workload",
    ),
    rule(
        "kubectl-drain",
        "kubectl",
        &["drain"],
        "evicts every pod from a node",
    ),
    rule(
        "helm-upgrade",
        "helm",
        &["upgrade"],
        "upgrades a Helm release in place",
    ),
    rule(
        "helm-rollback",
        "helm",
        &["rollback"],
        "rolls a Helm release back",
    ),
    rule(
        "helm-uninstall",
        "helm",
        &["uninstall"],
        "uninstalls a Helm release",
    ),
    rule(
        "helm-uninstall",
        "helm",
        &["delete"],
        "uninstalls a Helm release",
    ),
    Rule {
        window: 5,
        ..rule(
            "gcloud-delete",
            "gcloud",
            &["delete"],
            "deletes cloud resources",
        )
    },
    Rule {
        window: 4,
        ..rule(
            "gcloud-upgrade",
            "gcloud",
            &["upgrade"],
            "upgrades a cluster or its nodes",
        )
    },
    rule(
        "gcloud-secret-update",
        "gcloud",
        &["secrets", "versions", "add"],
        "replaces a secret's value",
    ),
    rule(
        "aws-secret-update",
        "aws",
        &["secretsmanager", "update-secret"],
        "replaces a secret's value",
    ),
    rule(
        "aws-secret-update",
        "aws",
        &["secretsmanager", "put-secret-value"],
        "replaces a secret's value",
    ),
    rule(
        "aws-secret-delete",
        "aws",
        &["secretsmanager", "delete-secret"],
        "deletes a secret",
    ),
    rule(
        "aws-terminate",
        "aws",
        &["ec2", "terminate-instances"],
        "terminates instances",
    ),
    Rule {
        window: 5,
        ..rule("az-delete", "az", &["delete"], "deletes cloud resources")
    },
    Rule {
        window: 4,
        ..rule(
            "az-upgrade",
            "az",
            &["upgrade"],
            "upgrades a cluster or its nodes",
        )
    },
    rule(
        "az-secret-update",
        "az",
        &["keyvault", "secret", "set"],
        "replaces a secret's value",
    ),
    rule(
        "eksctl-delete",
        "eksctl",
        &["delete"],
        "deletes cloud resources",
    ),
    rule(
        "eksctl-upgrade",
        "eksctl",
        &["upgrade"],
        "upgrades a cluster or its nodes",
    ),
    rule(
        "terraform-destroy",
        "terraform",
        &["destroy"],
        "destroys managed infrastructure",
    ),
    rule(
        "terraform-apply",
        "terraform",
        &["apply"],
        "changes managed infrastructure",
    ),
    rule(
        "terraform-destroy",
        "tofu",
        &["destroy"],
        "destroys managed infrastructure",
    ),
    rule(
        "terraform-apply",
        "tofu",
        &["apply"],
        "changes managed infrastructure",
    ),
    rule("dropdb", "dropdb", &[], "drops a database"),
    Rule {
        flags: &["--clean"],
        ..rule(
            "pg-restore-clean",
            "pg_restore",
            &[],
            "drops database objects before restoring them",
        )
    },
    Rule {
        flags: &["--hard"],
        ..rule(
            "git-reset-hard",
            "git",
            &["reset"],
            "discards uncommitted changes",
        )
    },
    rule("systemctl-stop", "systemctl", &["stop"], "stops a service"),
    rule(
        "systemctl-stop",
        "systemctl",
        &["restart"],
        "restarts a service",
    ),
    rule("dd", "dd", &[], "writes raw blocks to a device or file"),
    rule("shutdown", "shutdown", &[], "shuts the machine down"),
    rule("shutdown", "reboot", &[], "reboots the machine"),
];

/// The risks of one command: its simple commands (argument lists) and text.
pub fn assess(argvs: &[Vec<String>], text: &str) -> Vec<Risk> {
    let mut risks: Vec<Risk> = Vec::new();
    let mut add = |risk: Risk| {
        if !risks.contains(&risk) {
            risks.push(risk);
        }
    };
    for argv in argvs {
        let argv = unwrap(argv);
        let Some(program) = argv.first().map(|p| p.rsplit('/').next().unwrap_or(p)) else {
            continue;
        };
        for rule in RULES.iter().filter(|r| r.program == program) {
            if path_matches(rule, &argv[1..]) && rule.flags.iter().all(|f| has_flag(&argv[1..], f))
            {
                add(Risk {
                    rule: rule.id,
                    reason: rule.reason,
                });
            }
        }
        special(program, &argv[1..]).into_iter().for_each(&mut add);
    }
    sql(text).into_iter().for_each(add);
    risks
}

/// Rules that are not a subcommand path.
fn special(program: &str, args: &[String]) -> Vec<Risk> {
    let mut risks = Vec::new();
    if program == "kubectl"
        && positionals(args).first() == Some(&"scale")
        && (args.iter().any(|a| a == "--replicas=0")
            || args.windows(2).any(|w| w[0] == "--replicas" && w[1] == "0"))
    {
        risks.push(Risk {
            rule: "kubectl-scale-zero",
            reason: "scales a workload to zero replicas",
        });
    }
    if program == "rm" && recursive_rm(args) {
        risks.push(Risk {
            rule: "rm-recursive",
            reason: "removes files recursively",
        });
    }
    if program.starts_with("mkfs") {
        risks.push(Risk {
            rule: "mkfs",
            reason: "formats a file system",
        });
    }
    if program == "aws"
        && positionals(args)
            .iter()
            .take(2)
            .any(|a| a.starts_with("delete-"))
    {
        risks.push(Risk {
            rule: "aws-delete",
            reason: "deletes cloud resources",
        });
    }
    if args
        .iter()
        .any(|a| a == "--force" || a.starts_with("--force="))
    {
        risks.push(Risk {
            rule: "force-flag",
            reason: "uses --force, which skips safety checks",
        });
    }
    risks
}

/// Look through `sudo`, `env`, `time`, `nohup`, `exec`, `command`, `xargs`.
fn unwrap(argv: &[String]) -> &[String] {
    let mut argv = argv;
    loop {
        let Some(first) = argv.first() else {
            return argv;
        };
        if !matches!(
            first.as_str(),
            "sudo" | "env" | "time" | "nohup" | "exec" | "command" | "xargs"
        ) {
            return argv;
        }
        let mut i = 1;
        while i < argv.len()
            && (argv[i].starts_with('-') || (first == "env" && argv[i].contains('=')))
        {
            // `sudo -u user`: the flag's value is not the command.
            if first == "sudo" && matches!(argv[i].as_str(), "-u" | "-g" | "-C" | "-D") {
                i += 1;
            }
            i += 1;
        }
        argv = &argv[i.min(argv.len())..];
    }
}

fn positionals(args: &[String]) -> Vec<&str> {
    args.iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect()
}

fn path_matches(rule: &Rule, args: &[String]) -> bool {
    if rule.path.is_empty() {
        return true;
    }
    let positionals = positionals(args);
    positionals
        .windows(rule.path.len())
        .take(rule.window)
        .any(|w| w == rule.path)
}

fn has_flag(args: &[String], flag: &str) -> bool {
    args.iter().any(|a| {
        a == flag
            || a.strip_prefix(flag)
                .is_some_and(|rest| rest.starts_with('='))
    })
}

fn recursive_rm(args: &[String]) -> bool {
    args.iter().any(|a| {
        a == "--recursive" || (a.starts_with('-') && !a.starts_with("--") && a.contains(['r', 'R']))
    })
}

/// `DROP TABLE|DATABASE|SCHEMA…`, `TRUNCATE`, `DELETE FROM`, in any case.
fn sql(text: &str) -> Vec<Risk> {
    let mut risks: Vec<Risk> = Vec::new();
    let mut words = text
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .peekable();
    let is = |word: &str, keyword: &str| word.eq_ignore_ascii_case(keyword);
    while let Some(word) = words.next() {
        let Some(&next) = words.peek() else {
            break;
        };
        let risk = if is(word, "DROP")
            && [
                "TABLE", "DATABASE", "SCHEMA", "INDEX", "VIEW", "ROLE", "USER", "OWNED",
            ]
            .iter()
            .any(|k| is(next, k))
        {
            Some(Risk {
                rule: "sql-drop",
                reason: "drops database objects (SQL DROP)",
            })
        } else if is(word, "TRUNCATE") {
            Some(Risk {
                rule: "sql-truncate",
                reason: "empties tables (SQL TRUNCATE)",
            })
        } else if is(word, "DELETE") && is(next, "FROM") {
            Some(Risk {
                rule: "sql-delete",
                reason: "deletes rows (SQL DELETE)",
            })
        } else {
            None
        };
        if let Some(risk) = risk.filter(|r| !risks.contains(r)) {
            risks.push(risk);
        }
    }
    risks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(line: &str) -> Vec<&'static str> {
        let argv: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        assess(&[argv], line).into_iter().map(|r| r.rule).collect()
    }

    #[test]
    fn the_table() {
        let cases: &[(&str, &[&str])] = &[
            (
                "kubectl delete certificaterequest -n x --all",
                &["kubectl-delete"],
            ),
            ("kubectl -n x delete pod p", &["kubectl-delete"]),
            ("kubectl get pods", &[]),
            (
                "kubectl rollout undo deployment/x",
                &["kubectl-rollout-undo"],
            ),
            ("kubectl rollout status deployment/x", &[]),
            (
                "kubectl scale deployment x --replicas=0",
                &["kubectl-scale-zero"],
            ),
            (
                "kubectl scale deployment x --replicas 0",
                &["kubectl-scale-zero"],
            ),
            ("kubectl scale deployment x --replicas=5", &[]),
            (
                "helm upgrade cert-manager jetstack/cert-manager -n cert-manager",
                &["helm-upgrade"],
            ),
            ("helm repo update", &[]),
            (
                "aws secretsmanager update-secret --secret-id x",
                &["aws-secret-update"],
            ),
            ("aws secretsmanager create-secret --name x", &[]),
            ("aws ec2 delete-volume --volume-id v", &["aws-delete"]),
            (
                "gcloud container clusters upgrade c --master",
                &["gcloud-upgrade"],
            ),
            ("gcloud container clusters get-credentials c", &[]),
            ("az aks upgrade --name c", &["az-upgrade"]),
            ("eksctl upgrade cluster --name=c", &["eksctl-upgrade"]),
            ("sudo rm -rf /var/lib/x", &["rm-recursive"]),
            ("rm -f file", &[]),
            ("env A=1 kubectl delete ns x", &["kubectl-delete"]),
            ("kubectl replace --force -f x.yaml", &["force-flag"]),
            ("psql -c DROP_TABLE", &[]),
            ("git reset --hard HEAD~1", &["git-reset-hard"]),
            ("dropdb scratch", &["dropdb"]),
        ];
        for (line, want) in cases {
            assert_eq!(&rules(line), want, "{line}");
        }
    }

    #[test]
    fn sql_in_text() {
        let r = assess(&[], "psql <<EOF\ndrop table users;\nEOF");
        assert_eq!(r[0].rule, "sql-drop");
    }
}
