//! Which lines of a block a person would type into a shell.
//!
//! Runbooks paste output under the command that printed it (`NAME  READY`
//! tables, `deployment.apps/web created`, JSON), and write input to other
//! programs (`postgres=# select 1;`, `redis> GET k`) in shell blocks. Bash
//! would run all of it. This module tells those lines apart from commands,
//! and says whether an untagged block reads as shell commands at all. It
//! only looks at the text: whether a command is known comes from a table
//! built in here, never from the machine's `PATH`, so a plan is the same
//! wherever it is made.

use crate::shell;
use crate::source::{MappedText, Span};
use crate::syntax::fence::line_spans;

/// Commands and builtins people write in runbooks. A first word found here
/// (or a `./script` path) is what makes an untagged line a command.
#[rustfmt::skip]
const COMMANDS: &[&str] = &[
    "[", "[[", "alias", "ansible", "ansible-playbook", "apk", "apt", "apt-get", "argo", "argocd",
    "awk", "aws", "az", "base64", "basename", "bash", "blkid", "bq", "brew", "buildah", "bundle",
    "bunzip2", "bzip2", "cargo", "cat", "cd", "ceph", "certbot", "cfssl", "chgrp", "chmod",
    "choco", "chown", "chroot", "cilium", "clusterctl", "cmctl", "colima", "column", "composer",
    "consul", "cosign", "cp", "crane", "createdb", "crictl", "crontab", "ctr", "curl", "curlie",
    "cut", "dapr", "date", "dd", "declare", "df", "diff", "dig", "dirname", "dmesg", "dnf",
    "docker", "docker-compose", "doctl", "dropdb", "du", "echo", "eksctl", "env", "envsubst",
    "etcdctl", "etcdutl", "eval", "exec", "exit", "export", "false", "fdisk", "file", "find",
    "flux", "free", "fsck", "gcloud", "gh", "git", "git-crypt", "go", "gpg", "grep", "groupadd",
    "gsutil", "gunzip", "gzip", "hcloud", "head", "helm", "helmfile", "host", "hostname",
    "hostnamectl", "htop", "http", "ibmcloud", "id", "ifconfig", "install", "iostat", "ip",
    "iptables", "istioctl", "java", "journalctl", "jq", "jwt", "k0s", "k3d", "k3s", "k9s", "kapp",
    "kctrl", "kill", "killall", "kind", "kn", "ko", "kopia", "kops", "kubeadm", "kubebuilder",
    "kubectl", "kubectl-argo-rollouts", "kubectx", "kubens", "kubeseal", "kustomize", "less",
    "lima", "limactl", "linkerd", "linode-cli", "ln", "local", "logger", "ls", "lsblk", "lsmod",
    "lsof", "make", "man", "mc", "md5sum", "microk8s", "minikube", "mkdir", "mkfs", "mktemp",
    "modprobe", "mongo", "mongosh", "mount", "multipass", "mv", "mysql", "mysqladmin", "mysqldump",
    "nano", "nc", "nerdctl", "netstat", "nix", "nmap", "node", "nohup", "npm", "npx", "nslookup",
    "oc", "oci", "openssl", "operator-sdk", "opm", "packer", "pg_basebackup", "pg_ctl", "pg_dump",
    "pg_dumpall", "pg_isready", "pg_restore", "pgrep", "php", "ping", "pip", "pip3", "pkill",
    "podman", "popd", "printenv", "printf", "ps", "psql", "pulumi", "pushd", "pwd", "python",
    "python3", "rados", "radosgw-admin", "rancher", "rbd", "rclone", "rdctl", "read", "readlink",
    "readonly", "realpath", "redis-cli", "redis-server", "restic", "rke", "rke2", "rm", "rmdir",
    "rpm", "rsync", "ruby", "s5cmd", "scp", "sed", "seq", "service", "set", "sftp", "sh",
    "sha256sum", "shasum", "skaffold", "skopeo", "sleep", "snap", "sops", "sort", "source", "ss",
    "ssh", "ssh-add", "ssh-copy-id", "ssh-keygen", "stat", "stern", "su", "sudo", "swapoff",
    "sysctl", "systemctl", "tail", "talosctl", "tar", "tee", "telnet", "terraform", "terragrunt",
    "test", "tilt", "time", "timeout", "tkn", "tofu", "top", "touch", "tr", "traceroute", "trap",
    "true", "tsh", "ufw", "umask", "umount", "uname", "uniq", "unset", "unzip", "uptime",
    "useradd", "usermod", "vagrant", "vault", "velero", "vi", "vim", "virsh", "vtctlclient",
    "vtctldclient", "watch", "wc", "wget", "which", "whoami", "winget", "wsl", "xargs", "xxd",
    "yarn", "yq", "ytt", "yum", "zip", "zypper",
];

