//! SSH signatures, as `ssh-keygen -Y sign` makes them and `ssh-keygen -Y
//! verify` checks them: the SSHSIG format, armored as `-----BEGIN SSH
//! SIGNATURE-----`, checked against an allowed-signers file in the format
//! of ssh-keygen(1) (`ALLOWED SIGNERS`) and git's
//! `gpg.ssh.allowedSignersFile`. The cryptography is the `ssh-key` crate's.
//!
//! Every signature is made for a namespace (`litops-transcript`, `git`,
//! `file`): a signature made for one purpose never verifies for another.
//!
//! Supported keys: `ssh-ed25519`, `ecdsa-sha2-nistp256`,
//! `ecdsa-sha2-nistp384` (and, for verifying, the FIDO `sk-` kinds of
//! those). Not supported, and refused with a message saying so: RSA and
//! DSA keys, private keys protected by a passphrase (litops runs
//! unattended and cannot ask for one), certificates (`cert-authority`),
//! and principal or namespace patterns (`*`, `?`, `!`) in allowed signers.

use std::io::Read;
use std::path::{Path, PathBuf};

use ssh_key::{Algorithm, EcdsaCurve, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

/// Signatures are made over SHA-512, as `ssh-keygen -Y sign` makes them.
const HASH: HashAlg = HashAlg::Sha512;

/// The kinds of private key that sign here.
const SIGNING_KINDS: &str = "ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384";

/// The kinds of key whose signatures are checked here.
const VERIFYING_KINDS: &str = "ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com";

/// Whether signatures of this kind of key are checked here (the crate's
/// features enabled in Cargo.toml): others would fail as forgeries.
fn verifiable(algorithm: &Algorithm) -> bool {
    matches!(
        algorithm,
        Algorithm::Ed25519
            | Algorithm::SkEd25519
            | Algorithm::SkEcdsaSha2NistP256
            | Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256 | EcdsaCurve::NistP384
            }
    )
}

/// A private key, loaded and checked, ready to sign.
pub struct SigningKey {
    path: PathBuf,
    key: PrivateKey,
}

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("cannot read the signing key {}: {err}", path.display())]
    Read { path: PathBuf, err: std::io::Error },
    #[error("{} is not an OpenSSH private key ({message})", path.display())]
    NotAKey { path: PathBuf, message: String },
    #[error(
        "{} is protected by a passphrase, which litops cannot ask for: use a key made without one (ssh-keygen -N '') and kept where only its user can read it",
        path.display()
    )]
    Encrypted { path: PathBuf },
    #[error(
        "the signing key {} can be read by other users (mode {mode:04o}); make it private (chmod 600), as ssh requires",
        path.display()
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("{}: {algorithm} keys cannot sign here (supported: {SIGNING_KINDS})", path.display())]
    Unsupported { path: PathBuf, algorithm: String },
    #[error("signing with {} failed: {message}", path.display())]
    Sign { path: PathBuf, message: String },
}

