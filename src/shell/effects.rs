//! Whether a script can change the shell session it runs in.
//!
//! A step's shell saves the session (variables, functions, aliases, the
//! working directory) when it exits, so that the next step starts where it
//! left off. Saving costs a dump and a reload on every step; most steps
//! (`kubectl get pods`, `helm upgrade …`) cannot change the session at all.
//! [`keeps_session`] says so only when it is sure: one construct it does not
//! know, and the step is saved as before. Getting this wrong would lose a
//! variable a later step needs, so the reading is deliberately narrow:
//! simple commands joined by pipes, `&&`, `||`, `;` and newlines, whose
//! command names are written out and are neither builtins that change the
//! session nor functions the session defines, and words without
//! assignments hidden in expansions (`${X:=v}`, `$((X=1))`, `{fd}>`).

use super::lexer::{Lexer, Token, is_keyword, is_redirect};

/// Builtins (and keywords read as commands) that change variables,
/// functions, aliases or the working directory, or run text that may.
const CHANGES_SESSION: &[&str] = &[
    ".",
    "alias",
    "builtin",
    "cd",
    "command",
    "coproc",
    "declare",
    "dirs",
    "enable",
    "eval",
    "exec",
    "export",
    "getopts",
    "hash",
    "let",
    "local",
    "mapfile",
    "popd",
    "pushd",
    "read",
    "readarray",
    "readonly",
    "set",
    "shift",
    "shopt",
    "source",
    "trap",
    "typeset",
    "umask",
    "unalias",
    "unset",
    "wait",
];

/// Whether running `script` certainly leaves the session as it found it.
/// `is_function` says whether a name is a function or alias the session
/// defines (calling one may change anything).
pub fn keeps_session(script: &str, is_function: impl Fn(&str) -> bool) -> bool {
    let mut lexer = Lexer::new(script, &[]);
    let tokens = lexer.tokens();
    if !lexer.findings.problems.is_empty() {
        return false;
    }
    // Where the current simple command is: before its name (assignments
    // and redirections may come first), or among its arguments.
    let mut at_name = true;
    let mut only_assignments = false;
    let mut printf = false;
    let mut redirect_target = false;
    for token in &tokens {
        match token {
            Token::Word(word) => {
                let raw = &script[word.span.start..word.span.end];
                // `{fd}>file` sets `fd` in the shell, wherever it stands.
                if assigns_inside(raw) || raw.starts_with('{') && raw.ends_with('}') {
                    return false;
                }
                if redirect_target {
                    redirect_target = false;
                    continue;
                }
                if at_name {
                    if super::assignment_name(raw).is_some() {
                        only_assignments = true;
                        continue;
                    }
                    let plain = raw
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_./+:@%,".contains(&b));
                    if !plain
                        || is_keyword(raw)
                        || CHANGES_SESSION.contains(&raw)
                        || is_function(raw)
                    {
                        return false;
                    }
                    printf = raw == "printf";
                    at_name = false;
                    only_assignments = false;
                } else if printf && raw.starts_with("-v") {
                    return false;
                }
            }
            Token::Op(op, _) if is_redirect(op) => redirect_target = true,
            Token::Op(op, _) if matches!(*op, "|" | "|&" | "&&" | "||" | ";") => {
                if only_assignments {
                    return false;
                }
                at_name = true;
                printf = false;
            }
            Token::Newline(_) => {
                if only_assignments {
                    return false;
                }
                at_name = true;
                printf = false;
            }
            Token::Comment(_) => {}
            Token::HeredocBody(span) => {
                if assigns_inside(&script[span.start..span.end]) {
                    return false;
                }
            }
            // `&`, `(`, `)`, `;;` and the rest: not read here.
            Token::Op(..) => return false,
        }
    }
    !only_assignments
}

/// Whether a word (or an unquoted heredoc's text) may assign through an
/// expansion: `${X:=v}`, `${X=v}`, `$((X=1))`, `$((X++))`. Any `=` after a
/// `${` or a `$((`, and any `++`/`--` after a `$((`, counts: comparisons
/// (`$((a == b))`) are taken for assignments, which only costs a save.
fn assigns_inside(text: &str) -> bool {
    let expansion = text.find("${").into_iter().chain(text.find("$(("));
    expansion.min().is_some_and(|start| {
        let rest = &text[start..];
        rest.contains('=') || rest.contains("++") || rest.contains("--")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keeps(script: &str) -> bool {
        keeps_session(script, |name| name == "setup")
    }

    #[test]
    fn commands_that_run_programs_keep_the_session() {
        for script in [
            "true",
            "kubectl get pods -n prod\n",
            "kubectl get pods | grep -c Running || true",
            "# a comment\nhelm upgrade app ./chart --set image.tag=v2 && echo done\n",
            "NAMESPACE=prod ./deploy.sh > out.log 2>&1",
            "echo \"$NAMESPACE\" $(date +%s) `hostname`",
            "kubectl apply -f - <<EOF\nkind: ConfigMap\nvalue: $HOME\nEOF\n",
            "printf '%s\\n' x",
            "__litops_stream 5 kubectl logs -f app",
            "",
        ] {
            assert!(keeps(script), "{script:?}");
        }
    }

    #[test]
    fn anything_that_may_change_the_session_does_not() {
        for script in [
            "X=1",
            "export KUBECONFIG=/tmp/k",
            "cd /srv",
            "pushd /srv",
            "source env.sh",
            ". env.sh",
            "eval \"$(ssh-agent)\"",
            "read -r answer",
            "printf -v x %s y",
            "for i in 1 2; do echo $i; done",
            "if true; then X=1; fi",
            "f() { X=1; }",
            "{ X=1; }",
            "(cd /tmp)",
            "sleep 5 &",
            "echo ${X:=default}",
            "echo $((n++))",
            "echo $((n = 2))",
            "cat <<EOF\n${X:=v}\nEOF\n",
            "exec 3>file",
            "cmd {fd}>file",
            "\"$TOOL\" get pods",
            "$TOOL get pods",
            "setup --all",
            "kubectl get pods; unset X",
            "X=1 Y=2\n",
            "[[ $a =~ (x) ]]",
            "((n += 1))",
            "echo 'unclosed",
            "command -v kubectl",
            "builtin cd /",
            "set -a",
            "let n=1",
            "mapfile -t lines < f",
            "wait -p pid",
            "alias k=kubectl",
        ] {
            assert!(!keeps(script), "{script:?}");
        }
    }
}