/// `COMMANDS` as an open-addressing hash table built at compile time (slot:
/// index + 1, 0 for empty): a look-up runs for lines of every block, and
/// costs one hash and, most of the time, one comparison.
const TABLE_SLOTS: usize = 1024;
const COMMAND_TABLE: [u16; TABLE_SLOTS] = {
    let mut table = [0u16; TABLE_SLOTS];
    let mut i = 0;
    while i < COMMANDS.len() {
        let mut slot = fnv1a(COMMANDS[i].as_bytes()) % TABLE_SLOTS;
        while table[slot] != 0 {
            slot = (slot + 1) % TABLE_SLOTS;
        }
        table[slot] = (i + 1) as u16;
        i += 1;
    }
    table
};

const fn fnv1a(bytes: &[u8]) -> usize {
    let mut hash: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u32).wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash as usize
}

/// Whether `word` names a command from the table (or a script by path).
pub fn is_known_command(word: &str) -> bool {
    if let Some(path) = word.strip_prefix("./").or_else(|| word.strip_prefix("../")) {
        return !path.is_empty();
    }
    // `/usr/bin/kubectl`: the table's name with a directory in front.
    in_table(shell::program_name(word))
}

/// Whether `name` is in `COMMANDS` as written.
fn in_table(name: &str) -> bool {
    let mut slot = fnv1a(name.as_bytes()) % TABLE_SLOTS;
    loop {
        match COMMAND_TABLE[slot] {
            0 => return false,
            i if COMMANDS[i as usize - 1] == name => return true,
            _ => slot = (slot + 1) % TABLE_SLOTS,
        }
    }
}

/// Why a block without a language or prompts does not read as shell
/// commands, if it does not: bash must read it without a problem, and the
/// first word of every command must be known. `script` is `text` read as
/// bash, when the caller has it already.
pub fn why_not_commands(text: &str, script: Option<&shell::Script>) -> Option<String> {
    let read;
    let script = match script {
        Some(script) => script,
        None => {
            read = shell::read(text);
            &read
        }
    };
    if let Some(problem) = script.problems.first() {
        return Some(format!("bash would not read it ({})", problem.message));
    }
    if script.commands.is_empty() {
        return Some("it holds no command".to_owned());
    }
    let mut any = false;
    for command in &script.commands {
        let body = text[command.span.start..command.span.end].trim_start();
        if is_sentence(body) {
            return Some(format!("`{}` reads as a sentence", body.trim_end()));
        }
        let first = body.split_whitespace().next().unwrap_or("");
        // Compound commands (`for x in …`) start with a keyword; their inner
        // commands are among `argvs` and checked like the rest.
        let compound = shell::lexer::is_keyword(first);
        for (i, argv) in command.argvs.iter().enumerate() {
            if compound && i == 0 {
                continue;
            }
            if let Some(word) = argv.iter().find(|w| !is_assignment(w)) {
                if !is_known_command(word) {
                    return Some(format!("`{word}` is not a known command"));
                }
                any = true;
            }
        }
    }
    // `level=info msg="…"` alone is a log line, not a script.
    (!any).then(|| "it holds no command, only assignments".to_owned())
}

