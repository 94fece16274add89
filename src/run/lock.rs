//! One run per runbook and lock key (`litops.lock_key`): the lock is taken
//! before the transcript is opened and held until the run ends.

use std::path::Path;

use super::{Frontend, RunError};
use crate::bind::Bindings;
use crate::lock;
use crate::model::Runbook;
use crate::operator;

/// One run per runbook and lock key: refused with the holder named.
pub(super) fn take(
    runbook: &Runbook,
    path: &Path,
    bindings: &Bindings,
    ui: &mut dyn Frontend,
) -> Result<lock::Lock, RunError> {
    let key: Vec<String> = runbook
        .settings
        .lock_key
        .iter()
        .map(|name| {
            let value = bindings.get(name).map_or("", |b| b.value.as_str());
            if bindings.is_secret(runbook, name) {
                format!("{name}=[REDACTED:{name}]")
            } else {
                format!("{name}={value}")
            }
        })
        .collect();
    let key = key.join(",");
    let (user, host) = operator::operator_name()
        .split_once('@')
        .map(|(u, h)| (u.to_owned(), h.to_owned()))
        .unwrap_or_default();
    let me = lock::Holder {
        pid: std::process::id(),
        host,
        user,
        started_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        runbook: path.display().to_string(),
        key: key.clone(),
    };
    let file = lock::lock_path(&lock::lock_dir(), path, &key);
    match lock::acquire(&file, &me) {
        Ok(lock) => {
            if let Some(old) = &lock.taken_over {
                ui.warn(&format!(
                    "took over a stale lock: pid {} on {} (started {}) ended without releasing it",
                    old.pid, old.host, old.started_at
                ));
            }
            Ok(lock)
        }
        Err(err @ (lock::LockError::Held { .. } | lock::LockError::HeldUnknown(_))) => Err(
            RunError::Locked(format!("{err}\nnothing was run; wait for it to finish")),
        ),
        Err(err) => Err(RunError::Locked(format!(
            "{err}\nnothing was run (LITOPS_LOCK_DIR chooses where locks go)"
        ))),
    }
}
