//! Where each step starts: the working-directory rule.
//!
//! Steps share a session, so a `cd` carries into the next block, as in the
//! terminal of a reader following the document. A reader does not carry it
//! everywhere, though; a block starts somewhere else when the document says
//! so by its shape:
//!
//! - **another alternative** (a tab, `alt=`, a section per cloud): each
//!   option starts where the group began, not where the option before it
//!   (which the run skips) would have left off;
//! - **another branch of the outline**: after "Cluster Provisioning ›
//!   Provision New Cluster" `cd`s, "Initial Setup" starts where "Cluster
//!   Provisioning" began (sibling sections, "Step 1" then "Step 2",
//!   continue);
//! - **paths written from an earlier directory**: in `…/overlays/production`
//!   a block that applies `infrastructure/k8s/overlays/staging/` starts
//!   where `infrastructure` is;
//! - **a clone made again**: a block that starts by cloning a repository
//!   the document cloned before (each language's tab of a quickstart)
//!   starts where that clone was made.
//!
//! The session's place is followed through the document as a path relative
//! to the run's directory, from each block's `cd` commands; a `cd` litops
//! cannot follow (a variable, an absolute path, an unbalanced `pushd`) makes
//! it unknown until a rule above gives a known place again. The rule is
//! decided on the whole document, not on a selection, so that a resumed run
//! and an approved plan agree on every step.

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use serde::Serialize;

use crate::model::{Mode, Runbook, Step};

/// Where a step starts, when not where the previous one left off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartsIn {
    /// Relative to the run's directory (`.`: the run's directory itself).
    pub dir: String,
    pub why: Rule,
}

/// Which rule made a step start elsewhere (named in plan JSON as written
/// here: `alternative`, `branch`, `clone`, `paths`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Another alternative of a group starts where the group began.
    Alternative,
    /// Another branch of the outline starts where it began.
    Branch,
    /// A clone made again starts where the first was made.
    Clone,
    /// Its paths are written from an earlier directory.
    Paths,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Rule::Alternative => "alternative",
            Rule::Branch => "branch",
            Rule::Clone => "clone",
            Rule::Paths => "paths",
        })
    }
}

impl StartsIn {
    /// One line for people.
    pub fn describe(&self) -> String {
        let place = if self.dir == "." {
            "the run's directory".to_owned()
        } else {
            format!("{} (from the run's directory)", self.dir)
        };
        let why = match self.why {
            Rule::Alternative => "another alternative starts where the group began",
            Rule::Branch => "another part of the runbook starts where it began",
            Rule::Clone => "it clones again what was cloned there",
            Rule::Paths => "its paths are written from there",
        };
        format!("starts in {place}: {why}")
    }
}

/// A path relative to the run's directory; `None`: not known.
type Place = Option<Vec<String>>;