/// `make sure the cluster is up`: five or more plain words, no option, path,
/// quote or operator. A person reads it; nobody types it.
fn is_sentence(line: &str) -> bool {
    let line = line.trim_end().trim_end_matches(['.', ',', '!', ':']);
    !line.contains('\n')
        && line.split_whitespace().count() >= 5
        && line
            .chars()
            .all(|c| c.is_alphabetic() || c == ' ' || c == ',')
}

fn is_assignment(word: &str) -> bool {
    shell::assignment_name(word).is_some()
}

/// A line of a block that is not bash, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The line in the source file (without its newline).
    pub span: Span,
    pub line: String,
    pub why: String,
}

/// A shell block split into what bash runs, the output pasted in it and the
/// input typed to other programs (REPLs).
#[derive(Debug, Clone, Default)]
pub struct Split {
    pub text: MappedText,
    pub output: Vec<Dropped>,
    /// Input to a REPL, with the program's name in `why`.
    pub repl: Vec<Dropped>,
    /// The block read as bash, when it was read and nothing was taken out
    /// (`text` is then the block itself): reading it again costs as much.
    pub script: Option<shell::Script>,
}

/// Splits a block that has no prompts: output and REPL input are taken out,
/// the rest is kept as written (mapped to the file).
pub fn split(content: &MappedText) -> Split {
    let text = content.as_str();
    // Most blocks have no line that could be output: they are kept as they
    // are, without reading them as bash here. Lines before the first such
    // line are known to be commands.
    let looks = |line: Span| look_at(&text[line.start..line.end]);
    let Some(first) = line_spans(text).position(|l| looks(l).is_some()) else {
        return Split {
            text: content.clone(),
            ..Split::default()
        };
    };
    let script = shell::read(text);
    let mut out = Split {
        text: MappedText::new(),
        ..Split::default()
    };
    // The end of the last kept command: lines before it continue it (a
    // heredoc body, a `\` continuation, a quoted string over lines).
    let mut covered = 0;
    let mut region: Option<Region> = None;
    // Commands in order of their start: the ones starting on each line are
    // found by walking on, not by searching them all for every line.
    let mut next_command = 0;
    // Where the lines taken out start (most blocks have none).
    let mut taken: Vec<usize> = Vec::new();
    for (i, line) in line_spans(text).enumerate() {
        let raw = &text[line.start..line.end];
        let body = raw.trim_end_matches('\n');
        let span = || content.source_span(Span::new(line.start, line.start + body.len()));
        let in_repl = region.is_some_and(|r| matches!(r.kind, RegionKind::Repl));
        // `-> ` continues the input typed at the REPL before it (mysql).
        if in_repl && body.trim_start().starts_with("-> ") {
            out.repl
                .push(dropped(span(), body, region.map_or("", |r| r.why)));
            taken.push(line.start);
            continue;
        }
        // psql leaves a blank line between a query and its answer: a blank
        // line is kept, and the answer after it is still output.
        let repl_gap = in_repl && body.trim().is_empty();
        if line.start >= covered && !repl_gap {
            if let Some(still) = region.take().and_then(|r| r.continues(body)) {
                out.output.push(dropped(span(), body, &still.reason()));
                region = still.open.then_some(still);
                taken.push(line.start);
                continue;
            }
            // A line inside a command (a heredoc's YAML) is never looked at.
            match (i >= first).then(|| looks(line)).flatten() {
                Some(Found::Repl(program)) => {
                    out.repl.push(dropped(span(), body, program));
                    // What follows is the program's answer, not commands.
                    region = Some(Region {
                        why: program,
                        kind: RegionKind::Repl,
                        open: true,
                    });
                    taken.push(line.start);
                    continue;
                }
                Some(Found::Output(found)) if found.confirmed(body, text, line.end) => {
                    out.output.push(dropped(span(), body, found.why));
                    region = found.open.then_some(found);
                    taken.push(line.start);
                    continue;
                }
                _ => {}
            }
        }
        while let Some(command) = script.commands.get(next_command) {
            if command.span.start >= line.end {
                break;
            }
            if command.span.start >= line.start {
                covered = covered.max(command.span.end);
            }
            next_command += 1;
        }
    }
    if taken.is_empty() {
        // Nothing taken out: the block as it is, read once.
        out.text = content.clone();
        out.script = Some(script);
    } else {
        let mut taken = taken.into_iter().peekable();
        for line in line_spans(text) {
            if taken.next_if_eq(&line.start).is_none() {
                let piece = content.slice(line);
                out.text.push(piece.as_str(), piece.source_offset(0));
            }
        }
    }
    out
}

