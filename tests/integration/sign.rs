//! `litops::sign` against the real `ssh-keygen`: keys it makes sign here,
//! signatures made here verify there, and the other way round.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use litops::sign::{AllowedSigners, SignError, SigningKey, VerifyError};

const NAMESPACE: &str = "litops-test";

/// `ssh-keygen -t KIND -N ''` in `dir`: the private key's path.
pub fn keygen(dir: &Path, name: &str, kind: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(kind)
        .args(["-q", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success(), "ssh-keygen -t {kind:?}");
    path
}

/// `principal key` for an allowed-signers file.
pub fn signer_line(principal: &str, key: &Path, options: &str) -> String {
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
    let mut fields = public.split_whitespace();
    let (kind, base64) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
    format!("{principal} {options}{kind} {base64}\n")
}

/// `ssh-keygen -Y verify`: its success and what it printed.
fn ssh_verify(
    dir: &Path,
    signers: &str,
    principal: &str,
    message: &[u8],
    sig: &str,
) -> (bool, String) {
    std::fs::write(dir.join("allowed"), signers).expect("write");
    std::fs::write(dir.join("msg.sig"), sig).expect("write");
    std::fs::write(dir.join("msg"), message).expect("write");
    let out = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(dir.join("allowed"))
        .args(["-I", principal, "-n", NAMESPACE, "-s"])
        .arg(dir.join("msg.sig"))
        .stdin(std::fs::File::open(dir.join("msg")).expect("open"))
        .output()
        .expect("ssh-keygen runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// `ssh-keygen -Y sign`: the armored signature of `message`.
fn ssh_sign(dir: &Path, key: &Path, namespace: &str, message: &[u8]) -> String {
    let msg = dir.join("to-sign");
    std::fs::write(&msg, message).expect("write");
    let _ = std::fs::remove_file(dir.join("to-sign.sig"));
    let out = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", namespace, "-f"])
        .arg(key)
        .arg(&msg)
        .stdin(Stdio::null())
        .output()
        .expect("ssh-keygen runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.join("to-sign.sig")).expect("signature")
}

#[test]
fn signatures_made_here_verify_with_ssh_keygen_and_the_other_way_round() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    for (name, kind) in [
        ("ed", &["-t", "ed25519"][..]),
        ("ec256", &["-t", "ecdsa", "-b", "256"][..]),
        ("ec384", &["-t", "ecdsa", "-b", "384"][..]),
    ] {
        let key = keygen(dir, name, kind);
        let signers = signer_line("alice@example.com", &key, "");
        let message = b"records 12\nchain abc\n";

        let ours = litops::sign::sign(&key, NAMESPACE, message).expect("litops signs");
        let (ok, said) = ssh_verify(dir, &signers, "alice@example.com", message, &ours);
        assert!(ok, "{name}: ssh-keygen refuses litops's signature: {said}");
        assert!(
            said.contains("Good \"litops-test\" signature for alice@example.com"),
            "{said}"
        );
        // And ssh-keygen sees a changed message as litops does.
        let (ok, _) = ssh_verify(
            dir,
            &signers,
            "alice@example.com",
            b"records 13\nchain abc\n",
            &ours,
        );
        assert!(!ok, "{name}: ssh-keygen accepts a changed message");

        let theirs = ssh_sign(dir, &key, NAMESPACE, message);
        let allowed = AllowedSigners::parse(&signers, "allowed").expect("parses");
        let verified = allowed
            .verify(NAMESPACE, message, &theirs)
            .unwrap_or_else(|e| panic!("{name}: litops refuses ssh-keygen's signature: {e}"));
        assert_eq!(verified.principals, ["alice@example.com"]);
        let fingerprint = SigningKey::load(&key).expect("loads").fingerprint();
        assert_eq!(verified.fingerprint, fingerprint);
    }
}

#[test]
fn tampered_wrong_namespace_unknown_key_and_excluded_namespace_fail_as_in_ssh_keygen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let alice = keygen(dir, "alice", &["-t", "ed25519"]);
    let mallory = keygen(dir, "mallory", &["-t", "ecdsa"]);
    let message = b"the message";
    let signers = signer_line("alice", &alice, "");
    let allowed = AllowedSigners::parse(&signers, "allowed").expect("parses");

    let sig = ssh_sign(dir, &alice, NAMESPACE, message);
    let err = allowed.verify(NAMESPACE, b"the messagE", &sig).unwrap_err();
    assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
    assert!(!ssh_verify(dir, &signers, "alice", b"the messagE", &sig).0);

    let other = ssh_sign(dir, &alice, "git", message);
    let err = allowed.verify(NAMESPACE, message, &other).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the signature was made for the namespace \"git\", not \"litops-test\""
    );
    assert!(!ssh_verify(dir, &signers, "alice", message, &other).0);

    let forged = ssh_sign(dir, &mallory, NAMESPACE, message);
    let err = allowed.verify(NAMESPACE, message, &forged).unwrap_err();
    assert!(matches!(err, VerifyError::UnknownKey { .. }), "{err}");
    assert!(!ssh_verify(dir, &signers, "alice", message, &forged).0);

    let limited = signer_line("alice", &alice, "namespaces=\"git,file\" ");
    let allowed = AllowedSigners::parse(&limited, "allowed").expect("parses");
    let err = allowed.verify(NAMESPACE, message, &sig).unwrap_err();
    assert!(
        matches!(err, VerifyError::NamespaceNotAllowed { .. }),
        "{err}"
    );
    assert!(!ssh_verify(dir, &limited, "alice", message, &sig).0);
}

#[test]
fn a_key_with_a_passphrase_or_of_an_unsupported_kind_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("locked");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "secret words", "-f"])
        .arg(&path)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success());
    let err = litops::sign::sign(&path, NAMESPACE, b"m").unwrap_err();
    assert!(matches!(err, SignError::Encrypted { .. }), "{err}");
    assert!(
        err.to_string().contains("protected by a passphrase"),
        "{err}"
    );
    // RSA keys are not supported: said, not a crash or a bad signature,
    // when signing and when checking an RSA signature of a listed key.
    let rsa = keygen(dir.path(), "rsa", &["-t", "rsa", "-b", "2048"]);
    let err = litops::sign::sign(&rsa, NAMESPACE, b"m").unwrap_err();
    assert!(err.to_string().contains("cannot sign here"), "{err}");
    let allowed = AllowedSigners::parse(&signer_line("bob", &rsa, ""), "allowed").expect("parses");
    let sig = ssh_sign(dir.path(), &rsa, NAMESPACE, b"m");
    let err = allowed.verify(NAMESPACE, b"m", &sig).unwrap_err();
    assert!(matches!(err, VerifyError::UnsupportedKey { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("is a ssh-rsa key, which litops cannot check"),
        "{err}"
    );
}
