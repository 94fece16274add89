//! Issue 13's "must show": the seed runbook, byte for byte, run section by
//! section in one scratch tree, the way an operator with one cloud in mind
//! works through it, against recording fakes of every tool it calls. Each
//! section's run is asserted to the exact commands it made (or the exact
//! refusal, before anything ran); once per cloud.
//!
//! What the operator means, and these tests hold litops to:
//! - one cloud only: the other clouds' sections, `# GKE`/`# AKS` lines and
//!   `gcloud`/`az` commands are never run; a line written for another cloud
//!   (`aws secretsmanager update-secret` under "Rotate Secrets" for GKE) or a
//!   cloud's part written as prose (`# EKS: … (configure in eksctl config
//!   file)`) is work by hand, refused unattended, never passed over;
//! - one entry of each menu: one token, one deploy path, one rollback, one
//!   migration;
//! - provisioning then setup, each from the repository root;
//! - `logs -f` refused up front unattended rather than hanging;
//! - `kubectl run -it` and `kubectl exec -it` on a terminal;
//! - the edit by hand before `kubectl apply -k .` refused unattended, and
//!   the section run from an approved plan once it is done.

use crate::run::{DEPLOY_EDIT_REFUSED, calls, fake_at, sandbox, seed_here};
use crate::test::{Ran, Test};

/// The scratch tree: the seed as `runbook.md`, fakes of the cloud CLIs,
/// `docker` and `nslookup` on PATH, the repository's scripts, and the
/// directories the deploy section `cd`s into.
fn scratch() -> Test {
    let mut test = seed_here(sandbox());
    // On the PATH sandbox() set: the same directory.
    crate::support::fake_bin(test.dir(), &["docker", "nslookup"]);
    for script in [
        "provision-cluster.sh",
        "setup-cluster.sh",
        "verify-cluster.sh",
    ] {
        test = fake_at(test, &format!("infrastructure/k8s/bootstrap/{script}"));
    }
    for dir in [
        "backend",
        "frontend",
        "infrastructure/k8s/overlays/production",
        "infrastructure/k8s/overlays/staging",
    ] {
        std::fs::create_dir_all(test.dir().join(dir)).expect("dir");
    }
    test.env("FAKE_TTY", "1")
        // `kubectl describe … | grep -A 5 "Limits:"` finds what it looks for.
        .env("FAKE_STDOUT_kubectl", "    Limits:\n      cpu: 1")
}

/// The values and choices an operator gives for every section.
fn section(test: Test, cloud: &str, name: &str) -> Test {
    test.args(["run", "runbook.md", "--section", name])
        .args(["--choose", &format!("cloud={cloud}")])
        .args(VALUES)
        .args([
            "--unattended",
            "--yes",
            "--accept-inferred",
            "--no-transcript",
        ])
}

const VALUES: &[&str] = &[
    "--set",
    "SECURE_PASSWORD=pw-123456",
    "--set",
    "GCP_PROJECT_ID=proj-1",
    "--set",
    "POD_NAME=backend-1",
    "--set",
    "TIMESTAMP=1700000000",
];

/// The fakes' calls since the last time they were taken.
fn take_calls(ran: &Ran) -> Vec<String> {
    let calls = calls(ran);
    let _ = std::fs::remove_file(ran.path("calls.log"));
    calls
}

/// The menus of "Deployment Procedures", chosen by their labels' words.
const DEPLOY_CHOICES: &[&str] = &[
    "--choose",
    "deploy-to-production=kustomize",
    "--choose",
    "rollback-deployment=previous",
    "--choose",
    "run-database-migrations=job",
];

const GRANTS_AND_TOKEN: &[&str] = &[
    "kubectl create rolebinding dev-view-prod --clusterrole=view --user=developer@example.com --namespace=clipper-production",
    "kubectl create rolebinding cicd-deployer-prod --clusterrole=edit --serviceaccount=clipper-production:clipper-deployer --namespace=clipper-production",
    "kubectl create clusterrolebinding ops-admin --clusterrole=admin --user=ops@example.com",
    "kubectl create token clipper-deployer -n clipper-production --duration=87600h",
];