impl SigningKey {
    /// Reads an OpenSSH private key (`ssh-keygen -t ed25519 -N ''`): not
    /// readable by others (nor by the group, when it is one's own, as ssh
    /// requires), without a passphrase, of a kind that signs here.
    pub fn load(path: &Path) -> Result<SigningKey, SignError> {
        use std::os::unix::fs::PermissionsExt;
        let read = |err| SignError::Read {
            path: path.to_owned(),
            err,
        };
        let mut file = std::fs::File::open(path).map_err(read)?;
        let meta = file.metadata().map_err(read)?;
        let mode = meta.permissions().mode();
        // As ssh: a key of one's own readable by group or others is
        // refused; so is any key others can read. (A key of root's that a
        // group may read is how a Kubernetes Secret volume gives one.)
        let own = std::os::unix::fs::MetadataExt::uid(&meta) == nix::unistd::getuid().as_raw();
        if (own && mode & 0o077 != 0) || mode & 0o007 != 0 {
            return Err(SignError::Exposed {
                path: path.to_owned(),
                mode: mode & 0o7777,
            });
        }
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(read)?;
        let key = PrivateKey::from_openssh(text.as_bytes()).map_err(|e| SignError::NotAKey {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        if key.is_encrypted() {
            return Err(SignError::Encrypted {
                path: path.to_owned(),
            });
        }
        SigningKey::new(path, key)
    }

    fn new(path: &Path, key: PrivateKey) -> Result<SigningKey, SignError> {
        let supported = matches!(
            key.algorithm(),
            Algorithm::Ed25519
                | Algorithm::Ecdsa {
                    curve: EcdsaCurve::NistP256 | EcdsaCurve::NistP384
                }
        );
        if !supported {
            return Err(SignError::Unsupported {
                path: path.to_owned(),
                algorithm: key.algorithm().to_string(),
            });
        }
        Ok(SigningKey {
            path: path.to_owned(),
            key,
        })
    }

    /// The armored signature of `message` for `namespace`, as
    /// `ssh-keygen -Y sign -n NAMESPACE` writes it (ending in a newline).
    pub fn sign(&self, namespace: &str, message: &[u8]) -> Result<String, SignError> {
        let failed = |e: ssh_key::Error| SignError::Sign {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let signature = self.key.sign(namespace, HASH, message).map_err(failed)?;
        let mut armored = signature.to_pem(LineEnding::LF).map_err(failed)?;
        if !armored.ends_with('\n') {
            armored.push('\n');
        }
        Ok(armored)
    }

    /// `SHA256:…`, as `ssh-keygen -l` shows it.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }
}

/// Signs `message` for `namespace` with the private key at `key_path`.
pub fn sign(key_path: &Path, namespace: &str, message: &[u8]) -> Result<String, SignError> {
    SigningKey::load(key_path)?.sign(namespace, message)
}

/// An allowed-signers file: which keys may sign, as whom, for what.
#[derive(Debug, Clone)]
pub struct AllowedSigners {
    /// Where it was read from (for messages).
    origin: String,
    signers: Vec<Signer>,
}

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
struct Signer {
    line: usize,
    principals: Vec<String>,
    /// `namespaces="…"`; `None`: every namespace.
    namespaces: Option<Vec<String>>,
    valid_after: Option<jiff::Timestamp>,
    valid_before: Option<jiff::Timestamp>,
    key: PublicKey,
}

#[derive(Debug, thiserror::Error)]
pub enum SignersError {
    #[error("cannot read the allowed signers {}: {err}", path.display())]
    Read { path: PathBuf, err: std::io::Error },
    #[error("{origin}:{line}: {message}")]
    Line {
        origin: String,
        line: usize,
        message: String,
    },
}

/// Who made a signature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The principals listed for the key (for this namespace and time),
    /// in the order of the file.
    pub principals: Vec<String>,
    /// The key's `SHA256:…` fingerprint.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("not an SSH signature: {0}")]
    Malformed(String),
    #[error("the signature was made for the namespace {found:?}, not {expected:?}")]
    WrongNamespace { expected: String, found: String },
    #[error("the key that signed ({fingerprint}) is not in {origin}")]
    UnknownKey { fingerprint: String, origin: String },
    #[error(
        "the key that signed ({fingerprint}, {}) may not sign for {namespace:?}: {origin} limits it to other namespaces",
        principals.join(",")
    )]
    NamespaceNotAllowed {
        fingerprint: String,
        principals: Vec<String>,
        namespace: String,
        origin: String,
    },
    #[error(
        "the key that signed ({fingerprint}, {}) is outside the time {origin} allows it ({window})",
        principals.join(",")
    )]
    Expired {
        fingerprint: String,
        principals: Vec<String>,
        window: String,
        origin: String,
    },
    #[error(
        "the key that signed ({fingerprint}, {}) is a {algorithm} key, which litops cannot check (supported: {VERIFYING_KINDS})",
        principals.join(",")
    )]
    UnsupportedKey {
        fingerprint: String,
        principals: Vec<String>,
        algorithm: String,
    },
    #[error(
        "the signature by {fingerprint} ({}) does not match: what was signed has changed, or the signature is forged",
        principals.join(",")
    )]
    BadSignature {
        fingerprint: String,
        principals: Vec<String>,
    },
}

