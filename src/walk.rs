//! The runbook files under a directory, found one way for `check` and
//! `render` alike, with the `ignore` crate (ripgrep's walker): it knows
//! `.gitignore` as git reads it, which a hand-written walk did not.

use std::path::{Path, PathBuf};

/// Directories never searched, wherever they are below the root: build
/// output and dependencies, which hold other projects' Markdown.
const SKIPPED: &[&str] = &["target", "node_modules"];

/// The runbook files ([`RUNBOOK_SUFFIXES`]) under `path`,
/// sorted; `path` itself, whatever its name, if it is not a directory.
///
/// Left out: hidden files and directories, [`SKIPPED`] directories, and
/// what `.gitignore` (inside a git repository, with `.git/info/exclude`)
/// and `.ignore` files leave out. Not the user's global git excludes: the
/// same tree gives the same runbooks to `check` in CI and to `render` run
/// by root on a host. Symbolic links are followed; a loop of them is
/// walked once.
pub fn runbooks(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        std::fs::metadata(path)?;
        return Ok(vec![path.to_owned()]);
    }
    let walk = ignore::WalkBuilder::new(path)
        .follow_links(true)
        .git_global(false)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && SKIPPED.iter().any(|name| entry.file_name() == *name))
        })
        .build();
    let mut out = Vec::new();
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => match err.into_io_error() {
                // A link to nothing is no runbook.
                Some(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Some(err) => return Err(err),
                // A loop of links (its files are reached once anyway), or
                // a pattern in an ignore file that is not one (git skips
                // those too).
                None => continue,
            },
        };
        let is_dir = entry.file_type().is_none_or(|t| t.is_dir());
        let name = entry.file_name().to_string_lossy();
        if !is_dir && runbook_stem(&name).is_some() {
            out.push(entry.into_path());
        }
    }
    out.sort();
    Ok(out)
}

/// Endings of the files a directory is searched for: Markdown as people
/// name it, MDX (Docusaurus) and ERB-templated Markdown.
pub const RUNBOOK_SUFFIXES: &[&str] = &[".md.erb", ".markdown", ".mdx", ".md"];

/// A runbook file's name without its ending (`deploy.md.erb` → `deploy`),
/// or `None` if the name is not a runbook's.
pub fn runbook_stem(name: &str) -> Option<&str> {
    RUNBOOK_SUFFIXES
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|stem| !stem.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relative(root: &Path, found: Vec<PathBuf>) -> Vec<String> {
        found
            .iter()
            .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
            .collect()
    }

    #[test]
    fn runbooks_sorted_without_hidden_ignored_or_build_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for name in [
            "b.md",
            "a/z.markdown",
            "a.md",
            "notes.txt",
            "deploy.md.erb",
            "x.mdx",
            ".hidden.md",
            ".obsidian/c.md",
            "target/d.md",
            "node_modules/pkg/e.md",
            "docs/target/f.md",
            "drafts/g.md",
            "wip.md",
            "local/h.md",
        ] {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(&path, "# x\n").expect("write");
        }
        std::fs::create_dir(root.join(".git")).expect(".git");
        std::fs::write(root.join(".gitignore"), "drafts/\nwip.md\n").expect("gitignore");
        std::fs::write(root.join(".ignore"), "local/\n").expect("ignore");
        // A link loop is walked once, without error.
        std::os::unix::fs::symlink(".", root.join("a/loop")).expect("symlink");
        assert_eq!(
            relative(root, runbooks(root).expect("walks")),
            ["a/z.markdown", "a.md", "b.md", "deploy.md.erb", "x.mdx"]
        );
        // A file is taken as it is; a missing one is an error.
        assert_eq!(
            runbooks(&root.join("notes.txt")).expect("file"),
            [root.join("notes.txt")]
        );
        assert!(runbooks(&root.join("missing.md")).is_err());
        // The root is searched even when its own name would be skipped.
        assert_eq!(
            relative(root, runbooks(&root.join("target")).expect("walks")),
            ["target/d.md"]
        );
    }
}