const DEPLOYMENT: &[&str] = &[
    "docker build -t ghcr.io/subculture-collective/clipper-backend:v1.2.3 .",
    "docker push ghcr.io/subculture-collective/clipper-backend:v1.2.3",
    "docker build -t ghcr.io/subculture-collective/clipper-frontend:v1.2.3 .",
    "docker push ghcr.io/subculture-collective/clipper-frontend:v1.2.3",
    // In infrastructure/k8s/overlays/production; `set image` is the other entry.
    "kubectl apply -k .",
    "kubectl rollout status deployment/clipper-backend -n clipper-production",
    // Staging starts at the root again: its path is written from there.
    "kubectl apply -k infrastructure/k8s/overlays/staging/",
    "kubectl rollout status deployment/clipper-backend -n clipper-staging",
    // One rollback: the history, then the previous version.
    "kubectl rollout history deployment/clipper-backend -n clipper-production",
    "kubectl rollout undo deployment/clipper-backend -n clipper-production",
    // One migration: the job (option 2), not `exec` into a pod as well.
    "date +%s",
    "kubectl create job migration-1700000000 --image=ghcr.io/subculture-collective/clipper-backend:latest -n clipper-production -- /app/api migrate up",
    "kubectl logs job/migration-1700000000 -n clipper-production",
];

const MONITORING_WITHOUT_LOGS: &[&str] = &[
    "kubectl top nodes",
    "kubectl top pods -n clipper-production",
    "kubectl describe pod backend-1 -n clipper-production",
    "kubectl get hpa -n clipper-production",
    "kubectl describe hpa clipper-backend -n clipper-production",
    "kubectl get events -n clipper-production --sort-by=.lastTimestamp",
    "kubectl describe deployment clipper-backend -n clipper-production",
];

/// Every command of the block runs on the terminal `-it` asks for.
const TROUBLESHOOTING: &[&str] = &[
    "kubectl get pods -n clipper-production",
    "kubectl describe pod backend-1 -n clipper-production",
    "kubectl logs backend-1 -n clipper-production",
    "kubectl get ingress -n clipper-production <tty>",
    "kubectl describe ingress clipper-backend -n clipper-production <tty>",
    "kubectl logs -n ingress-nginx deployment/ingress-nginx-controller --tail=100 <tty>",
    "kubectl run -it --rm debug --image=curlimages/curl --restart=Never -- curl -v http://clipper-backend.clipper-production.svc.cluster.local <tty>",
    "nslookup api.clpr.tv <tty>",
    "kubectl get certificate -n clipper-production",
    "kubectl describe certificate clipper-backend-tls-prod -n clipper-production",
    "kubectl get certificaterequest -n clipper-production",
    "kubectl logs -n cert-manager deployment/cert-manager --tail=100",
    "kubectl delete certificaterequest -n clipper-production --all",
    "kubectl get externalsecret -n clipper-production",
    "kubectl describe externalsecret backend-secrets -n clipper-production",
    "kubectl get secretstore -n clipper-production",
    "kubectl describe secretstore aws-secrets-manager -n clipper-production",
    "kubectl logs -n external-secrets-system deployment/external-secrets --tail=100",
    "kubectl get secret backend-secrets -n clipper-production",
    "kubectl describe secret backend-secrets -n clipper-production",
    r#"kubectl exec -it deployment/clipper-backend -n clipper-production -- sh -c echo\ \"SELECT\ 1\"\ \|\ psql\ \$DATABASE_URL <tty>"#,
    "kubectl get pods -n clipper-production -l app=postgres <tty>",
    "kubectl get networkpolicy -n clipper-production <tty>",
    "kubectl describe networkpolicy allow-backend-to-databases -n clipper-production <tty>",
    "kubectl top pods -n clipper-production",
    "kubectl describe deployment clipper-backend -n clipper-production",
    "kubectl scale deployment clipper-backend --replicas=5 -n clipper-production",
    r#"kubectl patch hpa clipper-backend -n clipper-production -p \{\"spec\":\{\"maxReplicas\":15\}\}"#,
];