fn dropped(span: Span, line: &str, why: &str) -> Dropped {
    Dropped {
        span,
        line: line.to_owned(),
        why: why.to_owned(),
    }
}

/// What a line looks like by itself, when it does not look like a command.
#[derive(Debug, Clone, Copy)]
enum Found {
    /// Input typed at a REPL prompt, with the program's name.
    Repl(&'static str),
    Output(Region),
}

/// A run of output lines: a table goes on to its last row, JSON to its
/// closing bracket, YAML to the end of its paragraph.
#[derive(Debug, Clone, Copy)]
struct Region {
    /// Why the lines are output; after REPL input, the program's name.
    why: &'static str,
    kind: RegionKind,
    /// Whether lines after this one belong to it.
    open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegionKind {
    Line,
    Table,
    Json {
        indent: usize,
    },
    Yaml,
    /// After REPL input: the program's output, up to a known command.
    Repl,
}

impl Region {
    fn output(why: &'static str, kind: RegionKind) -> Option<Found> {
        Some(Found::Output(Region {
            why,
            kind,
            open: kind != RegionKind::Line,
        }))
    }

    /// Why a line in this region is output.
    fn reason(&self) -> String {
        match self.kind {
            RegionKind::Repl => format!("output of {}", self.why),
            _ => self.why.to_owned(),
        }
    }

    /// The region, if `line` still belongs to it.
    fn continues(self, line: &str) -> Option<Region> {
        let trimmed = line.trim();
        match self.kind {
            RegionKind::Json { indent } => {
                let closing = matches!(trimmed, "}" | "]" | "}," | "],")
                    && line.len() - line.trim_start().len() == indent;
                Some(Region {
                    open: !closing,
                    ..self
                })
            }
            _ if trimmed.is_empty() => None,
            // Indented lines belong to the YAML value above them, even when
            // they look like commands (`script: |` and a script under it).
            RegionKind::Yaml if line.starts_with([' ', '\t', '-']) || trimmed.starts_with('#') => {
                Some(self)
            }
            RegionKind::Table | RegionKind::Yaml | RegionKind::Repl => {
                let first = trimmed.split_whitespace().next().unwrap_or("");
                if is_known_command(first) || repl_prompt(trimmed).is_some() {
                    None
                } else {
                    Some(self)
                }
            }
            RegionKind::Line => None,
        }
    }