impl AllowedSigners {
    pub fn load(path: &Path) -> Result<AllowedSigners, SignersError> {
        let text = std::fs::read(path).map_err(|err| SignersError::Read {
            path: path.to_owned(),
            err,
        })?;
        let origin = path.display().to_string();
        let text = String::from_utf8(text).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            SignersError::Line {
                origin: origin.clone(),
                line: valid.iter().filter(|&&b| b == b'\n').count() + 1,
                message: "not UTF-8 text".to_owned(),
            }
        })?;
        AllowedSigners::parse(&text, &origin)
    }

    /// Reads the file's text; `origin` names it in messages. Every line
    /// must read: a line litops cannot use is an error, never skipped.
    pub fn parse(text: &str, origin: &str) -> Result<AllowedSigners, SignersError> {
        let mut signers = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let signer = parse_line(line, n + 1).map_err(|message| SignersError::Line {
                origin: origin.to_owned(),
                line: n + 1,
                message,
            })?;
            signers.push(signer);
        }
        Ok(AllowedSigners {
            origin: origin.to_owned(),
            signers,
        })
    }

    /// Checks `armored` (an SSHSIG signature) over `message`: made for
    /// `namespace`, by a key listed for that namespace and valid now, and
    /// cryptographically sound.
    pub fn verify(
        &self,
        namespace: &str,
        message: &[u8],
        armored: &str,
    ) -> Result<Verified, VerifyError> {
        self.verify_at(namespace, message, armored, jiff::Timestamp::now())
    }

    /// [`AllowedSigners::verify`] at a given time (`valid-after`, `valid-before`).
    pub fn verify_at(
        &self,
        namespace: &str,
        message: &[u8],
        armored: &str,
        now: jiff::Timestamp,
    ) -> Result<Verified, VerifyError> {
        let signature =
            SshSig::from_pem(armored.trim()).map_err(|e| VerifyError::Malformed(e.to_string()))?;
        if signature.namespace() != namespace {
            return Err(VerifyError::WrongNamespace {
                expected: namespace.to_owned(),
                found: signature.namespace().to_owned(),
            });
        }
        let key = signature.public_key();
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let listed: Vec<&Signer> = self
            .signers
            .iter()
            .filter(|s| s.key.key_data() == key)
            .collect();
        let principals = |signers: &[&Signer]| -> Vec<String> {
            let mut all: Vec<String> = Vec::new();
            for p in signers.iter().flat_map(|s| &s.principals) {
                if !all.contains(p) {
                    all.push(p.clone());
                }
            }
            all
        };
        if listed.is_empty() {
            return Err(VerifyError::UnknownKey {
                fingerprint,
                origin: self.origin.clone(),
            });
        }
        let for_namespace: Vec<&Signer> = listed
            .iter()
            .copied()
            .filter(|s| {
                s.namespaces
                    .as_ref()
                    .is_none_or(|ns| ns.iter().any(|n| n == namespace))
            })
            .collect();
        if for_namespace.is_empty() {
            return Err(VerifyError::NamespaceNotAllowed {
                fingerprint,
                principals: principals(&listed),
                namespace: namespace.to_owned(),
                origin: self.origin.clone(),
            });
        }
        let valid: Vec<&Signer> = for_namespace
            .iter()
            .copied()
            .filter(|s| s.valid_after.is_none_or(|t| now >= t))
            .filter(|s| s.valid_before.is_none_or(|t| now <= t))
            .collect();
        if valid.is_empty() {
            let window = for_namespace
                .iter()
                .map(|s| s.window())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(VerifyError::Expired {
                fingerprint,
                principals: principals(&for_namespace),
                window,
                origin: self.origin.clone(),
            });
        }
        let principals = principals(&valid);
        if !verifiable(&key.algorithm()) {
            return Err(VerifyError::UnsupportedKey {
                fingerprint,
                principals,
                algorithm: key.algorithm().to_string(),
            });
        }
        valid[0]
            .key
            .verify(namespace, message, &signature)
            .map_err(|_| VerifyError::BadSignature {
                fingerprint: fingerprint.clone(),
                principals: principals.clone(),
            })?;
        Ok(Verified {
            principals,
            fingerprint,
        })
    }
}