const OPERATORS: &[&str] = &[
    "helm repo update",
    "helm upgrade ingress-nginx ingress-nginx/ingress-nginx -n ingress-nginx",
    "helm upgrade cert-manager jetstack/cert-manager -n cert-manager --version v1.16.2",
    "helm upgrade external-secrets external-secrets/external-secrets -n external-secrets-system",
];

const ROTATE_AFTER_THE_STORE: &[&str] = &[
    "date +%s",
    "kubectl annotate externalsecret backend-secrets -n clipper-production force-sync=1700000000 --overwrite",
    "kubectl rollout restart deployment/clipper-backend -n clipper-production",
];

const DISASTER_RECOVERY: &[&str] = &[
    "date +%Y%m%d",
    "kubectl get all --all-namespaces -o yaml",
    "date +%Y%m%d",
    "kubectl get all -n clipper-production -o yaml",
    "date +%Y%m%d",
    "kubectl apply -f -",
    "kubectl apply -f cluster-backup-20260101.yaml",
    "kubectl get all -n clipper-production",
];

const COSTS: &[&str] = &[
    "kubectl top nodes",
    "kubectl top pods --all-namespaces",
    r"kubectl get pods --all-namespaces -o custom-columns=NAME:.metadata.name\,NAMESPACE:.metadata.namespace\,CPU_REQUEST:.spec.containers\[\*\].resources.requests.cpu\,MEM_REQUEST:.spec.containers\[\*\].resources.requests.memory",
    r"kubectl set resources deployment clipper-backend -n clipper-production --requests=cpu=200m\,memory=512Mi --limits=cpu=1000m\,memory=1Gi",
    r#"kubectl patch hpa clipper-backend -n clipper-production -p \{\"spec\":\{\"minReplicas\":2\,\"maxReplicas\":8\}\}"#,
];

/// What a cloud changes in the walk: the commands of its own sections and
/// lines, and what it leaves to be done by hand.
struct Cloud {
    name: &'static str,
    secrets: &'static [&'static str],
    credentials: &'static str,
    upgrade: &'static [&'static str],
    spot: Option<&'static str>,
}

const EKS: Cloud = Cloud {
    name: "eks",
    secrets: &[
        "eksctl create iamserviceaccount --name clipper-backend --namespace clipper-production --cluster clipper-prod --region us-east-1 --attach-policy-arn arn:aws:iam::aws:policy/SecretsManagerReadWrite --approve",
        r#"aws secretsmanager create-secret --name clipper/production/database --description Database\ credentials\ for\ production --secret-string \{\"password\":\"pw-123456\"\}"#,
        "kubectl apply -f infrastructure/k8s/external-secrets/secret-stores.yaml",
        "kubectl apply -f infrastructure/k8s/external-secrets/external-secrets.yaml",
        "kubectl get externalsecret -n clipper-production",
        "kubectl get secret backend-secrets -n clipper-production",
    ],
    credentials: "aws eks update-kubeconfig --region us-east-1 --name clipper-prod",
    upgrade: &["eksctl upgrade cluster --name=clipper-prod --version=1.32 --approve"],
    spot: None,
};