    /// `{` alone also opens a bash group: it is JSON only if the next line
    /// looks like JSON too.
    fn confirmed(&self, line: &str, text: &str, next: usize) -> bool {
        if !matches!(line.trim(), "{" | "[") {
            return true;
        }
        let rest = text[next..].lines().map(str::trim).find(|l| !l.is_empty());
        match rest {
            Some(l) => {
                l.starts_with('"') || l.starts_with('}') || l.starts_with(']') || l.starts_with('{')
            }
            None => false,
        }
    }
}

/// Whether a line (by itself) looks like REPL input or output rather than a
/// command. This runs on every line of every block without a prompt: the
/// cheap tests on the first byte come first.
fn look_at(line: &str) -> Option<Found> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let trimmed = line.trim_ascii();
    let first = *trimmed.as_bytes().first()?;
    if first == b'#' {
        return None;
    }
    // A line that starts with a command from the table is that command (no
    // output line starts with a bare `kubectl` or `echo`).
    let word = trimmed.split([' ', '\t']).next().unwrap_or(trimmed);
    if in_table(word) {
        return None;
    }
    if let Some((program, _)) = repl_prompt(trimmed) {
        return Some(Found::Repl(program));
    }
    if first.is_ascii_uppercase() {
        if trimmed.starts_with("Error from server") {
            return Region::output("an error message (`Error from server`)", RegionKind::Line);
        }
        if is_table_header(trimmed) {
            return Region::output(
                "a table of output (column headers and rows)",
                RegionKind::Table,
            );
        }
    }
    if first.is_ascii_lowercase() && is_kind_name_verb(trimmed) {
        return Region::output("a result line (`kind/name verb`)", RegionKind::Line);
    }
    if matches!(first, b'{' | b'[')
        && (matches!(trimmed, "{" | "[") || trimmed.starts_with("{\"") || trimmed.starts_with("[{"))
    {
        let closed_here = trimmed.len() > 1 && (trimmed.ends_with('}') || trimmed.ends_with(']'));
        return Some(Found::Output(Region {
            why: "JSON output",
            kind: RegionKind::Json {
                indent: line.len() - line.trim_start().len(),
            },
            open: !closed_here,
        }));
    }
    if is_yaml_key(trimmed) {
        return Region::output(
            "`key: value` output (YAML, a description)",
            RegionKind::Yaml,
        );
    }
    None
}

/// `deployment.apps/web created`, `pod/web-0 condition met`.
fn is_kind_name_verb(line: &str) -> bool {
    const VERBS: &[&str] = &[
        "created",
        "configured",
        "unchanged",
        "deleted",
        "patched",
        "labeled",
        "annotated",
        "scaled",
        "restarted",
        "exposed",
        "edited",
        "replaced",
        "tainted",
        "untainted",
        "cordoned",
        "uncordoned",
        "drained",
        "evicted",
        "serverside-applied",
        "condition met",
        "rolled back",
        "paused",
        "resumed",
        "autoscaled",
    ];
    let Some((resource, rest)) = line.split_once(' ') else {
        return false;
    };
    let Some((kind, name)) = resource.split_once('/') else {
        return false;
    };
    let kind_ok = !kind.is_empty()
        && kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-');
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._-:".contains(&c));
    // `created (dry run)`, `created (server dry run)`.
    let rest = rest.split(" (").next().unwrap_or(rest).trim_end();
    kind_ok && name_ok && VERBS.contains(&rest)
}

/// `NAME   READY   STATUS`, `CONTAINER ID   IMAGE`: two or more upper-case
/// columns, at least two spaces (or a tab) apart.
fn is_table_header(line: &str) -> bool {
    let bytes = line.as_bytes();
    let separator =
        |i: usize| bytes[i] == b'\t' || (bytes[i] == b' ' && bytes.get(i + 1) == Some(&b' '));
    let mut columns = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_uppercase() {
            return false;
        }
        columns += 1;
        while i < bytes.len() && !separator(i) {
            let b = bytes[i];
            if !(b.is_ascii_uppercase() || b.is_ascii_digit() || b" _-()%/.:".contains(&b)) {
                return false;
            }
            i += 1;
        }
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
    }
    columns >= 2
}

/// `apiVersion: v1`, `status:`: a key bash would take for a command name.
fn is_yaml_key(line: &str) -> bool {
    let Some((key, rest)) = line.split_once(':') else {
        return false;
    };
    (rest.is_empty() || rest.starts_with(' '))
        && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c))
        && !is_known_command(key)
}