/// Where each step of the runbook starts, if the rule moves it.
pub fn starting_directories(runbook: &Runbook) -> Vec<Option<StartsIn>> {
    let mut starts: Vec<Option<StartsIn>> = vec![None; runbook.steps.len()];
    let mut here: Place = Some(Vec::new());
    // Where the session was when each section's first step began.
    let mut entry: FxHashMap<usize, Place> = FxHashMap::default();
    // Alternative groups: where each began, the option last seen, and where
    // each option left the session.
    let mut groups: FxHashMap<(&str, Option<usize>), Group> = FxHashMap::default();
    let mut open_group: Option<(&str, Option<usize>)> = None;
    // The section of the last step that moved the session.
    let mut mover: Option<usize> = None;
    // Where each repository was cloned.
    let mut clones: FxHashMap<&str, Vec<String>> = FxHashMap::default();
    for (i, step) in runbook.steps.iter().enumerate() {
        if step.mode == Mode::Skip || step.cwd.is_some() || runbook.settings.cwd.is_some() {
            continue;
        }
        // One group of alternatives: its variable, in one part of the
        // outline (the seed's provisioning and secrets groups share
        // CLOUD_PROVIDER but are two groups).
        let group = step.alternative.as_ref().map(|a| {
            let parent = runbook.sections.get(step.section).and_then(|s| s.parent);
            (a.variable.as_str(), parent)
        });
        if let Some(key) = open_group.filter(|&g| Some(g) != group) {
            // Leaving a group: the options agree on where they end, or the
            // place depends on the choice.
            if let Some(g) = groups.get(&key) {
                here = g.agreed_end(&here);
            }
            open_group = None;
        }
        // Where the step starts when not where the walk is (`None`), and
        // the rule that put it there.
        let mut from: Option<Place> = None;
        let mut why: Option<Rule> = None;
        // A later option starts where the group began whatever it follows:
        // the run skips the options before it, so where they leave the
        // session says nothing.
        let mut later_option = false;
        if let (Some(alt), Some(key)) = (&step.alternative, group) {
            let g = groups.entry(key).or_insert_with(|| Group {
                began: here.clone(),
                option: alt.value.clone(),
                ends: FxHashMap::default(),
            });
            // The first step of another option (its later steps continue).
            if g.option != alt.value {
                g.option.clone_from(&alt.value);
                // Where the run is depends on the options before this one
                // only when one of them moved.
                later_option = g.began.is_some() && g.ends.values().any(|end| *end != g.began);
                from = Some(g.began.clone());
                why = Some(Rule::Alternative);
            }
            open_group = Some(key);
        } else if let Some(m) = mover
            && let Some(branch) = other_branch(runbook, m, step.section)
            && let Some(Some(began)) = entry.get(&branch)
        {
            from = Some(Some(began.clone()));
            why = Some(Rule::Branch);
        }
        let clone = first_clone(step);
        let base = from.as_ref().unwrap_or(&here);
        if let Some(at) = clone.and_then(|url| clones.get(url))
            && base.as_ref() != Some(at)
        {
            from = Some(Some(at.clone()));
            why = Some(Rule::Clone);
        } else if let Some(path) = base
            && let Some(first) = first_relative_component(step)
            && let Some(k) = path.iter().position(|c| *c == first)
        {
            from = Some(Some(path[..k].to_vec()));
            why = Some(Rule::Paths);
        }
        if let (Some(Some(dir)), Some(why)) = (&from, why)
            && (later_option || here.as_ref() != Some(dir))
        {
            starts[i] = Some(StartsIn {
                dir: if dir.is_empty() {
                    ".".to_owned()
                } else {
                    dir.join("/")
                },
                why,
            });
            here = from.flatten();
        }
        if let (Some(url), Some(at)) = (clone, &here) {
            clones.entry(url).or_insert_with(|| at.clone());
        }
        // Where its sections begin: where their first step starts (once a
        // section is recorded, so are the sections above it).
        let mut at = Some(step.section);
        while let Some(s) = at.filter(|s| !entry.contains_key(s)) {
            entry.insert(s, here.clone());
            at = runbook.sections.get(s).and_then(|s| s.parent);
        }
        let (place, changed) = moved(step, here);
        here = place;
        if changed {
            mover = Some(step.section);
        }
        if let (Some(alt), Some(g)) = (&step.alternative, group.and_then(|g| groups.get_mut(&g))) {
            g.ends.insert(alt.value.clone(), here.clone());
        }
    }
    starts
}

struct Group {
    began: Place,
    /// The option of the group's last step seen.
    option: String,
    ends: FxHashMap<String, Place>,
}

impl Group {
    fn agreed_end(&self, here: &Place) -> Place {
        let mut ends = self.ends.values();
        let first = ends.next().cloned().unwrap_or_else(|| here.clone());
        if ends.all(|e| *e == first) {
            first
        } else {
            None
        }
    }
}

fn section_and_ancestors(runbook: &Runbook, section: usize) -> Vec<usize> {
    let mut out = vec![section];
    let mut at = section;
    while let Some(parent) = runbook.sections.get(at).and_then(|s| s.parent) {
        out.push(parent);
        at = parent;
    }
    out
}

/// When the section that moved (`mover`) is in another branch of the
/// outline than `section` (its parent is not one of `section`'s ancestors):
/// the top of that branch, below the sections they share.
fn other_branch(runbook: &Runbook, mover: usize, section: usize) -> Option<usize> {
    let ours = section_and_ancestors(runbook, section);
    let theirs = section_and_ancestors(runbook, mover);
    let parent = theirs.get(1).copied()?;
    if ours.contains(&parent) {
        return None;
    }
    // `theirs` runs from the mover up; the branch is the last one not shared.
    theirs
        .iter()
        .take_while(|s| !ours.contains(s))
        .last()
        .copied()
}

