//! Issue 21, the parts of the production shape that are checked here: the Kubernetes manifests
//! against the cluster's own schemas and our rules for them, and the probes a separate worker
//! answers (its Deployment's readiness and liveness).

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use ustaz_tests::{TestApp, service};

fn manifests_dir() -> PathBuf {
    // Where the tests run, not where they were built (CI shares one target dir).
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../deploy/kubernetes")
}

#[tokio::test]
async fn a_separate_worker_answers_its_probes_and_stops_with_the_worker() {
    let app = TestApp::sqlite().await;
    let queue = worker::JobQueue::sqlite(
        &app.db,
        "probes",
        worker::queue::Liveness::from_config(&app.config),
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let serving = tokio::spawn(worker::health::serve(
        listener,
        app.db.clone(),
        queue,
        stop_rx,
    ));
    let alive = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(alive.status(), 200);
    assert_eq!(alive.text().await.unwrap(), "ok");
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready, json!({"database": true, "queue": true}));
    assert_eq!(
        reqwest::get(format!("{base}/t/almaty-mentors"))
            .await
            .unwrap()
            .status(),
        404,
        "the worker answers its probes and nothing else"
    );
    stop.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), serving)
        .await
        .expect("the probes stop with the worker")
        .unwrap()
        .unwrap();
}

/// Every manifest passes the Kubernetes 1.37 schemas strictly (no unknown field), is in the
/// kustomization, and follows our rules: probes on every long-running container, resources
/// requested and limited, no root, no privilege escalation, a read-only root file system, and
/// no Secret committed.
#[test]
fn the_kubernetes_manifests_are_valid_and_run_nothing_as_root() {
    let Some(validate) = service(
        "USTAZ_TEST_KUBERNETES_VALIDATE",
        "Kubernetes manifests (kubernetes-validate)",
    ) else {
        return;
    };
    let dir = manifests_dir();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("deploy/kubernetes")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let kustomization = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    for f in &files {
        assert!(
            kustomization.contains(&format!("- {f}")),
            "{f} is not in kustomization.yaml's resources"
        );
    }

    let out = Command::new(&validate)
        .args(["--strict", "--quiet", "--kubernetes-version", "1.37.0"])
        .args(&files)
        .current_dir(&dir)
        .output()
        .expect("kubernetes-validate runs");
    assert!(
        out.status.success(),
        "the manifests do not pass the Kubernetes schemas:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let mut workloads = 0;
    for f in &files {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        for doc in text.split("\n---\n") {
            // The document's own kind (an autoscaler names its Deployment too, indented).
            let kind = |k: &str| doc.lines().any(|l| l == format!("kind: {k}"));
            assert!(!kind("Secret"), "{f}: a Secret is committed");
            let long_running = kind("Deployment");
            if !(long_running || kind("Job")) {
                continue;
            }
            workloads += 1;
            for rule in [
                "runAsNonRoot: true",
                "allowPrivilegeEscalation: false",
                "readOnlyRootFilesystem: true",
                "capabilities: { drop: [\"ALL\"] }",
                "requests: {",
                "limits: {",
                "automountServiceAccountToken: false",
            ] {
                assert!(doc.contains(rule), "{f}: no `{rule}`");
            }
            if long_running {
                for probe in [
                    "readinessProbe:",
                    "path: /readyz",
                    "livenessProbe:",
                    "path: /healthz",
                ] {
                    assert!(doc.contains(probe), "{f}: no `{probe}`");
                }
            }
        }
    }
    assert_eq!(workloads, 3, "the server, the worker and the migration job");
}

/// Checks compose files against the Compose Specification's schema; prints one line per error
/// (`path: message`) and nothing when the file is valid.
const COMPOSE_CHECK: &str = r#"
import importlib.util, json, os, sys, yaml, jsonschema
spec = importlib.util.find_spec("compose")
schema_path = os.path.join(spec.submodule_search_locations[0], "config", "compose_spec.json")
validator = jsonschema.Draft201909Validator(json.load(open(schema_path)))
for error in validator.iter_errors(yaml.safe_load(sys.stdin)):
    print("/".join(str(p) for p in error.absolute_path) + ": " + error.message[:200])
"#;

fn compose_errors(python: &str, text: &str) -> Vec<String> {
    use std::io::Write;
    let mut child = Command::new(python)
        .args(["-c", COMPOSE_CHECK])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the compose check runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the compose check failed to run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `deploy/compose.yaml` follows the Compose Specification (the schema docker compose checks
/// a file against), runs the migration as the owner before the server and the workers, gives
/// every service of ours the example environment, and publishes no metrics or health port.
#[test]
fn the_compose_file_follows_the_compose_specification() {
    let Some(python) = service(
        "USTAZ_TEST_COMPOSE_SPEC",
        "Compose file (compose-spec schema)",
    ) else {
        return;
    };
    let path = manifests_dir().join("../compose.yaml");
    let text = std::fs::read_to_string(&path).expect("deploy/compose.yaml");
    let errors = compose_errors(&python, &text);
    assert!(errors.is_empty(), "deploy/compose.yaml: {errors:#?}");

    // The check bites: a misspelt condition and an unknown key are refused.
    let broken = text
        .replace(
            "service_completed_successfully",
            "service_finished_successfully",
        )
        .replace("deploy: { replicas: 2 }", "deploy: { replica: 2 }");
    let refused = compose_errors(&python, &broken).join("\n");
    for place in [
        "services/server/depends_on",
        "services/worker/depends_on",
        "services/worker/deploy",
    ] {
        assert!(refused.contains(place), "{place} not refused: {refused}");
    }

    for rule in [
        "command: [\"server\", \"migrate\", \"--grant-to\", \"ustaz_app\"]",
        "migrate: { condition: service_completed_successfully }",
        "command: [\"worker\"]",
        "env_file: .env",
    ] {
        assert!(text.contains(rule), "compose.yaml: no `{rule}`");
    }
    assert!(
        !text.contains("9100") && !text.contains("3001"),
        "metrics and probes stay inside the compose network"
    );
    let env = std::fs::read_to_string(manifests_dir().join("../example.env")).unwrap();
    for var in [
        "USTAZ_MODE=production",
        "USTAZ_PUBLIC_URL=https://",
        "USTAZ_METRICS_ADDR=",
        "OTEL_EXPORTER_OTLP_ENDPOINT=",
    ] {
        assert!(env.contains(var), "example.env: no `{var}`");
    }
}
