//! Risk rules: which commands deserve a confirmation gate by default.
//!
//! A rule names a program and a subcommand path (`kubectl rollout undo`),
//! optionally a flag that must be present. Rules read argument lists with
//! quotes removed, so `"kubectl" 'delete'` matches too; wrappers such as
//! `sudo` and `env X=1` are looked through. SQL statements that destroy data
//! are found in the command's whole text, heredoc bodies included.
//! Annotations (`confirm`, `no-confirm`) override the result per step.

use compact_str::CompactString;
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
    Rule {
        window: 1,
        ..rule(
            "kubectl-delete",
            "kubectl",
            &["delete"],
            "deletes Kubernetes resources",
        )
    },
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
    Rule {
        window: 1,
        ..rule(
            "kubectl-drain",
            "kubectl",
            &["drain"],
            "evicts every pod from a node",
        )
    },
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
    rule("etcdctl-del", "etcdctl", &["del"], "deletes keys from etcd"),
    rule(
        "etcdctl-restore",
        "etcdctl",
        &["snapshot", "restore"],
        "replaces etcd's data with a snapshot",
    ),
    Rule {
        flags: &["--recursive"],
        ..rule(
            "aws-s3-rm-recursive",
            "aws",
            &["s3", "rm"],
            "removes S3 objects recursively",
        )
    },
    rule("aws-s3-rb", "aws", &["s3", "rb"], "removes an S3 bucket"),
    rule(
        "kubeadm-upgrade",
        "kubeadm",
        &["upgrade", "apply"],
        "upgrades the cluster's control plane",
    ),
    rule(
        "kubeadm-reset",
        "kubeadm",
        &["reset"],
        "resets the node, removing its cluster state",
    ),
    rule(
        "terraform-state-rm",
        "terraform",
        &["state", "rm"],
        "removes resources from Terraform's state",
    ),
    rule(
        "terraform-state-rm",
        "tofu",
        &["state", "rm"],
        "removes resources from Terraform's state",
    ),
    rule(
        "docker-prune",
        "docker",
        &["system", "prune"],
        "removes containers, images and networks",
    ),
    rule(
        "docker-prune",
        "docker",
        &["volume", "prune"],
        "removes volumes and their data",
    ),
    rule(
        "docker-prune",
        "docker",
        &["volume", "rm"],
        "removes volumes and their data",
    ),
    rule(
        "docker-prune",
        "podman",
        &["system", "prune"],
        "removes containers, images and networks",
    ),
    rule(
        "docker-prune",
        "podman",
        &["volume", "prune"],
        "removes volumes and their data",
    ),
    rule("shred", "shred", &[], "overwrites files beyond recovery"),
    rule("wipefs", "wipefs", &[], "erases file system signatures"),
    rule(
        "kubectl-delete",
        "kubectl",
        &["delete-namespace"],
        "deletes Kubernetes resources",
    ),
    rule(
        "gcloud-delete",
        "gsutil",
        &["rm"],
        "removes Cloud Storage objects",
    ),
    rule(
        "gcloud-delete",
        "gsutil",
        &["rb"],
        "removes a Cloud Storage bucket",
    ),
    rule(
        "vault-delete",
        "vault",
        &["kv", "destroy"],
        "destroys secret versions",
    ),
    rule(
        "vault-delete",
        "vault",
        &["kv", "metadata", "delete"],
        "deletes a secret and all its versions",
    ),
    rule("shutdown", "shutdown", &[], "shuts the machine down"),
    rule("shutdown", "reboot", &[], "reboots the machine"),
];

/// The programs the table has rules for, numbered (a match is cheaper than
/// comparing the name with every rule).
fn program_number(program: &str) -> Option<usize> {
    Some(match program {
        "kubectl" => 0,
        "helm" => 1,
        "gcloud" => 2,
        "aws" => 3,
        "az" => 4,
        "eksctl" => 5,
        "terraform" => 6,
        "tofu" => 7,
        "dropdb" => 8,
        "pg_restore" => 9,
        "git" => 10,
        "systemctl" => 11,
        "shutdown" => 12,
        "reboot" => 13,
        "etcdctl" => 14,
        "kubeadm" => 15,
        "docker" => 16,
        "podman" => 17,
        "shred" => 18,
        "wipefs" => 19,
        "gsutil" => 20,
        "vault" => 21,
        _ => return None,
    })
}