/// The program a REPL prompt at the start of `line` belongs to, and the
/// prompt's length: `postgres=# ` (psql), `mysql> `, `redis> `,
/// `127.0.0.1:6379> ` (redis-cli), `>>> ` (python), `irb> ` / `irb(main):001:0> `.
pub fn repl_prompt(line: &str) -> Option<(&'static str, usize)> {
    // Every prompt below has a `>` or a `#`; most lines have neither.
    memchr::memchr2(b'>', b'#', line.as_bytes())?;
    if line.starts_with(">>> ") {
        return Some(("python", 4));
    }
    // psql: `dbname=# `, `dbname=> `, continuation `dbname-# `.
    let word = line.split(' ').next().unwrap_or(line);
    if let Some(db) = ["=#", "=>", "-#", "->"]
        .iter()
        .find_map(|sign| word.strip_suffix(sign))
        && is_word(db)
    {
        return Some(("psql", (word.len() + 1).min(line.len())));
    }
    let (head, _) = split_at_prompt_sign(line).or_else(|| {
        line.strip_suffix('>')
            .map(|h| (h, ""))
            .filter(|_| !line.contains(' '))
    })?;
    let len = head.len() + 2.min(line.len() - head.len());
    match head {
        "mysql" | "MariaDB [(none)]" => return Some(("mysql", len)),
        "redis" => return Some(("redis-cli", len)),
        "irb" => return Some(("irb", len)),
        _ => {}
    }
    if head.starts_with("MariaDB [") && head.ends_with(']') {
        return Some(("mysql", len));
    }
    if head.starts_with("irb(") {
        return Some(("irb", len));
    }
    if let Some((host, port)) = head.rsplit_once(':')
        && port == "6379"
        && !host.is_empty()
        && !host.contains(' ')
    {
        return Some(("redis-cli", len));
    }
    None
}