/// Checks `armored` over `message` for `namespace` against `allowed`.
pub fn verify(
    allowed: &AllowedSigners,
    namespace: &str,
    message: &[u8],
    armored: &str,
) -> Result<Verified, VerifyError> {
    allowed.verify(namespace, message, armored)
}

impl Signer {
    fn window(&self) -> String {
        let at = |t: jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        match (self.valid_after, self.valid_before) {
            (Some(a), Some(b)) => format!("line {}: from {} to {}", self.line, at(a), at(b)),
            (Some(a), None) => format!("line {}: from {}", self.line, at(a)),
            (None, Some(b)) => format!("line {}: until {}", self.line, at(b)),
            (None, None) => format!("line {}: always", self.line),
        }
    }
}

/// `principals [options] keytype base64 [comment]`.
fn parse_line(line: &str, number: usize) -> Result<Signer, String> {
    let (principals, rest) = take_field(line)?;
    let principals = parse_principals(&principals)?;
    let (next, mut rest) = take_field(rest)?;
    if next.is_empty() {
        return Err("a key type and key must follow the principals".to_owned());
    }
    let mut options = Options::default();
    let key_type = if Algorithm::new(&next).is_ok() {
        next
    } else {
        options = parse_options(&next)?;
        let (key_type, after) = take_field(rest)?;
        rest = after;
        if key_type.is_empty() {
            return Err("a key type and key must follow the principals and options".to_owned());
        }
        key_type
    };
    let (base64, _comment) = take_field(rest)?;
    if base64.is_empty() {
        return Err(format!("the {key_type} key itself is missing"));
    }
    let key = PublicKey::from_openssh(&format!("{key_type} {base64}"))
        .map_err(|e| format!("not a {key_type} public key: {e}"))?;
    if key.algorithm().as_str() != key_type {
        return Err(format!(
            "the key is a {} key, not {key_type}",
            key.algorithm()
        ));
    }
    Ok(Signer {
        line: number,
        principals,
        namespaces: options.namespaces,
        valid_after: options.valid_after,
        valid_before: options.valid_before,
        key,
    })
}

/// The next whitespace-separated field (a `"…"` one may hold spaces, as
/// may a `"…"` inside it), and the rest of the line.
fn take_field(text: &str) -> Result<(String, &str), String> {
    let text = text.trim_start();
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return Ok((text[..i].to_owned(), &text[i..])),
            _ => {}
        }
    }
    if quoted {
        return Err(format!("unterminated quote in {text:?}"));
    }
    Ok((text.to_owned(), ""))
}

/// A field without its surrounding quotes (principals may be quoted whole).
fn unquote(field: &str) -> &str {
    field
        .strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(field)
}

fn parse_principals(field: &str) -> Result<Vec<String>, String> {
    let list = unquote(field);
    let mut principals = Vec::new();
    for p in list.split(',') {
        check_name(p, "principal")?;
        principals.push(p.to_owned());
    }
    Ok(principals)
}