/// The rules of `program`, in table order: the table split per program
/// once, so that a command is compared with its own program's rules only.
fn rules_of(program: &str) -> &'static [&'static Rule] {
    static BY_PROGRAM: std::sync::OnceLock<Vec<Vec<&'static Rule>>> = std::sync::OnceLock::new();
    let Some(number) = program_number(program) else {
        return &[];
    };
    let table = BY_PROGRAM.get_or_init(|| {
        let mut table: Vec<Vec<&'static Rule>> = Vec::new();
        for rule in RULES {
            if let Some(n) = program_number(rule.program) {
                if table.len() <= n {
                    table.resize_with(n + 1, Vec::new);
                }
                table[n].push(rule);
            }
        }
        table
    });
    table.get(number).map_or(&[], Vec::as_slice)
}

/// The risks of one command: its simple commands (argument lists) and text.
pub fn assess(argvs: &[Vec<CompactString>], text: &str) -> Vec<Risk> {
    assess_at(argvs, text, 0)
}

/// How deep commands inside commands are read (`ssh h "bash -c '…'"`).
const MAX_DEPTH: usize = 3;

fn assess_at(argvs: &[Vec<CompactString>], text: &str, depth: usize) -> Vec<Risk> {
    let mut risks: Vec<Risk> = Vec::new();
    let mut add = |risk: Risk| {
        if !risks.contains(&risk) {
            risks.push(risk);
        }
    };
    // One list of positional words for all the argument lists: filled
    // anew for each, allocated once.
    let mut words: Vec<&str> = Vec::with_capacity(8);
    for argv in argvs {
        let argv = unwrap(argv);
        let Some(program) = argv.first().map(|p| super::program_name(p)) else {
            continue;
        };
        // OpenShift's `oc` is kubectl with more (`oc adm drain`): the same rules.
        let program = if program == "oc" { "kubectl" } else { program };
        for risk in nested(program, &argv[1..], depth) {
            add(risk);
        }
        // kubectl's verb is its first word once global options and their
        // values are set aside (`kubectl -n x delete`, not `auth can-i delete`).
        words.clear();
        if program == "kubectl" {
            kubectl_words(&argv[1..], &mut words);
        } else {
            words.extend(positionals(&argv[1..]));
        }
        for rule in rules_of(program) {
            if path_matches(rule, &words) && rule.flags.iter().all(|f| has_flag(&argv[1..], f)) {
                add(Risk {
                    rule: rule.id,
                    reason: rule.reason,
                });
            }
        }
        special(program, &argv[1..], &words)
            .into_iter()
            .for_each(&mut add);
    }
    sql(text).into_iter().for_each(add);
    risks
}

/// The risks of a command another program runs: the code of `bash -c`,
/// `ssh host …`, `su -c`, `eval`, and the argument list after
/// `kubectl exec … --` or `docker exec CONTAINER`.
fn nested(program: &str, args: &[CompactString], depth: usize) -> Vec<Risk> {
    if depth >= MAX_DEPTH {
        return Vec::new();
    }
    let code = |text: &str| {
        let script = super::read(text);
        let argvs: Vec<Vec<CompactString>> = script
            .commands
            .iter()
            .flat_map(|c| c.argvs.iter().cloned())
            .collect();
        assess_at(&argvs, text, depth + 1)
    };
    let shells = ["bash", "sh", "zsh", "dash", "ksh"];
    if shells.contains(&program) {
        let c = args
            .iter()
            .position(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('c'));
        return c
            .and_then(|i| args.get(i + 1))
            .map(|text| code(text))
            .unwrap_or_default();
    }
    match program {
        "eval" => code(&args.join(" ")),
        "su" => args
            .iter()
            .position(|a| a == "-c" || a == "--command")
            .and_then(|i| args.get(i + 1))
            .map(|text| code(text))
            .unwrap_or_default(),
        "ssh" => {
            const WITH_VALUE: &str = "BbcDEeFIiJLlmOoPpQRSWw";
            let mut i = 0;
            while i < args.len() && args[i].starts_with('-') {
                let flag = &args[i][1..];
                if flag.len() == 1 && WITH_VALUE.contains(flag) {
                    i += 1;
                }
                i += 1;
            }
            // The destination, then the remote command (joined as ssh does).
            match args.get(i + 1..) {
                Some(rest) if !rest.is_empty() => code(&rest.join(" ")),
                _ => Vec::new(),
            }
        }
        "kubectl" | "docker" | "podman" | "nerdctl" | "crictl" => {
            let rest = if let Some(dash) = args.iter().position(|a| a == "--") {
                &args[dash + 1..]
            } else if program != "kubectl"
                && args
                    .iter()
                    .find(|a| !a.starts_with('-'))
                    .map(CompactString::as_str)
                    == Some("exec")
            {
                // `docker exec [opts] CONTAINER cmd…`
                let after_exec = args.iter().position(|a| a == "exec").map_or(0, |i| i + 1);
                let container = args[after_exec..]
                    .iter()
                    .position(|a| !a.starts_with('-'))
                    .map_or(args.len(), |i| after_exec + i + 1);
                &args[container.min(args.len())..]
            } else {
                return Vec::new();
            };
            assess_at(&[rest.to_vec()], "", depth + 1)
        }
        _ => Vec::new(),
    }
}

