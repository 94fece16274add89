//! Which steps a run or a dry run covers: `--section`, `--step`, `--tag`,
//! `--from`, `--to`. Steps marked `exclude-from-run-all` (Runme's
//! `excludeFromRunAll`) are chosen only by `--step`.

use crate::diag::suggest;
use crate::model::{Runbook, slugify};

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Selection {
    pub sections: Vec<String>,
    pub steps: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Left out when empty so that approvals written before `--tag` read the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("no section matches `{name}`{hint}")]
    NoSection { name: String, hint: String },
    #[error("no step matches `{name}`{hint}")]
    NoStep { name: String, hint: String },
    #[error("`{name}` matches several steps: {candidates}; give more of the id")]
    Ambiguous { name: String, candidates: String },
    #[error("no step is tagged `{name}`{hint}")]
    NoTag { name: String, hint: String },
    #[error("--from {from} comes after --to {to}")]
    EmptyRange { from: String, to: String },
}

impl Selection {
    pub fn is_all(&self) -> bool {
        self.sections.is_empty()
            && self.steps.is_empty()
            && self.tags.is_empty()
            && self.from.is_none()
            && self.to.is_none()
    }

    /// Indices of the selected steps, in document order.
    pub fn apply(&self, runbook: &Runbook) -> Result<Vec<usize>, SelectError> {
        let everything = self.sections.is_empty() && self.steps.is_empty() && self.tags.is_empty();
        // Only a step's name brings in a step left out of "run all".
        let mut chosen: Vec<bool> = runbook
            .steps
            .iter()
            .map(|s| everything && !s.exclude_from_run_all)
            .collect();
        for name in &self.sections {
            for section in find_sections(runbook, name)? {
                for s in runbook.subtree(section) {
                    for &step in &runbook.sections[s].steps {
                        chosen[step] |= !runbook.steps[step].exclude_from_run_all;
                    }
                }
            }
        }
        for tag in &self.tags {
            let tagged: Vec<usize> = (0..runbook.steps.len())
                .filter(|&i| runbook.steps[i].tags.iter().any(|t| t == tag))
                .collect();
            if tagged.is_empty() {
                return Err(no_tag(runbook, tag));
            }
            for i in tagged {
                chosen[i] |= !runbook.steps[i].exclude_from_run_all;
            }
        }
        for name in &self.steps {
            chosen[find_step(runbook, name)?] = true;
        }
        let from = self
            .from
            .as_deref()
            .map(|n| find_step(runbook, n))
            .transpose()?
            .unwrap_or(0);
        let to = self
            .to
            .as_deref()
            .map(|n| find_step(runbook, n))
            .transpose()?
            .unwrap_or(runbook.steps.len().saturating_sub(1));
        if let (Some(f), Some(t)) = (&self.from, &self.to)
            && from > to
        {
            return Err(SelectError::EmptyRange {
                from: f.clone(),
                to: t.clone(),
            });
        }
        Ok((0..runbook.steps.len())
            .filter(|&i| chosen[i] && i >= from && i <= to)
            .collect())
    }
}

fn no_tag(runbook: &Runbook, tag: &str) -> SelectError {
    let mut tags: Vec<&str> = Vec::new();
    for t in runbook.steps.iter().flat_map(|s| &s.tags) {
        if !tags.contains(&t.as_str()) {
            tags.push(t);
        }
    }
    let hint = match suggest(tag, tags.iter().copied()) {
        Some(s) => format!("; did you mean `{s}`?"),
        None if tags.is_empty() => "; this runbook has no tags".to_owned(),
        None => format!("; its tags are: {}", tags.join(", ")),
    };
    SelectError::NoTag {
        name: tag.to_owned(),
        hint,
    }
}

/// Sections whose title (any case), slug or id (or a trailing part of it) is `name`.
fn find_sections(runbook: &Runbook, name: &str) -> Result<Vec<usize>, SelectError> {
    let slug = slugify(name);
    let found: Vec<usize> = (1..runbook.sections.len())
        .filter(|&i| {
            let s = &runbook.sections[i];
            s.title.eq_ignore_ascii_case(name) || s.id == name || ends_with_segment(&s.id, &slug)
        })
        .collect();
    if found.is_empty() {
        let hint = suggest(
            name,
            runbook.sections.iter().skip(1).map(|s| s.title.as_str()),
        )
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_else(|| "; `litops list FILE` shows the sections".to_owned());
        return Err(SelectError::NoSection {
            name: name.to_owned(),
            hint,
        });
    }
    Ok(found)
}

/// A step by exact id, or by a unique trailing part of its id.
pub fn find_step(runbook: &Runbook, name: &str) -> Result<usize, SelectError> {
    if let Some(i) = runbook.steps.iter().position(|s| s.id == name) {
        return Ok(i);
    }
    let matches: Vec<usize> = (0..runbook.steps.len())
        .filter(|&i| ends_with_segment(&runbook.steps[i].id, name))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => {
            // Compare with the last segment too: people type the tail of an id.
            let last = |id: &str| id.rsplit('/').next().unwrap_or(id).to_owned();
            let tails: Vec<String> = runbook.steps.iter().map(|s| last(&s.id)).collect();
            let hint = suggest(name, runbook.steps.iter().map(|s| s.id.as_str()))
                .or_else(|| {
                    let tail = suggest(name, tails.iter().map(String::as_str))?;
                    runbook
                        .steps
                        .iter()
                        .map(|s| s.id.as_str())
                        .find(|id| last(id) == tail)
                })
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_else(|| "; `litops list FILE` shows the step ids".to_owned());
            Err(SelectError::NoStep {
                name: name.to_owned(),
                hint,
            })
        }
        many => Err(SelectError::Ambiguous {
            name: name.to_owned(),
            candidates: many
                .iter()
                .map(|&i| runbook.steps[i].id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

fn ends_with_segment(id: &str, tail: &str) -> bool {
    !tail.is_empty() && (id == tail || id.ends_with(&format!("/{tail}")))
}
