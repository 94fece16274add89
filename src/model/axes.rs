//! Axes: what groups of alternatives choose between.
//!
//! A runbook written for several clouds says so in many places and many
//! words: a section "Amazon EKS", a section "AWS Secrets Manager", a tab
//! "AWS", a line `# EKS` inside a block. A person choosing EKS once reads
//! all of them as the same choice. This table is how litops does: each
//! *kind* of axis (`cloud`, `os`, `package-manager`, `tool`) lists its
//! options, and each option the words that name it. A group of
//! alternatives whose options all name options of one kind is on that
//! axis; groups on the same axis are chosen once, together.
//!
//! The table is documented in `docs/runbook-format.md` ("Alternatives");
//! a word is in it only when it names one option and little else.

/// A kind of axis and its options, each with the words that name it
/// (lowercase; several words are matched as consecutive words).
pub struct Kind {
    pub name: &'static str,
    /// Whether sections naming different options are alternatives only when
    /// their titles are otherwise the same ("Install with Helm", "Install
    /// with kubectl"): titles name tools for many other reasons ("Disabling
    /// mTLS with Helm", "Updating certificates using kubectl").
    pub same_titles: bool,
    pub options: &'static [(&'static str, &'static [&'static str])],
}

pub const KINDS: &[Kind] = &[
    Kind {
        name: "cloud",
        same_titles: false,
        options: &[
            (
                "gcp",
                &[
                    "gcp",
                    "gke",
                    "google",
                    "google cloud",
                    "gcloud",
                    "gce",
                    "gcs",
                ],
            ),
            ("aws", &["aws", "eks", "amazon", "eksctl", "ec2", "s3"]),
            ("azure", &["azure", "aks", "az"]),
            ("digitalocean", &["digitalocean", "doks", "doctl"]),
        ],
    },
    Kind {
        name: "os",
        same_titles: false,
        options: &[
            ("debian", &["debian", "ubuntu"]),
            (
                "redhat",
                &[
                    "red hat",
                    "redhat",
                    "rhel",
                    "centos",
                    "fedora",
                    "rocky",
                    "almalinux",
                    "amazon linux",
                ],
            ),
            ("suse", &["suse", "opensuse", "sles"]),
            ("arch", &["arch linux", "archlinux"]),
            ("alpine", &["alpine"]),
            ("linux", &["linux"]),
            ("macos", &["macos", "mac os", "osx", "os x", "darwin"]),
            ("windows", &["windows"]),
        ],
    },
    Kind {
        name: "package-manager",
        same_titles: true,
        options: &[
            ("apt", &["apt", "apt get"]),
            ("yum", &["yum"]),
            ("dnf", &["dnf"]),
            ("zypper", &["zypper"]),
            ("pacman", &["pacman"]),
            ("apk", &["apk"]),
            ("brew", &["brew", "homebrew"]),
            ("snap", &["snap"]),
            ("choco", &["choco", "chocolatey"]),
            ("winget", &["winget"]),
        ],
    },
    Kind {
        name: "package-format",
        same_titles: false,
        options: &[
            ("deb", &["deb"]),
            ("rpm", &["rpm"]),
            ("appimage", &["appimage"]),
            ("flatpak", &["flatpak"]),
        ],
    },
    Kind {
        name: "tool",
        same_titles: true,
        options: &[
            ("kubectl", &["kubectl"]),
            ("helm", &["helm"]),
            ("kustomize", &["kustomize"]),
            ("terraform", &["terraform"]),
            ("pulumi", &["pulumi"]),
            ("ansible", &["ansible"]),
            ("docker", &["docker"]),
            ("podman", &["podman"]),
        ],
    },
];

/// An option of a kind: indexes into [`KINDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OptionRef {
    pub kind: usize,
    pub option: usize,
}

impl OptionRef {
    pub fn kind(self) -> &'static Kind {
        &KINDS[self.kind]
    }

    /// The option's own name (`aws`).
    pub fn name(self) -> &'static str {
        KINDS[self.kind].options[self.option].0
    }

    /// Every word that names it.
    pub fn words(self) -> &'static [&'static str] {
        KINDS[self.kind].options[self.option].1
    }
}

/// Lowercase ASCII words of a text (`Amazon EKS (us-east-1)` → amazon, eks,
/// us, east, 1).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Every name of every option by its first word: (the name's words, the
/// option), so a text is matched word by word, not name by name.
type NamesByFirstWord = rustc_hash::FxHashMap<&'static str, Vec<(Vec<&'static str>, OptionRef)>>;

static BY_FIRST_WORD: std::sync::LazyLock<NamesByFirstWord> = std::sync::LazyLock::new(|| {
    let mut map = NamesByFirstWord::default();
    for (kind, k) in KINDS.iter().enumerate() {
        for (option, (_, names)) in k.options.iter().enumerate() {
            for name in *names {
                let words: Vec<&'static str> = name.split(' ').collect();
                map.entry(words[0])
                    .or_default()
                    .push((words, OptionRef { kind, option }));
            }
        }
    }
    map
});