const GKE: Cloud = Cloud {
    name: "gke",
    secrets: &[
        r"gcloud iam service-accounts create clipper-backend-prod --project=proj-1 --display-name=Clipper\ Backend\ Production",
        "gcloud projects add-iam-policy-binding proj-1 --member=serviceAccount:clipper-backend-prod@proj-1.iam.gserviceaccount.com --role=roles/secretmanager.secretAccessor",
        r"gcloud iam service-accounts add-iam-policy-binding clipper-backend-prod@proj-1.iam.gserviceaccount.com --role roles/iam.workloadIdentityUser --member serviceAccount:proj-1.svc.id.goog\[clipper-production/clipper-backend\]",
        "kubectl annotate serviceaccount clipper-backend -n clipper-production iam.gke.io/gcp-service-account=clipper-backend-prod@proj-1.iam.gserviceaccount.com",
        "gcloud secrets create clipper-production-db-password --data-file=- --replication-policy=automatic",
        "kubectl apply -f infrastructure/k8s/external-secrets/secret-stores.yaml",
        "kubectl apply -f infrastructure/k8s/external-secrets/external-secrets.yaml",
    ],
    credentials: "gcloud container clusters get-credentials clipper-prod --region us-central1 --project proj-1",
    upgrade: &[
        "gcloud container clusters upgrade clipper-prod --master --cluster-version 1.32 --region us-central1",
        "gcloud container clusters upgrade clipper-prod --node-pool=default-pool --region us-central1",
    ],
    spot: Some(
        "gcloud container node-pools create preemptible-pool --cluster=clipper-prod --preemptible --num-nodes=2",
    ),
};

const AKS: Cloud = Cloud {
    name: "aks",
    secrets: &[
        "az identity create --name clipper-backend-prod --resource-group clipper-rg --location eastus",
        "az keyvault create --name clipper-prod-kv --resource-group clipper-rg --location eastus",
        "az identity show --name clipper-backend-prod --resource-group clipper-rg --query principalId -o tsv",
        "az keyvault set-policy --name clipper-prod-kv --object-id principal-7 --secret-permissions get list",
        "az aks show --name clipper-prod --resource-group clipper-rg --query oidcIssuerProfile.issuerUrl -o tsv",
        "az identity federated-credential create --name clipper-backend-prod-federated --identity-name clipper-backend-prod --resource-group clipper-rg --issuer https://oidc.example/ --subject system:serviceaccount:clipper-production:clipper-backend",
        "az keyvault secret set --vault-name clipper-prod-kv --name db-password --value pw-123456",
        "kubectl apply -f infrastructure/k8s/external-secrets/secret-stores.yaml",
        "kubectl apply -f infrastructure/k8s/external-secrets/external-secrets.yaml",
    ],
    credentials: "az aks get-credentials --resource-group clipper-rg --name clipper-prod",
    upgrade: &[
        "az aks upgrade --resource-group clipper-rg --name clipper-prod --kubernetes-version 1.32",
    ],
    spot: Some(
        "az aks nodepool add --resource-group clipper-rg --cluster-name clipper-prod --name spotpool --priority Spot --eviction-policy Delete --spot-max-price -1 --node-count 2",
    ),
};

fn concat(parts: &[&[&str]]) -> Vec<String> {
    parts
        .iter()
        .flat_map(|p| p.iter().map(|c| (*c).to_owned()))
        .collect()
}