/// `line.split_once("> ")` by a byte search: this runs on every line of
/// every block, and a substring search sets up a searcher each time.
fn split_at_prompt_sign(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(found) = line[from..].find('>') {
        let at = from + found;
        if bytes.get(at + 1) == Some(&b' ') {
            return Some((&line[..at], &line[at + 2..]));
        }
        from = at + 1;
    }
    None
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads_as_commands(text: &str) -> bool {
        why_not_commands(text, None).is_none()
    }

    #[test]
    fn the_table_has_each_command_once_and_finds_each() {
        assert!(COMMANDS.windows(2).all(|w| w[0] < w[1]));
        assert!(COMMANDS.iter().all(|c| in_table(c)));
        assert!(!in_table("kubect") && !in_table("") && !in_table("kubectl "));
    }

    #[test]
    fn known_commands() {
        for word in [
            "kubectl",
            "./deploy.sh",
            "/usr/bin/kubectl",
            "sudo",
            "[[",
            "ceph",
            "modprobe",
        ] {
            assert!(is_known_command(word), "{word}");
        }
        for word in [
            "NAME",
            "apiVersion:",
            "web-1",
            "./",
            "Error",
            "~/.config/app.json",
        ] {
            assert!(!is_known_command(word), "{word}");
        }
    }

    #[test]
    fn blocks_that_read_as_commands() {
        assert!(reads_as_commands(
            "kubectl get pods\nFOO=1 helm list | grep x\n"
        ));
        assert!(reads_as_commands(
            "for p in a b; do\n  kubectl delete pod $p\ndone\n"
        ));
        assert!(reads_as_commands("# comment\nexport A=1\n./run.sh\n"));
        assert!(!reads_as_commands("apiVersion: v1\nkind: Pod\n"));
        assert!(!reads_as_commands("Hello world\n"));
        assert!(!reads_as_commands("make sure the cluster is up.\n"));
        assert!(reads_as_commands("sudo apt update\nmake install\n"));
        assert!(!reads_as_commands("kubectl get pods\nNAME READY\n"));
        assert!(!reads_as_commands("echo 'unclosed\n"));
        assert!(!reads_as_commands("# only a comment\n"));
        assert!(!reads_as_commands("err=\"failed\" key=\"ns/cert\"\n"));
    }

    type Lines = Vec<(String, String)>;

    fn split_text(text: &str) -> (String, Lines, Lines) {
        let s = split(&MappedText::contiguous(text, 0));
        let pairs = |d: &[Dropped]| {
            d.iter()
                .map(|d| (d.line.clone(), d.why.clone()))
                .collect::<Vec<_>>()
        };
        (s.text.as_str().to_owned(), pairs(&s.output), pairs(&s.repl))
    }

    #[test]
    fn output_lines_are_taken_out() {
        let (text, output, repl) = split_text(
            "kubectl get pods\nNAME   READY   STATUS\nweb-1  1/1     Running\n\nkubectl apply -f x.yaml\ndeployment.apps/web created\nError from server (NotFound): x\n",
        );
        assert_eq!(text, "kubectl get pods\n\nkubectl apply -f x.yaml\n");
        let lines: Vec<&str> = output.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            lines,
            vec![
                "NAME   READY   STATUS",
                "web-1  1/1     Running",
                "deployment.apps/web created",
                "Error from server (NotFound): x"
            ]
        );
        assert!(repl.is_empty());
    }

    #[test]
    fn heredocs_and_groups_are_commands() {
        let block =
            "kubectl apply -f - <<EOF\napiVersion: v1\nkind: Namespace\nEOF\n{\n  echo a\n}\n";
        let (text, output, _) = split_text(block);
        assert_eq!(text, block);
        assert!(output.is_empty());
    }

    #[test]
    fn json_and_yaml_after_a_command_are_output() {
        let (text, output, _) = split_text(
            "kubectl get cm x -o json\n{\n  \"a\": 1,\n  \"b\": {\n  }\n}\necho done\nkubectl get cm -o yaml\napiVersion: v1\ndata:\n  k: v\n\nls\n",
        );
        assert_eq!(
            text,
            "kubectl get cm x -o json\necho done\nkubectl get cm -o yaml\n\nls\n"
        );
        assert_eq!(output.len(), 8);
        assert_eq!(output[0].1, "JSON output");
        assert_eq!(output[5].1, "`key: value` output (YAML, a description)");
    }

    #[test]
    fn a_script_under_a_yaml_key_is_part_of_the_yaml() {
        let (text, output, _) = split_text(
            "provision:\n  - mode: system\n    script: |\n      #!/bin/sh\n      mkdir -p /etc/x\n",
        );
        assert_eq!(text, "");
        assert_eq!(output.len(), 5);
    }

    #[test]
    fn repl_prompts() {
        for (line, program) in [
            ("postgres=# select 1;", "psql"),
            ("pgbouncer=# show databases;", "psql"),
            ("app=> \\dt", "psql"),
            ("app-# where x", "psql"),
            ("mysql> show tables;", "mysql"),
            ("redis> GET k", "redis-cli"),
            ("127.0.0.1:6379> KEYS *", "redis-cli"),
            (">>> import os", "python"),
            ("irb> puts 1", "irb"),
            ("irb(main):001:0> puts 1", "irb"),
        ] {
            assert_eq!(repl_prompt(line).map(|(p, _)| p), Some(program), "{line}");
        }
        for line in ["echo a > b", "kubectl get pods", "A=1 b", "> continued"] {
            assert_eq!(repl_prompt(line), None, "{line}");
        }
        let (text, _, repl) = split_text("psql -U app\napp=# select 1;\n");
        assert_eq!(text, "psql -U app\n");
        assert_eq!(
            repl,
            vec![("app=# select 1;".to_owned(), "psql".to_owned())]
        );
    }
}