/// Whether any word of a text starts a name of some option (a quick test,
/// without allocating, before [`named_in`]).
pub fn names_any(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() <= 16)
        .any(|w| {
            let mut buf = [0u8; 16];
            let lower = &mut buf[..w.len()];
            lower.copy_from_slice(w.as_bytes());
            lower.make_ascii_lowercase();
            std::str::from_utf8(lower).is_ok_and(|w| BY_FIRST_WORD.contains_key(w))
        })
}

/// The options of one kind a text names, each once, in the order named.
/// The longest match wins where names overlap ("Amazon Linux" is an OS,
/// not the cloud).
pub fn named_in(words: &[String], kind: usize) -> Vec<OptionRef> {
    let mut out: Vec<OptionRef> = Vec::new();
    let mut at = 0;
    while at < words.len() {
        let mut best: Option<(usize, OptionRef)> = None;
        for (name, option) in BY_FIRST_WORD.get(words[at].as_str()).into_iter().flatten() {
            let len = name.len();
            let matches =
                words.len() >= at + len && name.iter().zip(&words[at..]).all(|(n, w)| n == w);
            if matches && best.is_none_or(|(l, _)| len > l) {
                best = Some((len, *option));
            }
        }
        match best {
            Some((len, found)) => {
                if found.kind == kind && !out.contains(&found) {
                    out.push(found);
                }
                at += len;
            }
            None => at += 1,
        }
    }
    out
}

/// A text's words that name no option of `kind` (what is left of "Install
/// with Helm" once Helm is taken out).
pub fn other_words(text: &str, kind: usize) -> Vec<String> {
    let names: Vec<&str> = KINDS[kind]
        .options
        .iter()
        .flat_map(|(_, names)| names.iter().flat_map(|n| n.split(' ')))
        .collect();
    words(text)
        .into_iter()
        .filter(|w| !names.contains(&w.as_str()))
        .collect()
}

/// The one option of `kind` a text names, if it names exactly one.
pub fn names_one(text: &str, kind: usize) -> Option<OptionRef> {
    match named_in(&words(text), kind).as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The kind of axis every one of `values` names a different option of,
/// with those options, if there is one.
pub fn kind_of(values: &[&str]) -> Option<(usize, Vec<OptionRef>)> {
    (0..KINDS.len()).find_map(|kind| {
        let options: Vec<OptionRef> = values
            .iter()
            .map(|v| names_one(v, kind))
            .collect::<Option<_>>()?;
        let distinct = options
            .iter()
            .enumerate()
            .all(|(i, o)| !options[..i].contains(o));
        distinct.then_some((kind, options))
    })
}

/// The cloud whose command-line tool `program` is (`aws`, `eksctl` → aws;
/// `gcloud`, `gsutil` → gcp; `az` → azure).
pub fn cloud_of_program(program: &str) -> Option<OptionRef> {
    let option = match program {
        "gcloud" | "gsutil" | "bq" => 0,
        "aws" | "eksctl" => 1,
        "az" => 2,
        "doctl" => 3,
        _ => return None,
    };
    Some(OptionRef { kind: 0, option })
}

/// A kind by its name (`cloud`).
pub fn kind_named(name: &str) -> Option<usize> {
    KINDS.iter().position(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str, kind: &str) -> Vec<&'static str> {
        named_in(&words(text), kind_named(kind).unwrap_or(usize::MAX))
            .into_iter()
            .map(OptionRef::name)
            .collect()
    }

    #[test]
    fn titles_name_options_by_any_of_their_words() {
        assert_eq!(named("Google Kubernetes Engine (GKE)", "cloud"), ["gcp"]);
        assert_eq!(named("Amazon EKS", "cloud"), ["aws"]);
        assert_eq!(named("AWS Secrets Manager", "cloud"), ["aws"]);
        assert_eq!(named("Azure Key Vault", "cloud"), ["azure"]);
        assert_eq!(named("Read-Only Access (Developers)", "cloud"), [""; 0]);
        assert_eq!(named("Debian and Ubuntu", "os"), ["debian"]);
        assert_eq!(named("Install with apt-get", "package-manager"), ["apt"]);
    }

    #[test]
    fn the_longest_name_wins() {
        assert_eq!(named("Amazon Linux 2", "cloud"), [""; 0]);
        assert_eq!(named("Amazon Linux 2", "os"), ["redhat"]);
    }

    #[test]
    fn a_kind_needs_a_different_option_per_value() {
        let (kind, options) = kind_of(&["gke", "eks", "aks"]).expect("cloud");
        assert_eq!(KINDS[kind].name, "cloud");
        let names: Vec<&str> = options.into_iter().map(OptionRef::name).collect();
        assert_eq!(names, ["gcp", "aws", "azure"]);
        assert!(kind_of(&["gke", "google"]).is_none());
        assert!(kind_of(&["staging", "production"]).is_none());
        assert_eq!(
            kind_of(&["Ubuntu", "CentOS"]).map(|(k, _)| k),
            kind_named("os")
        );
    }
}