/// A principal or namespace: not empty, printable, and not a pattern
/// (patterns are not supported: each must be written out).
fn check_name(name: &str, what: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("an empty {what} in a list"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control() || *c == '"') {
        return Err(format!("the {what} {name:?} holds {c:?}"));
    }
    if name.contains(['*', '?', '!']) {
        return Err(format!(
            "the {what} {name:?} is a pattern; litops does not support patterns (*, ?, !): list each {what}"
        ));
    }
    Ok(())
}

#[derive(Default)]
struct Options {
    namespaces: Option<Vec<String>>,
    valid_after: Option<jiff::Timestamp>,
    valid_before: Option<jiff::Timestamp>,
}

/// `namespaces="a,b",valid-after="20250101",valid-before="…"`.
fn parse_options(field: &str) -> Result<Options, String> {
    let mut options = Options::default();
    for option in split_unquoted(field, ',') {
        let (name, value) = match option.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (option, None),
        };
        let name = name.to_ascii_lowercase();
        let value = || -> Result<&str, String> {
            let value = value.ok_or_else(|| format!("{name} needs a value: {name}=\"…\""))?;
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(|| format!("the value of {name} must be quoted: {name}=\"…\""))
        };
        let duplicate = || format!("{name} is given twice");
        match name.as_str() {
            "namespaces" => {
                if options.namespaces.is_some() {
                    return Err(duplicate());
                }
                let mut list = Vec::new();
                for ns in value()?.split(',') {
                    check_name(ns, "namespace")?;
                    list.push(ns.to_owned());
                }
                options.namespaces = Some(list);
            }
            "valid-after" => {
                if options.valid_after.is_some() {
                    return Err(duplicate());
                }
                options.valid_after = Some(parse_time(value()?)?);
            }
            "valid-before" => {
                if options.valid_before.is_some() {
                    return Err(duplicate());
                }
                options.valid_before = Some(parse_time(value()?)?);
            }
            "cert-authority" => {
                return Err(
                    "cert-authority: certificates are not supported; list the signers' own keys"
                        .to_owned(),
                );
            }
            "" => return Err("an empty option".to_owned()),
            other => {
                return Err(format!(
                    "unknown option {other:?} (or an unknown key type); known: namespaces, valid-after, valid-before"
                ));
            }
        }
    }
    Ok(options)
}