/// The whole walk for one cloud.
fn walk(cloud: &Cloud) {
    let name = cloud.name;
    let test = scratch()
        // The Azure setup reads two values from `az … -o tsv`.
        .env("FAKE_STDOUT_az_3", "principal-7")
        .env("FAKE_STDOUT_az_5", "https://oidc.example/");

    // Cluster Provisioning: one cloud's script, from the repository root.
    let ran = section(test, name, "Cluster Provisioning")
        .stdout_contains("Done: 1 succeeded, 0 failed, 2 skipped")
        .run();
    assert_eq!(take_calls(&ran), ["provision-cluster.sh"], "{name}");

    // Initial Setup: the bootstrap `cd` again from the root, one cloud's
    // secret store, the DNS lookup, the verification.
    let ran = section(ran.then(), name, "Initial Setup")
        .stdout_contains("Done: 4 succeeded, 0 failed, 2 skipped")
        .run();
    let mut expected = vec!["setup-cluster.sh".to_owned()];
    expected.extend(concat(&[
        cloud.secrets,
        &[
            r"kubectl get svc ingress-nginx-controller -n ingress-nginx -o jsonpath=\{.status.loadBalancer.ingress\[0\].ip\}",
            "verify-cluster.sh",
        ],
    ]));
    assert_eq!(take_calls(&ran), expected, "{name}");

    // Access Control: one cloud's credentials, one token.
    let ran = section(ran.then(), name, "Access Control")
        .args(["--choose", "generate-service-account-token-cicd=1"])
        .stdout_contains("Done: 5 succeeded, 0 failed, 0 skipped")
        .run();
    assert_eq!(
        take_calls(&ran),
        concat(&[&[cloud.credentials], GRANTS_AND_TOKEN]),
        "{name}"
    );

    // Deployment Procedures: the edit by hand is nobody's in an unattended
    // run; once it is done, the approved plan runs one path of each menu.
    let ran = section(ran.then(), name, "Deployment Procedures")
        .args(DEPLOY_CHOICES)
        .stderr(DEPLOY_EDIT_REFUSED)
        .status(4)
        .run();
    assert!(take_calls(&ran).is_empty(), "{name}");
    let approved = approve(
        ran,
        name,
        &["--section", "Deployment Procedures"],
        DEPLOY_CHOICES,
    );
    // The plan carries its choices (the cloud, the menus' entries).
    let ran = approved
        .args(["run", "runbook.md", "--approved", "plan.json"])
        .args(VALUES)
        .args(["--unattended", "--no-transcript"])
        .stdout_contains("success; 4 succeeded, 0 failed, 0 skipped")
        .stderr_contains("no approval policy")
        .run();
    assert_eq!(take_calls(&ran), concat(&[DEPLOYMENT]), "{name}");

    // Monitoring: `logs -f` never ends; refused up front, not left hanging.
    let ran = section(ran.then(), name, "Monitoring & Alerting")
        .stderr(concat!(
            "error: 1 step never ends by itself; nothing was run:\n",
            "  monitoring-alerting/view-logs: kubectl logs -f deployment/clipper-backend -n clipper-production (follows logs until stopped)\n",
            "  monitoring-alerting/view-logs: kubectl logs -f -l app=clipper-backend -n clipper-production (follows logs until stopped)\n",
            "bound them with stream=DURATION on the step (followed that long, then ended as a success), or leave them out with --step/--section/--from/--to\n",
        ))
        .status(4)
        .run();
    assert!(take_calls(&ran).is_empty(), "{name}");
    let ran = section(ran.then(), name, "Check Resource Usage")
        .args(["--section", "Check HPA Status", "--section", "View Events"])
        .stdout_contains("Done: 3 succeeded, 0 failed, 0 skipped")
        .run();
    assert_eq!(
        take_calls(&ran),
        concat(&[MONITORING_WITHOUT_LOGS]),
        "{name}"
    );

    // Troubleshooting: `-it` gets a terminal; the block's other commands
    // share it.
    let ran = section(ran.then(), name, "Troubleshooting")
        .stdout_contains("Done: 6 succeeded, 0 failed, 0 skipped")
        .run();
    assert_eq!(take_calls(&ran), concat(&[TROUBLESHOOTING]), "{name}");

    // Maintenance: one cloud's upgrade. Rotating the secret in the cloud's
    // store is written for AWS alone: for another cloud it is work by hand.
    let ran = section(ran.then(), name, "Maintenance");
    let ran = if name == "eks" {
        let ran = ran
            .stdout_contains("Done: 3 succeeded, 0 failed, 0 skipped")
            .run();
        let rotate: &[&str] = &[
            r#"aws secretsmanager update-secret --secret-id clipper/production/database --secret-string \{\"password\":\"new-secure-password\"\}"#,
        ];
        assert_eq!(
            take_calls(&ran),
            concat(&[cloud.upgrade, OPERATORS, rotate, ROTATE_AFTER_THE_STORE]),
        );
        ran
    } else {
        let ran = ran
            .stderr(format!(
                concat!(
                    "error: 1 step asks for work by hand that nobody does in an unattended run; nothing was run:\n",
                    "  maintenance/rotate-secrets: line 596: `Update secret in cloud provider secret manager` is written for eks only (`aws`): do it for {} by hand\n",
                    "run it interactively, run an approved plan (--approved) once the work is done, or mark the block `no-checkpoint` if the comment is not work for the person running it\n",
                ),
                name
            ))
            .status(4)
            .run();
        assert!(take_calls(&ran).is_empty(), "{name}");
        let approved = approve(ran, name, &["--section", "Maintenance"], &[]);
        let ran = approved
            .args(["run", "runbook.md", "--approved", "plan.json"])
            .args(VALUES)
            .args(["--unattended", "--no-transcript"])
            .stdout_contains("success; 3 succeeded, 0 failed, 0 skipped")
            .stderr_contains("no approval policy")
            .run();
        assert_eq!(
            take_calls(&ran),
            concat(&[cloud.upgrade, OPERATORS, ROTATE_AFTER_THE_STORE]),
            "{name}"
        );
        ran
    };

    // Disaster Recovery: backups and the restore, as written.
    let ran = section(ran.then(), name, "Disaster Recovery")
        .stdout_contains("Done: 3 succeeded, 0 failed, 0 skipped")
        .run();
    assert_eq!(take_calls(&ran), concat(&[DISASTER_RECOVERY]), "{name}");

    // Cost Optimization: one cloud's spot pool; EKS's is prose (configure
    // eksctl by hand), a manual step an unattended run cannot do.
    let ran = section(ran.then(), name, "Cost Optimization");
    match cloud.spot {
        Some(spot) => {
            let ran = ran
                .stdout_contains("Done: 3 succeeded, 0 failed, 0 skipped")
                .run();
            assert_eq!(take_calls(&ran), concat(&[COSTS, &[spot]]), "{name}");
        }
        None => {
            let ran = ran
                .stderr(concat!(
                    "error: manual steps need a person; an unattended run cannot do them:\n",
                    "  cost-optimization/use-spotpreemptible-nodes: line 716: EKS: Use Spot instances in node group (configure in eksctl config file) (the block has no command for CLOUD_PROVIDER=eks): done by a person, confirmed in the run\n",
                    "leave them out with --step/--section/--from/--to\n",
                ))
                .status(4)
                .run();
            assert!(take_calls(&ran).is_empty());
            let ran = section(ran.then(), name, "Monitor Costs")
                .args(["--section", "Optimize Resources"])
                .stdout_contains("Done: 2 succeeded, 0 failed, 0 skipped")
                .run();
            assert_eq!(take_calls(&ran), concat(&[COSTS]));
        }
    }
}

/// `plan --out` of `selection` with the walk's values, then approved by
/// alice: what an operator does once the work by hand is done.
fn approve(ran: Ran, cloud: &str, selection: &[&str], choices: &[&str]) -> Test {
    ran.then()
        .args(["plan", "runbook.md", "--out", "plan.json"])
        .args(selection)
        .args(["--choose", &format!("cloud={cloud}")])
        .args(VALUES)
        .args(choices)
        .stdout_contains("by hand first: line ")
        .stderr_contains("wrote plan.json")
        .run()
        .then()
        .args(["approve", "plan.json", "--by", "alice"])
        .stdout_contains("approved by alice")
        .run()
        .then()
}

#[test]
fn i13_the_seed_section_by_section_for_eks() {
    walk(&EKS);
}

#[test]
fn i13_the_seed_section_by_section_for_gke() {
    walk(&GKE);
}

#[test]
fn i13_the_seed_section_by_section_for_aks() {
    walk(&AKS);
}
