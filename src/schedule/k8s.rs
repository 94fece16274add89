//! A Kubernetes CronJob running litops in a container: the runbook and its
//! approved plan from a ConfigMap, transcripts to a PersistentVolumeClaim,
//! the summary line to the pod's log. Built from `k8s-openapi`'s typed objects, so what
//! is written is what the API accepts.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, EnvVar,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
    PodSecurityContext, PodSpec, PodTemplateSpec, ResourceRequirements, SecurityContext, Volume,
    VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Job;

#[derive(Debug, Clone)]
pub struct KubernetesOptions {
    pub namespace: Option<String>,
    pub image: String,
    /// An existing PersistentVolumeClaim for transcripts; without one, a
    /// claim `litops-NAME-runs` is written with the CronJob.
    pub transcripts_claim: Option<String>,
    /// `spec.timeZone` (IANA name); the controller's zone when unset.
    pub time_zone: Option<String>,
}

impl KubernetesOptions {
    /// Refuses control characters: YAML would escape them, but no name,
    /// image or zone holds one, and a value that is not what it looks like
    /// has no place in a file that runs as a cluster job.
    pub fn check(&self) -> Result<(), String> {
        let fields = [
            ("--namespace", self.namespace.as_deref()),
            ("--image", Some(self.image.as_str())),
            ("--transcripts-claim", self.transcripts_claim.as_deref()),
            ("--time-zone", self.time_zone.as_deref()),
        ];
        for (what, value) in fields {
            if let Some(value) = value {
                super::check_text(what, value)?;
            }
        }
        Ok(())
    }
}

const RUNBOOK_DIR: &str = "/etc/litops/runbook";
const RUNS_DIR: &str = "/var/lib/litops/runs";
const PLAN_KEY: &str = "plan.json";

/// The claim written for transcripts when none is named.
const CLAIM_SIZE: &str = "1Gi";

/// The runbook's key in the ConfigMap, which is also its file name in the
/// pod. Kubernetes accepts `[-._a-zA-Z0-9]+` up to 253 characters, not
/// `.`, `..` or a leading `..`: other characters become `-`, and a name
/// that still does not fit (or would be the plan's) is `runbook.md`.
pub fn config_map_key(file_name: &str) -> String {
    let key: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if key.is_empty() || key.len() > 253 || key.starts_with("..") || key == "." || key == PLAN_KEY {
        "runbook.md".to_owned()
    } else {
        key
    }
}

/// What `kubectl apply` gets.
pub struct KubernetesObjects {
    pub config_map: ConfigMap,
    /// The transcripts' claim, unless an existing one was named.
    pub claim: Option<PersistentVolumeClaim>,
    pub cron_job: CronJob,
}