/// The repository a block clones with its first command (`git clone URL`).
fn first_clone(step: &Step) -> Option<&str> {
    let argv = step.script.commands.first()?.argvs.first()?;
    if argv.first()? != "git" || argv.get(1)? != "clone" {
        return None;
    }
    argv[2..]
        .iter()
        .find(|w| !w.starts_with('-'))
        .map(CompactString::as_str)
}

/// The first path a block names relative to where it runs: a `cd` target
/// or the value of `-f`/`-k`/`--filename`/`--kustomize`/`--path`; its first
/// component. `.`, `./…`, `../…`, URLs and expansions say nothing.
fn first_relative_component(step: &Step) -> Option<String> {
    for command in &step.script.commands {
        for argv in &command.argvs {
            let mut words = argv.iter();
            let Some(program) = words.next() else {
                continue;
            };
            let path: Option<&str> = if program == "cd" {
                argv.get(1).map(CompactString::as_str)
            } else {
                let mut found = None;
                while let Some(word) = words.next() {
                    if let Some((flag, value)) = word.split_once('=')
                        && is_path_flag(flag)
                    {
                        found = Some(value);
                        break;
                    }
                    if is_path_flag(word) {
                        found = words.next().map(CompactString::as_str);
                        break;
                    }
                }
                found
            };
            let Some(path) = path else { continue };
            if path.starts_with(['.', '/', '~', '-'])
                || path.contains(['$', '`'])
                || path.contains("://")
            {
                continue;
            }
            if let Some(first) = path.split('/').next().filter(|c| !c.is_empty()) {
                return Some(first.to_owned());
            }
        }
    }
    None
}

fn is_path_flag(word: &str) -> bool {
    matches!(word, "-f" | "-k" | "--filename" | "--kustomize" | "--path")
}

/// Where the step leaves the session, from its `cd`s, and whether it moved
/// it; `pushd` and `popd` that balance within the block leave it where it
/// was.
fn moved(step: &Step, mut here: Place) -> (Place, bool) {
    let mut pushes = 0i32;
    let mut changed = false;
    for command in &step.script.commands {
        for argv in &command.argvs {
            match argv.first().map(CompactString::as_str) {
                Some("cd") => {
                    here = here.and_then(|p| cd(p, argv.get(1).map(CompactString::as_str)));
                    changed = true;
                }
                Some("pushd") => pushes += 1,
                Some("popd") => pushes -= 1,
                _ => {}
            }
        }
    }
    if pushes != 0 {
        return (None, true);
    }
    (here, changed)
}