/// Splits at `sep` outside `"…"`.
fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// ssh-keygen's times: `YYYYMMDD[Z]` or `YYYYMMDDHHMM[SS][Z]`, in the
/// local time zone unless they end in `Z` (UTC).
fn parse_time(text: &str) -> Result<jiff::Timestamp, String> {
    let bad =
        || format!("{text:?} is not a time: write YYYYMMDD or YYYYMMDDHHMM[SS], with Z for UTC");
    let (digits, utc) = match text.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (text, false),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |range: std::ops::Range<usize>| -> Result<i16, String> {
        digits
            .get(range)
            .and_then(|d| d.parse().ok())
            .ok_or_else(bad)
    };
    let (hour, minute, second) = match digits.len() {
        8 => (0, 0, 0),
        12 => (num(8..10)?, num(10..12)?, 0),
        14 => (num(8..10)?, num(10..12)?, num(12..14)?),
        _ => return Err(bad()),
    };
    let date = jiff::civil::Date::new(num(0..4)?, num(4..6)? as i8, num(6..8)? as i8)
        .map_err(|_| bad())?;
    let time =
        jiff::civil::Time::new(hour as i8, minute as i8, second as i8, 0).map_err(|_| bad())?;
    let zone = if utc {
        jiff::tz::TimeZone::UTC
    } else {
        jiff::tz::TimeZone::system()
    };
    zone.to_timestamp(date.to_datetime(time)).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::private::Ed25519Keypair;

    fn key(seed: u8) -> SigningKey {
        let key = PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]));
        SigningKey::new(Path::new("test-key"), key).expect("ed25519 signs")
    }

    fn public(key: &SigningKey) -> String {
        key.key.public_key().to_openssh().expect("encodes")
    }

    fn signers(text: &str) -> AllowedSigners {
        AllowedSigners::parse(text, "allowed_signers").expect("parses")
    }

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn a_signature_verifies_and_names_its_principals() {
        let alice = key(1);
        let file = signers(&format!(
            "# ops\n\nalice@example.com,alice {}  alice's laptop\n",
            public(&alice)
        ));
        let sig = alice.sign("litops-test", b"message").expect("signs");
        assert!(sig.starts_with("-----BEGIN SSH SIGNATURE-----\n"), "{sig}");
        let verified = file
            .verify("litops-test", b"message", &sig)
            .expect("verifies");
        assert_eq!(verified.principals, ["alice@example.com", "alice"]);
        assert_eq!(verified.fingerprint, alice.fingerprint());
    }

    #[test]
    fn a_changed_message_wrong_namespace_or_unknown_key_fail() {
        let alice = key(1);
        let mallory = key(2);
        let file = signers(&format!("alice {}\n", public(&alice)));
        let sig = alice.sign("litops-test", b"message").expect("signs");
        assert!(matches!(
            file.verify("litops-test", b"messagE", &sig),
            Err(VerifyError::BadSignature { .. })
        ));
        assert_eq!(
            file.verify("other", b"message", &sig),
            Err(VerifyError::WrongNamespace {
                expected: "other".into(),
                found: "litops-test".into()
            })
        );
        let forged = mallory.sign("litops-test", b"message").expect("signs");
        assert!(matches!(
            file.verify("litops-test", b"message", &forged),
            Err(VerifyError::UnknownKey { .. })
        ));
        assert!(matches!(
            file.verify("litops-test", b"message", "not a signature"),
            Err(VerifyError::Malformed(_))
        ));
    }

    #[test]
    fn namespaces_limit_what_a_key_may_sign() {
        let alice = key(1);
        let file = signers(&format!(
            "alice namespaces=\"git,file\" {}\n",
            public(&alice)
        ));
        let sig = alice.sign("litops-test", b"m").expect("signs");
        let err = file.verify("litops-test", b"m", &sig).unwrap_err();
        assert!(
            matches!(&err, VerifyError::NamespaceNotAllowed { principals, .. } if principals == &["alice"]),
            "{err:?}"
        );
        let sig = alice.sign("git", b"m").expect("signs");
        assert!(file.verify("git", b"m", &sig).is_ok());
        // Another line for the same key, allowing this namespace, counts.
        let file = signers(&format!(
            "alice namespaces=\"git\" {k}\nrobot namespaces=\"litops-test\" {k}\n",
            k = public(&alice)
        ));
        let sig = alice.sign("litops-test", b"m").expect("signs");
        assert_eq!(
            file.verify("litops-test", b"m", &sig)
                .expect("verifies")
                .principals,
            ["robot"]
        );
    }

    #[test]
    fn validity_windows_are_kept() {
        let alice = key(1);
        let file = signers(&format!(
            "alice valid-after=\"20260101Z\",valid-before=\"202612312359Z\" {}\n",
            public(&alice)
        ));
        let sig = alice.sign("ns", b"m").expect("signs");
        assert!(
            file.verify_at("ns", b"m", &sig, at("2026-06-01T00:00:00Z"))
                .is_ok()
        );
        for when in ["2025-12-31T23:59:59Z", "2027-01-01T00:00:00Z"] {
            let err = file.verify_at("ns", b"m", &sig, at(when)).unwrap_err();
            assert!(
                err.to_string()
                    .contains("from 2026-01-01T00:00:00Z to 2026-12-31T23:59:00Z"),
                "{err}"
            );
        }
    }

    #[test]
    fn times_read_as_ssh_keygen_reads_them() {
        assert_eq!(
            parse_time("20260102Z").expect("date"),
            at("2026-01-02T00:00:00Z")
        );
        assert_eq!(
            parse_time("202601021304Z").expect("minutes"),
            at("2026-01-02T13:04:00Z")
        );
        assert_eq!(
            parse_time("20260102130405Z").expect("seconds"),
            at("2026-01-02T13:04:05Z")
        );
        for bad in [
            "2026010",
            "20261301Z",
            "2026-01-02",
            "20260102T1200Z",
            "",
            "Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_line_must_read_and_errors_name_the_line() {
        let k = public(&key(1));
        let cases = [
            ("alice\n".to_owned(), "a key type and key must follow"),
            (
                format!("alice {}\n", "ssh-ed25519"),
                "the ssh-ed25519 key itself is missing",
            ),
            (format!("alice {k}\nbob\n"), ":2: "),
            (
                format!("alice cert-authority {k}\n"),
                "certificates are not supported",
            ),
            (format!("*@example.com {k}\n"), "is a pattern"),
            (format!("alice namespaces=\"g*\" {k}\n"), "is a pattern"),
            (format!("alice,,bob {k}\n"), "an empty principal"),
            (format!("alice foo=\"1\" {k}\n"), "unknown option \"foo\""),
            (format!("alice namespaces=git {k}\n"), "must be quoted"),
            (
                format!("alice namespaces=\"a\",namespaces=\"b\" {k}\n"),
                "given twice",
            ),
            (
                format!("alice valid-after=\"tomorrow\" {k}\n"),
                "is not a time",
            ),
            (
                "alice ssh-ed25519 AAAAnope\n".to_owned(),
                "not a ssh-ed25519 public key",
            ),
            (
                format!(
                    "alice {}\n",
                    k.replacen("ssh-ed25519", "ecdsa-sha2-nistp256", 1)
                ),
                "ecdsa-sha2-nistp256",
            ),
            (format!("\"alice {k}\n"), "unterminated quote"),
            ("alice\u{7} ssh-ed25519 AAAA\n".to_owned(), "holds '\\u{7}'"),
        ];
        for (text, want) in cases {
            let err = AllowedSigners::parse(&text, "signers")
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{text:?}: {err}");
            assert!(err.starts_with("signers:"), "{err}");
        }
    }

    #[test]
    fn quoted_principals_and_option_case_read_as_ssh_keygen_reads_them() {
        let alice = key(1);
        let file = signers(&format!(
            "\"alice,ops bot\" NAMESPACES=\"ns\" {}\n",
            public(&alice)
        ));
        let sig = alice.sign("ns", b"m").expect("signs");
        assert_eq!(
            file.verify("ns", b"m", &sig).expect("verifies").principals,
            ["alice", "ops bot"]
        );
    }

    #[test]
    fn a_private_key_others_can_read_or_that_is_no_key_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id");
        let pem = key(1).key.to_openssh(LineEnding::LF).expect("encodes");
        std::fs::write(&path, pem.as_bytes()).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(
            SigningKey::load(&path),
            Err(SignError::Exposed { mode: 0o644, .. })
        ));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert!(matches!(
            SigningKey::load(&path),
            Err(SignError::Exposed { mode: 0o640, .. })
        ));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(SigningKey::load(&path).is_ok());
        std::fs::write(&path, "hello").expect("write");
        assert!(matches!(
            SigningKey::load(&path),
            Err(SignError::NotAKey { .. })
        ));
        assert!(matches!(
            SigningKey::load(&dir.path().join("missing")),
            Err(SignError::Read { .. })
        ));
    }

    #[test]
    fn a_file_that_is_not_text_names_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("allowed");
        std::fs::write(&path, b"# one\n# two\nal\xffice ssh-ed25519 AAAA\n").expect("write");
        let err = AllowedSigners::load(&path).unwrap_err().to_string();
        assert!(err.ends_with("allowed:3: not UTF-8 text"), "{err}");
    }
}