/// The CronJob, the ConfigMap it reads, and the claim it writes to.
pub fn kubernetes(
    job: &Job,
    options: &KubernetesOptions,
    runbook_name: &str,
    runbook_text: &str,
    plan_text: Option<&str>,
) -> Result<KubernetesObjects, String> {
    options.check()?;
    super::check_args(&job.run_args)?;
    super::check_text("--cron", &job.cron.text)?;
    let runbook_key = config_map_key(runbook_name);
    let name = format!("litops-{}", job.name);
    let labels: BTreeMap<String, String> = [
        ("app.kubernetes.io/name".to_owned(), "litops".to_owned()),
        ("app.kubernetes.io/instance".to_owned(), name.clone()),
    ]
    .into();
    let meta = |name: &str| ObjectMeta {
        name: Some(name.to_owned()),
        namespace: options.namespace.clone(),
        labels: Some(labels.clone()),
        ..ObjectMeta::default()
    };
    let mut data = BTreeMap::from([(runbook_key.clone(), runbook_text.to_owned())]);
    if let Some(plan) = plan_text {
        data.insert(PLAN_KEY.to_owned(), plan.to_owned());
    }
    let config_map = ConfigMap {
        metadata: meta(&name),
        data: Some(data),
        ..ConfigMap::default()
    };
    let mut args = vec![
        "run".to_owned(),
        format!("{RUNBOOK_DIR}/{runbook_key}"),
        "--unattended".to_owned(),
    ];
    if plan_text.is_some() {
        args.push("--approved".to_owned());
        args.push(format!("{RUNBOOK_DIR}/{PLAN_KEY}"));
    }
    args.extend(job.run_args.iter().cloned());
    let quantity = |q: &str| Quantity(q.to_owned());
    let container = Container {
        name: "litops".to_owned(),
        image: Some(options.image.clone()),
        command: Some(vec!["litops".to_owned()]),
        args: Some(args),
        env: Some(vec![EnvVar {
            name: "LITOPS_RUNS_DIR".to_owned(),
            value: Some(RUNS_DIR.to_owned()),
            ..EnvVar::default()
        }]),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_owned(), quantity("100m")),
                ("memory".to_owned(), quantity("128Mi")),
            ])),
            limits: Some(BTreeMap::from([("memory".to_owned(), quantity("512Mi"))])),
            ..ResourceRequirements::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            ..SecurityContext::default()
        }),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "runbook".to_owned(),
                mount_path: RUNBOOK_DIR.to_owned(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "transcripts".to_owned(),
                mount_path: RUNS_DIR.to_owned(),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "tmp".to_owned(),
                mount_path: "/tmp".to_owned(),
                ..VolumeMount::default()
            },
        ]),
        ..Container::default()
    };
    // Transcripts outlive the pod by default: a claim of its own unless an
    // existing one is named (an emptyDir would lose them with the pod).
    let claim = match &options.transcripts_claim {
        Some(_) => None,
        None => Some(PersistentVolumeClaim {
            metadata: meta(&format!("{name}-runs")),
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
                resources: Some(VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([(
                        "storage".to_owned(),
                        quantity(CLAIM_SIZE),
                    )])),
                    ..VolumeResourceRequirements::default()
                }),
                ..PersistentVolumeClaimSpec::default()
            }),
            ..PersistentVolumeClaim::default()
        }),
    };
    let claim_name = options
        .transcripts_claim
        .clone()
        .unwrap_or_else(|| format!("{name}-runs"));
    let transcripts = Volume {
        name: "transcripts".to_owned(),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name,
            read_only: Some(false),
        }),
        ..Volume::default()
    };
    let pod = PodSpec {
        restart_policy: Some("Never".to_owned()),
        containers: vec![container],
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(65532),
            fs_group: Some(65532),
            ..PodSecurityContext::default()
        }),
        volumes: Some(vec![
            Volume {
                name: "runbook".to_owned(),
                config_map: Some(ConfigMapVolumeSource {
                    name: name.clone(),
                    ..ConfigMapVolumeSource::default()
                }),
                ..Volume::default()
            },
            transcripts,
            Volume {
                name: "tmp".to_owned(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Volume::default()
            },
        ]),
        ..PodSpec::default()
    };
    let cron_job = CronJob {
        metadata: meta(&name),
        spec: Some(CronJobSpec {
            schedule: job.cron.text.clone(),
            time_zone: options.time_zone.clone(),
            // A run still going when the next is due: the next waits (is skipped).
            concurrency_policy: Some("Forbid".to_owned()),
            starting_deadline_seconds: Some(600),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(5),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels.clone()),
                    ..ObjectMeta::default()
                }),
                spec: Some(JobSpec {
                    // A failed maintenance run is looked at, not retried blindly.
                    backoff_limit: Some(0),
                    active_deadline_seconds: Some(
                        i64::try_from(job.timeout.as_secs().max(1)).unwrap_or(i64::MAX),
                    ),
                    template: PodTemplateSpec {
                        metadata: Some(ObjectMeta {
                            labels: Some(labels.clone()),
                            ..ObjectMeta::default()
                        }),
                        spec: Some(pod),
                    },
                    ..JobSpec::default()
                }),
            },
            ..CronJobSpec::default()
        }),
        ..CronJob::default()
    };
    Ok(KubernetesObjects {
        config_map,
        claim,
        cron_job,
    })
}

/// The image the CronJob runs: litops built from source, with bash and
/// setsid. The tools the runbook calls (kubectl, psql…) are to be added.
pub const DOCKERFILE: &str = r#"# Written by `litops schedule --emit k8s-cronjob`. Build from the litops
# source tree: docker build -f Dockerfile -t litops:VERSION . (the CronJob's
# image is litops:<litops version> unless `schedule --image` named another)
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
# bash runs the steps; util-linux has setsid (the step shell). Add the
# tools your runbook calls (kubectl, psql…).
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash util-linux ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/litops /usr/local/bin/litops
USER 65532:65532
ENTRYPOINT ["litops"]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_map_keys_are_what_kubernetes_accepts() {
        assert_eq!(config_map_key("cleanup.md"), "cleanup.md");
        assert_eq!(config_map_key("my runbook (v2).md"), "my-runbook--v2-.md");
        assert_eq!(config_map_key("é.md"), "-.md");
        for bad in ["plan.json", "..md", ".", "", &"a".repeat(254)] {
            assert_eq!(config_map_key(bad), "runbook.md", "{bad}");
        }
    }
}