fn cd(mut path: Vec<String>, to: Option<&str>) -> Place {
    let to = to?;
    if to.is_empty() || to.starts_with(['/', '~', '-']) || to.contains(['$', '`']) {
        return None;
    }
    for component in to.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                path.pop()?;
            }
            name => path.push(name.to_owned()),
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(text: &str) -> Vec<(String, Option<String>)> {
        let runbook = crate::load::from_text("t.md", text);
        starting_directories(&runbook)
            .into_iter()
            .zip(&runbook.steps)
            .map(|(s, step)| (step.id.clone(), s.map(|s| format!("{} {}", s.dir, s.why))))
            .collect()
    }

    fn block(body: &str) -> String {
        format!("```bash\n{body}\n```\n\n")
    }

    #[test]
    fn sibling_sections_continue_where_the_last_one_left_off() {
        let text = format!(
            "# T\n\n## Clone\n\n{}## Build\n\n{}## Test\n\n{}",
            block("git clone https://example.com/rook.git\ncd rook"),
            block("make build"),
            block("kubectl apply -f deploy/cluster.yaml"),
        );
        assert!(starts(&text).iter().all(|(_, s)| s.is_none()));
    }

    #[test]
    fn paths_written_from_an_earlier_directory_start_there() {
        let text = format!(
            "# T\n\n## Deploy\n\n### Production\n\n{}### Staging\n\n{}",
            block(
                "cd backend\nmake\ncd ../infrastructure/k8s/overlays/production\nkubectl apply -k ."
            ),
            block("kubectl apply -k infrastructure/k8s/overlays/staging/"),
        );
        assert_eq!(
            starts(&text)[1],
            ("deploy/staging".to_owned(), Some(". paths".to_owned()))
        );
    }

    #[test]
    fn another_branch_of_the_outline_starts_where_its_branch_began() {
        let text = format!(
            "# T\n\n{}## Provisioning\n\n### New cluster\n\n{}## Setup\n\n### Components\n\n{}",
            block("cd repo"),
            block("cd infra/bootstrap\n./provision.sh"),
            block("./setup.sh"),
        );
        assert_eq!(
            starts(&text)[2],
            (
                "setup/components".to_owned(),
                Some("repo branch".to_owned())
            )
        );
    }

    #[test]
    fn each_alternative_starts_where_the_group_began() {
        let text = "# T\n\n## GKE\n\n<!-- litops: alt=\"CLOUD=gke\" -->\n```bash\ncd gke\n```\n\n```bash\n./up.sh\n```\n\n## EKS\n\n<!-- litops: alt=\"CLOUD=eks\" -->\n```bash\ncd eks\n```\n";
        let found = starts(text);
        assert_eq!(found[1].1, None, "the same option continues");
        assert_eq!(found[2].1.as_deref(), Some(". alternative"));
    }

    /// The seed's shape: two groups on one variable, a `cd` between them.
    /// A later option says where it starts even when the walk, passing
    /// through the option before it, is already there: a run that chose it
    /// skipped that option, and is still where the group began.
    #[test]
    fn a_later_option_starts_on_its_own_whatever_the_option_before_it_did() {
        let alt = |value: &str, body: &str| {
            format!("<!-- litops: alt=\"CLOUD={value}\" -->\n{}", block(body))
        };
        let text = format!(
            "# T\n\n## Provision\n\n### GKE\n\n{}### EKS\n\n{}## Setup\n\n### Components\n\n{}### Secrets\n\n#### AWS\n\n{}#### GCP\n\n{}",
            alt("gke", "cd infra/boot\n./up.sh"),
            alt("eks", "cd infra/boot\n./up.sh"),
            block("cd infra/boot\n./setup.sh"),
            alt("eks", "kubectl apply -f infra/stores.yaml"),
            alt("gke", "kubectl apply -f infra/stores.yaml"),
        );
        let found = starts(&text);
        assert_eq!(found[2].1.as_deref(), Some(". branch"));
        assert_eq!(found[3].1.as_deref(), Some(". paths"));
        assert_eq!(
            found[4].1.as_deref(),
            Some(". paths"),
            "GCP is not where AWS left the walk: {found:?}"
        );
    }

    /// A later option's own later steps continue where its first left off
    /// (a tab of several blocks), and an option after options that did not
    /// move needs no start of its own.
    #[test]
    fn a_later_option_continues_within_itself() {
        let alt = |value: &str, body: &str| {
            format!("<!-- litops: alt=\"LANG={value}\" -->\n{}", block(body))
        };
        let text = format!(
            "# T\n\n## Build\n\n{}{}{}{}## Check\n\n{}{}",
            alt("go", "cd go"),
            alt("go", "make"),
            alt("py", "cd py"),
            alt("py", "pytest"),
            alt("go", "go vet"),
            alt("py", "ruff"),
        );
        let found = starts(&text);
        assert_eq!(found[2].1.as_deref(), Some(". alternative"));
        assert_eq!(found[3].1, None, "{found:?}");
        let text = format!(
            "# T\n\n## Run\n\n{}{}",
            alt("go", "go run ."),
            alt("py", "python main.py")
        );
        assert!(starts(&text).iter().all(|(_, s)| s.is_none()));
    }

    #[test]
    fn a_clone_made_again_starts_where_the_first_was_made() {
        let text = format!(
            "# T

## Python

{}## Go

{}",
            block(
                "git clone https://example.com/q.git
cd q/python
./run.sh"
            ),
            block(
                "git clone https://example.com/q.git
cd q/go"
            ),
        );
        assert_eq!(starts(&text)[1].1.as_deref(), Some(". clone"));
    }

    #[test]
    fn balanced_pushd_and_unknown_cds() {
        let mut here = moved_by("pushd x\nmake\npopd");
        assert_eq!(here, Some(Vec::new()));
        here = moved_by("cd \"$DIR\"");
        assert_eq!(here, None);
        assert_eq!(
            moved_by("cd a/b/../c"),
            Some(vec!["a".to_owned(), "c".to_owned()])
        );
    }

    fn moved_by(body: &str) -> Place {
        let runbook = crate::load::from_text("t.md", &block(body));
        moved(&runbook.steps[0], Some(Vec::new())).0
    }
}
