//! Manual checkpoints: instructions for a person inside a block.
//!
//! `# Edit kustomization.yaml to set newTag: v1.2.3` before `kubectl apply
//! -k .` is not a description of the next command, it is work for the
//! reader, and the command after it is wrong without it: deploying the old
//! tag because an edit was skipped is the surprise to prevent. A comment is
//! such an instruction when it asks for an edit no command of the block
//! makes (`# Edit …`, `# Modify …`, `# Uncomment …`), or asks the reader
//! to check or change something (`# Make sure …`, `# Ensure …`, `# Replace
//! …`, `# Change …`, `# Update … to …`, `# Set … to …`, `# Manually …`)
//! and no command follows it in its paragraph to do it (`# Manually
//! trigger renewal` above `kubectl delete certificaterequest` describes it).

use super::{Checkpoint, Step};
use crate::source::Span;

/// Verbs of an edit by hand: a checkpoint unless an editing command follows.
const EDITS: &[&str] = &["edit", "modify", "uncomment"];

/// Verbs of a check or change by hand: a checkpoint when nothing follows
/// in its paragraph.
const ASKS: &[&str] = &[
    "make sure",
    "ensure",
    "replace",
    "change",
    "update",
    "set",
    "manually",
];

/// Programs that make an edit themselves (the comment describes them).
const EDITORS: &[&str] = &[
    "sed",
    "yq",
    "jq",
    "vi",
    "vim",
    "nvim",
    "nano",
    "emacs",
    "code",
    "patch",
    "ed",
    "perl",
    "kustomize",
    "tee",
    "cat",
    "echo",
    "printf",
];

/// The checkpoints of a step, in order.
pub fn find(step: &Step) -> Vec<Checkpoint> {
    let text = step.text.as_str();
    // A comment that starts with one of the verbs, before anything is
    // collected.
    let candidate = super::comment_lines(text).any(|l| {
        let Some(comment) = l.trim_start().strip_prefix('#') else {
            return false;
        };
        let comment = comment.trim_start_matches('#').trim_start().as_bytes();
        EDITS.iter().chain(ASKS).any(|v| {
            comment.len() >= v.len() && comment[..v.len()].eq_ignore_ascii_case(v.as_bytes())
        })
    });
    if !candidate {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut at = 0;
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .map(|line| {
            let start = at;
            at += line.len();
            (start, line)
        })
        .collect();
    for (i, &(start, line)) in lines.iter().enumerate() {
        let Some(comment) = line.trim().strip_prefix('#') else {
            continue;
        };
        let inside = step
            .script
            .commands
            .iter()
            .any(|c| c.span.start < start && start < c.span.end);
        if inside || comment.starts_with('!') {
            continue;
        }
        let instruction = comment.trim_start_matches('#').trim();
        let lower = instruction.to_lowercase();
        let starts = |verbs: &[&str]| {
            verbs.iter().any(|v| {
                lower
                    .strip_prefix(v)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
            })
        };
        // The next command, and whether it is in the same paragraph.
        let next = step.script.commands.iter().find(|c| c.span.start > start);
        let same_paragraph = next.is_some_and(|c| {
            !lines[i + 1..]
                .iter()
                .take_while(|(offset, _)| *offset < c.span.start)
                .any(|(_, l)| l.trim().is_empty())
        });
        let edits_itself = next.filter(|_| same_paragraph).is_some_and(|c| {
            c.argvs
                .first()
                .and_then(|argv| argv.first())
                .is_some_and(|p| {
                    EDITORS.contains(&crate::shell::program_name(p)) || p.contains("EDITOR")
                })
        });
        let is_checkpoint = if starts(EDITS) {
            !edits_itself
        } else if starts(ASKS) {
            // "Update … to …" and "Set … to/in …" name a change; "Update the
            // repo" before `helm repo update` describes it.
            let names_a_change = !(lower.starts_with("update") || lower.starts_with("set"))
                || lower.contains(" to ")
                || lower.contains(" in ");
            names_a_change && !same_paragraph
        } else {
            false
        };
        if is_checkpoint {
            out.push(Checkpoint {
                instruction: instruction.to_owned(),
                span: Span::new(start, start + line.trim_end().len()),
                before: next.map(|c| c.span),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::model::Runbook;

    fn runbook(text: &str) -> Runbook {
        crate::model::from_text(text)
    }

    fn found(block: &str) -> Vec<String> {
        let rb = runbook(&format!("```bash\n{block}```\n"));
        rb.steps[0]
            .checkpoints
            .iter()
            .map(|c| c.instruction.clone())
            .collect()
    }

    #[test]
    fn an_edit_by_hand_before_a_command_is_a_checkpoint() {
        assert_eq!(
            found(
                "# Update image tags in kustomization\ncd overlays/production\n# Edit kustomization.yaml to set newTag: v1.2.3\n\n# Apply\nkubectl apply -k .\n"
            ),
            ["Edit kustomization.yaml to set newTag: v1.2.3"]
        );
        assert_eq!(
            found("# Make sure the backup finished\n\nkubectl delete pod db-0\n"),
            ["Make sure the backup finished"]
        );
    }

    #[test]
    fn comments_that_describe_the_next_command_are_not() {
        assert!(found("# Edit the config with sed\nsed -i 's/a/b/' app.conf\n").is_empty());
        assert!(found("# Update the chart repositories\nhelm repo update\n").is_empty());
        assert!(found("# Ensure the namespace exists\nkubectl create ns app\n").is_empty());
        assert!(found("# Create the bucket\naws s3 mb s3://b\n").is_empty());
        assert!(
            found("# Manually trigger renewal\nkubectl delete certificaterequest --all\n")
                .is_empty()
        );
        assert!(found("cat <<EOF > notes\n# Edit this later\nEOF\n").is_empty());
    }
}