/// Rules that are not a subcommand path. `words` are the positional
/// arguments, with kubectl's global options and their values set aside
/// (for every other program, all of them).
fn special(program: &str, args: &[CompactString], words: &[&str]) -> Vec<Risk> {
    let mut risks = Vec::new();
    let verb = words.first().copied();
    if program == "kubectl"
        && verb == Some("scale")
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
    if program == "aws" && words.iter().take(2).any(|a| a.starts_with("delete-")) {
        risks.push(Risk {
            rule: "aws-delete",
            reason: "deletes cloud resources",
        });
    }
    if program == "kubectl" && verb == Some("patch") && args.iter().any(|a| replicas_zero(a)) {
        risks.push(Risk {
            rule: "kubectl-scale-zero",
            reason: "scales a workload to zero replicas",
        });
    }
    if program == "kubectl" && verb.is_some_and(|v| changes_production(v, args)) {
        risks.push(Risk {
            rule: "deploy-production",
            reason: "changes production (a production namespace, context or overlay)",
        });
    }
    if matches!(program, "redis-cli" | "valkey-cli" | "keydb-cli")
        && args
            .iter()
            .any(|a| a.eq_ignore_ascii_case("flushall") || a.eq_ignore_ascii_case("flushdb"))
    {
        risks.push(Risk {
            rule: "redis-flush",
            reason: "deletes every key (FLUSHALL/FLUSHDB)",
        });
    }
    if matches!(program, "iptables" | "ip6tables")
        && args.iter().any(|a| {
            matches!(a.as_str(), "-F" | "--flush" | "-X" | "--delete-chain")
                || (a.starts_with('-') && !a.starts_with("--") && a.contains('F'))
        })
    {
        risks.push(Risk {
            rule: "iptables-flush",
            reason: "flushes firewall rules",
        });
    }
    if program == "nft" && words.windows(2).any(|w| w == ["flush", "ruleset"]) {
        risks.push(Risk {
            rule: "iptables-flush",
            reason: "flushes firewall rules",
        });
    }
    if program == "chmod"
        && recursive_rm(args)
        && args.iter().any(|a| {
            matches!(
                a.as_str(),
                "777" | "0777" | "a+rwx" | "o+w" | "a+w" | "ugo+rwx"
            )
        })
    {
        risks.push(Risk {
            rule: "chmod-world-writable",
            reason: "makes files writable by everyone, recursively",
        });
    }
    if program == "find"
        && (args.iter().any(|a| a == "-delete")
            || args
                .windows(2)
                .any(|w| matches!(w[0].as_str(), "-exec" | "-execdir") && w[1].ends_with("rm")))
    {
        risks.push(Risk {
            rule: "find-delete",
            reason: "deletes the files it finds",
        });
    }
    if program == "git"
        && verb == Some("push")
        && args.iter().any(|a| {
            a == "-f"
                || a.starts_with("--force")
                || a == "--mirror"
                || a == "--delete"
                || (a.starts_with('+') && a.len() > 1)
        })
    {
        risks.push(Risk {
            rule: "git-push-force",
            reason: "rewrites or deletes remote history",
        });
    }
    if program == "dd" && args.iter().any(|a| a.starts_with("of=/dev/")) {
        risks.push(Risk {
            rule: "dd-device",
            reason: "writes raw blocks to a device",
        });
    }
    if matches!(program, "docker" | "podman")
        && verb == Some("rm")
        && args
            .iter()
            .any(|a| a == "-f" || a == "--force" || a == "-v")
    {
        risks.push(Risk {
            rule: "docker-prune",
            reason: "removes running containers",
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

/// `kubectl` verbs that deploy: change what runs (`create rolebinding`,
/// `label` or a debug pod with `run` are not deploys).
const KUBECTL_CHANGES: &[&str] = &[
    "apply", "replace", "patch", "set", "edit", "scale", "rollout",
];

/// A change aimed at production: a namespace, context or path whose
/// words include `prod` or `production` (`-n shop-production`,
/// `apply -k overlays/production`, `--context prod-eu`).
fn changes_production(verb: &str, args: &[CompactString]) -> bool {
    if !KUBECTL_CHANGES.contains(&verb)
        || (verb == "rollout" && !args.iter().any(|a| a == "restart" || a == "undo"))
    {
        return false;
    }
    // Split as bytes: the words sought are ASCII, and a character that is
    // not splits there all the same.
    args.iter().any(|a| {
        a.as_bytes()
            .split(|b| !b.is_ascii_alphanumeric())
            .any(|w| w.eq_ignore_ascii_case(b"prod") || w.eq_ignore_ascii_case(b"production"))
    })
}

/// `{"spec":{"replicas":0}}` and `spec: {replicas: 0}`.
fn replicas_zero(arg: &str) -> bool {
    let compact: String = arg
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
        .collect();
    compact
        .match_indices("replicas:0")
        .any(|(i, m)| !compact[i + m.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// Look through the programs that run the rest of their arguments:
/// `sudo`, `env`, `time`, `nohup`, `exec`, `command`, `xargs`, `timeout`,
/// `nice`, `ionice`, `stdbuf`, `setsid`, `doas`, `watch`.
fn unwrap(argv: &[CompactString]) -> &[CompactString] {
    let mut argv = argv;
    loop {
        // `NAME=value cmd`: the assignments are not the program.
        while argv.first().is_some_and(|w| is_assignment(w)) {
            argv = &argv[1..];
        }
        let Some(first) = argv.first().map(|p| super::program_name(p)) else {
            return argv;
        };
        // Options that take a value, per wrapper.
        let with_value: &[&str] = match first {
            "sudo" | "doas" => &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"],
            "nice" => &["-n"],
            "ionice" => &["-c", "-n"],
            "timeout" => &["-s", "-k", "--signal", "--kill-after"],
            "xargs" => &["-I", "-n", "-P", "-d", "-E", "-L", "-s", "-a"],
            "stdbuf" => &["-i", "-o", "-e"],
            "watch" => &["-n", "-d", "--interval"],
            "env" => &["-u", "-C", "-S"],
            "time" | "nohup" | "exec" | "command" | "setsid" => &[],
            _ => return argv,
        };
        let mut i = 1;
        while i < argv.len()
            && (argv[i].starts_with('-') || (first == "env" && argv[i].contains('=')))
        {
            if with_value.contains(&argv[i].as_str()) {
                i += 1;
            }
            i += 1;
        }
        // `timeout 30s cmd`: the duration comes first.
        if first == "timeout" {
            i += 1;
        }
        argv = &argv[i.min(argv.len())..];
    }
}

/// kubectl's positional arguments, without its global options' values and
/// without `oc adm`'s `adm`, so that the verb comes first.
fn kubectl_words<'a>(args: &'a [CompactString], out: &mut Vec<&'a str>) {
    const WITH_VALUE: &[&str] = &[
        "-n",
        "--namespace",
        "--context",
        "--kubeconfig",
        "--cluster",
        "--user",
        "-s",
        "--server",
        "--as",
        "--token",
        "--request-timeout",
    ];
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        if out.is_empty() && WITH_VALUE.contains(&arg) {
            i += 2;
            continue;
        }
        if !arg.starts_with('-') {
            out.push(arg);
        }
        i += 1;
    }
    if out.first() == Some(&"adm") {
        out.remove(0);
    }
}

fn is_assignment(word: &str) -> bool {
    super::assignment_name(word).is_some()
}

fn positionals<S: AsRef<str>>(args: &[S]) -> impl Iterator<Item = &str> {
    args.iter()
        .map(AsRef::as_ref)
        .filter(|a| !a.starts_with('-'))
}

/// Whether the rule's path is among the first positional words.
fn path_matches(rule: &Rule, positionals: &[&str]) -> bool {
    if rule.path.is_empty() {
        return true;
    }
    positionals
        .windows(rule.path.len())
        .take(rule.window)
        .any(|w| w == rule.path)
}

fn has_flag(args: &[CompactString], flag: &str) -> bool {
    args.iter().any(|a| {
        a == flag
            || a.strip_prefix(flag)
                .is_some_and(|rest| rest.starts_with('='))
    })
}

fn recursive_rm(args: &[CompactString]) -> bool {
    args.iter().any(|a| {
        a == "--recursive" || (a.starts_with('-') && !a.starts_with("--") && a.contains(['r', 'R']))
    })
}

/// `DROP TABLE|DATABASE|SCHEMA…`, `TRUNCATE`, `DELETE FROM`, in any case.
fn sql(text: &str) -> Vec<Risk> {
    let mut risks: Vec<Risk> = Vec::new();
    // Words of ASCII letters, digits and `_`, read as bytes: this runs over
    // the text of every command, so only words that start with D or T are
    // read at all, and a word is looked at twice only when it is one of the
    // three that start a statement found here.
    let bytes = text.as_bytes();
    let mut at = 0;
    let is = |word: &[u8], keyword: &str| word.eq_ignore_ascii_case(keyword.as_bytes());
    while let Some(word) = statement_word(bytes, &mut at) {
        if !(is(word, "DROP") || is(word, "TRUNCATE") || is(word, "DELETE")) {
            continue;
        }
        let Some(next) = sql_word(bytes, &mut at.clone()) else {
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

/// The next SQL word from `*at` that could start a statement (its first
/// byte is D or T, in any case); `*at` moves past it.
fn statement_word<'t>(bytes: &'t [u8], at: &mut usize) -> Option<&'t [u8]> {
    let starts = |i: usize| {
        matches!(bytes[i] | 0x20, b'd' | b't')
            && (i == 0 || !super::NAME_BYTE[bytes[i - 1] as usize])
    };
    let Some(start) = (*at..bytes.len()).find(|&i| starts(i)) else {
        *at = bytes.len();
        return None;
    };
    let rest = &bytes[start..];
    let len = rest
        .iter()
        .position(|b| !super::NAME_BYTE[*b as usize])
        .unwrap_or(rest.len());
    *at = start + len;
    Some(&rest[..len])
}

/// The next SQL word from `*at`, which moves past it.
fn sql_word<'t>(bytes: &'t [u8], at: &mut usize) -> Option<&'t [u8]> {
    let is_word = |b: &u8| super::NAME_BYTE[*b as usize];
    // Slice searches rather than indexing: no bounds check per byte.
    let rest = bytes.get(*at..).unwrap_or_default();
    let Some(skip) = rest.iter().position(is_word) else {
        *at = bytes.len();
        return None;
    };
    let word = &rest[skip..];
    let len = word.iter().position(|b| !is_word(b)).unwrap_or(word.len());
    *at += skip + len;
    Some(&word[..len])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(line: &str) -> Vec<&'static str> {
        let argv: Vec<CompactString> = line.split_whitespace().map(CompactString::from).collect();
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

    /// Rules a block gets, read as litops reads it (quotes, continuations).
    fn gated(block: &str) -> Vec<&'static str> {
        let script = crate::shell::read(block);
        script
            .commands
            .iter()
            .flat_map(|c| c.risks.iter().map(|r| r.rule))
            .collect()
    }

    /// Commands operators run that destroy, replace or restart things:
    /// every one is gated.
    const DESTRUCTIVE: &[&str] = &[
        "kubectl delete pod web-0",
        "kubectl -n shop delete deployment api",
        "oc delete project legacy",
        "oc adm drain node-1 --ignore-daemonsets",
        "kubectl drain node-1 --delete-emptydir-data",
        "kubectl rollout undo deployment/api",
        "oc rollout undo dc/api",
        "kubectl rollout restart deployment/api",
        "kubectl scale deployment api --replicas=0",
        "kubectl -n shop scale deployment api --replicas=0",
        "oc scale dc/api --replicas 0",
        "kubectl patch deployment api -p '{\"spec\":{\"replicas\":0}}'",
        "kubectl apply -k overlays/production",
        "kubectl set image deployment/api api=repo/api:1.2.3 -n shop-production",
        "kubectl --context prod-eu apply -f deploy.yaml",
        "kubectl replace --force -f pod.yaml",
        "etcdctl del /registry/pods/default/web --prefix",
        "ETCDCTL_API=3 etcdctl snapshot restore snap.db --data-dir /var/lib/etcd-new",
        "redis-cli FLUSHALL",
        "redis-cli -h cache -p 6379 flushdb",
        "valkey-cli FLUSHALL ASYNC",
        "aws s3 rm s3://bucket/logs --recursive",
        "aws s3 rb s3://old-bucket --force",
        "aws ec2 terminate-instances --instance-ids i-123",
        "aws rds delete-db-instance --db-instance-identifier db1",
        "aws eks delete-nodegroup --cluster-name c --nodegroup-name ng",
        "aws secretsmanager delete-secret --secret-id prod/db",
        "aws secretsmanager put-secret-value --secret-id x --secret-string y",
        "gcloud container clusters delete c --zone z",
        "gcloud compute instances delete vm-1 --zone z",
        "gcloud sql instances delete db1",
        "gcloud container clusters upgrade c --master",
        "gsutil rm -r gs://bucket/path",
        "az group delete --name rg --yes",
        "az aks delete -g rg -n c",
        "az aks upgrade -g rg -n c --kubernetes-version 1.30",
        "az keyvault secret set --vault-name v --name n --value x",
        "eksctl delete cluster --name c",
        "kubeadm upgrade apply v1.30.0",
        "kubeadm reset -f",
        "terraform destroy",
        "terraform apply -auto-approve",
        "terraform state rm module.db",
        "tofu destroy -target=module.x",
        "helm uninstall cert-manager -n cert-manager",
        "helm upgrade api ./chart -n shop",
        "helm rollback api 3",
        "iptables -F",
        "sudo iptables --flush INPUT",
        "nft flush ruleset",
        "chmod -R 777 /srv/data",
        "docker system prune -a -f",
        "docker volume prune",
        "podman system prune --all",
        "docker rm -f web",
        "find /var/log/app -name '*.gz' -mtime +7 -delete",
        "find /tmp/x -type f -exec rm {} +",
        "git push --force origin main",
        "git push -f origin HEAD",
        "git push origin +main",
        "git reset --hard origin/main",
        "shred -u secrets.txt",
        "dd if=image.iso of=/dev/sdb bs=4M",
        "sudo rm -rf /var/lib/docker",
        "rm -r build/",
        "mkfs.ext4 /dev/sdb1",
        "dropdb shop",
        "pg_restore --clean -d shop dump.sql",
        "psql -c 'DROP TABLE orders'",
        "mysql -e \"TRUNCATE TABLE sessions\"",
        "systemctl stop nginx",
        "sudo systemctl restart kubelet",
        "vault kv destroy -versions=1 secret/app",
        "sudo -u postgres dropdb shop",
        "env KUBECONFIG=/x kubectl delete ns old",
        "timeout 60 kubectl delete pod web-0",
        "nice -n 10 rm -rf /data/cache",
        "echo web-0 | xargs -n 1 kubectl delete pod",
        "bash -c 'kubectl delete pod web-0'",
        "ssh admin@db1 'sudo systemctl stop postgresql'",
        "ssh -p 2222 ops@host \"rm -rf /srv/old\"",
        "kubectl exec -it redis-0 -- redis-cli FLUSHALL",
        "docker exec -it db psql -c 'DROP DATABASE shop'",
        "shutdown -h now",
        "sudo reboot",
    ];

    /// Commands that only read or create something new: none is gated.
    const READ_ONLY: &[&str] = &[
        "kubectl get pods -A",
        "kubectl get deployment api -n shop-production -o yaml",
        "kubectl describe node node-1",
        "kubectl logs -f deployment/api -n shop-production",
        "kubectl top pods",
        "kubectl rollout status deployment/api -n production",
        "kubectl rollout history deployment/api",
        "kubectl config use-context staging",
        "kubectl config get-contexts",
        "kubectl auth can-i delete pods",
        "kubectl explain deployment.spec",
        "kubectl diff -k overlays/production",
        "kubectl port-forward svc/api 8080:80",
        "kubectl scale deployment api --replicas=5",
        "kubectl cluster-info",
        "kubectl api-resources",
        "oc get pods",
        "oc whoami",
        "oc project shop",
        "oc status",
        "etcdctl get /registry --prefix --keys-only",
        "etcdctl endpoint health",
        "etcdctl snapshot save snap.db",
        "redis-cli INFO",
        "redis-cli -h cache GET session:1",
        "redis-cli --scan --pattern 'user:*'",
        "aws s3 ls s3://bucket",
        "aws s3 cp s3://bucket/file .",
        "aws ec2 describe-instances",
        "aws sts get-caller-identity",
        "aws eks update-kubeconfig --name c",
        "aws logs tail /aws/lambda/f --follow",
        "gcloud container clusters get-credentials c --zone z",
        "gcloud compute instances list",
        "gcloud config set project p",
        "gsutil ls gs://bucket",
        "az account show",
        "az aks get-credentials -g rg -n c",
        "az group list -o table",
        "eksctl get cluster",
        "kubeadm upgrade plan",
        "kubeadm token list",
        "terraform plan",
        "terraform init",
        "terraform state list",
        "terraform output",
        "helm list -A",
        "helm status api",
        "helm repo add jetstack https://charts.jetstack.io",
        "helm template api ./chart",
        "iptables -L -n",
        "nft list ruleset",
        "chmod 600 key.pem",
        "chmod -R g+r /srv/data",
        "docker ps -a",
        "docker logs web",
        "docker system df",
        "docker volume ls",
        "find /var/log -name '*.log' -mtime +7",
        "git status",
        "git push origin main",
        "git fetch --all",
        "git log --oneline",
        "dd if=/dev/zero of=test.img bs=1M count=10",
        "rm -f /tmp/lockfile",
        "psql -c 'SELECT count(*) FROM orders'",
        "pg_dump shop > shop.sql",
        "systemctl status nginx",
        "journalctl -u kubelet --since today",
        "vault kv get secret/app",
        "ssh admin@db1 uptime",
        "bash -c 'kubectl get pods'",
        "kubectl exec -it web-0 -- ls /app",
        "timeout 10 curl -s http://localhost:8080/healthz",
        "curl -fsS https://example.com/status",
        "openssl x509 -in cert.pem -noout -dates",
        "dig +short example.com",
        "df -h",
    ];

    #[test]
    fn destructive_commands_are_gated_and_read_only_ones_are_not() {
        assert!(DESTRUCTIVE.len() >= 60 && READ_ONLY.len() >= 60);
        let missed: Vec<&str> = DESTRUCTIVE
            .iter()
            .copied()
            .filter(|c| gated(c).is_empty())
            .collect();
        assert!(missed.is_empty(), "not gated: {missed:#?}");
        let wrong: Vec<(&str, Vec<&str>)> = READ_ONLY
            .iter()
            .map(|c| (*c, gated(c)))
            .filter(|(_, r)| !r.is_empty())
            .collect();
        assert!(wrong.is_empty(), "gated: {wrong:#?}");
    }

    /// `program_number` names every program of the table, and each rule
    /// is among its program's, in table order.
    #[test]
    fn every_rule_program_is_known() {
        for rule in RULES {
            assert!(program_number(rule.program).is_some(), "{}", rule.program);
            let own: Vec<&str> = RULES
                .iter()
                .filter(|r| r.program == rule.program)
                .map(|r| r.id)
                .collect();
            let split: Vec<&str> = rules_of(rule.program).iter().map(|r| r.id).collect();
            assert_eq!(split, own, "{}", rule.program);
        }
        assert!(rules_of("ls").is_empty());
    }

    #[test]
    fn sql_in_text() {
        let r = assess(&[], "psql <<EOF\ndrop table users;\nEOF");
        assert_eq!(r[0].rule, "sql-drop");
    }

    #[test]
    fn sql_statements_are_whole_words_followed_by_another() {
        let rules = |text: &str| sql(text).into_iter().map(|r| r.rule).collect::<Vec<_>>();
        assert_eq!(
            rules("Truncate t; DELETE\n  from x"),
            ["sql-truncate", "sql-delete"]
        );
        assert_eq!(
            rules("drop-table; DROP\tSCHEMA s; drop index i"),
            ["sql-drop"]
        );
        // Not words of their own, or nothing after them.
        assert!(rules("drop_table x; my_truncate y; undelete from z").is_empty());
        assert!(rules("echo truncate").is_empty());
        assert!(rules("delete;").is_empty());
        assert!(rules("").is_empty());
        assert_eq!(rules("x TRUNCATE é"), Vec::<&str>::new());
        assert_eq!(rules("x TRUNCATE é y"), ["sql-truncate"]);
        // In the order they are written, whatever the case of their D or T.
        assert_eq!(
            rules("delete from a; Truncate b; tdrop table c; ÉDROP TABLE d"),
            ["sql-delete", "sql-truncate", "sql-drop"]
        );
    }
}
