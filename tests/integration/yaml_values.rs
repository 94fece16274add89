//! Values from YAML (front-matter defaults, `--vars` files) are bound as
//! the text written, not as YAML's reading of it as a number or boolean.

use serde_json::Value;

use crate::support::{TempRunbook, litops, stderr, stdout};

/// The bound value of each variable in `litops plan --format json`.
fn bound(runbook: &TempRunbook, args: &[&str]) -> Vec<(String, Value)> {
    let output = litops()
        .current_dir(runbook.dir.path())
        .args(["plan", "--no-env", "--format", "json"])
        .arg(runbook.path())
        .args(args)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let plan: Value = serde_json::from_str(&stdout(&output)).expect("json");
    plan["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap_or_default().to_owned(),
                v["value"].clone(),
            )
        })
        .collect()
}

/// The values as written, one variable each.
const WRITTEN: &[(&str, &str, &str)] = &[
    ("VERSION", "1.10", "1.10"),
    ("ACCOUNT", "012345678901", "012345678901"),
    ("MODE", "0755", "0755"),
    ("ENABLED", "yes", "yes"),
    (
        "BIG",
        "123456789012345678901234567890",
        "123456789012345678901234567890",
    ),
    ("OFF", "off", "off"),
    ("HEX", "0x1F", "0x1F"),
    ("QUOTED", "\"1.10\"", "1.10"),
    ("SINGLE", "'007'", "007"),
];

fn script() -> String {
    let reads: Vec<String> = WRITTEN.iter().map(|(n, _, _)| format!("${n}")).collect();
    format!("```bash\necho {}\n```\n", reads.join(" "))
}

fn assert_as_written(vars: &[(String, Value)]) {
    for (name, _, want) in WRITTEN {
        let got = vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        assert_eq!(got, Some(Value::from(*want)), "{name}");
    }
}

#[test]
fn m14_front_matter_defaults_are_the_text_written() {
    let mut text = String::from("---\nlitops:\n  vars:\n");
    for (i, (name, yaml, _)) in WRITTEN.iter().enumerate() {
        // Both ways of declaring a default.
        if i % 2 == 0 {
            text.push_str(&format!("    {name}: {yaml}\n"));
        } else {
            text.push_str(&format!("    {name}:\n      default: {yaml}\n"));
        }
    }
    text.push_str("---\n");
    text.push_str(&script());
    let runbook = TempRunbook::new("defaults.md", text);
    assert_as_written(&bound(&runbook, &[]));
}

#[test]
fn m14_allowed_values_are_the_text_written() {
    let runbook = TempRunbook::new(
        "allowed.md",
        "---\nlitops:\n  vars:\n    VERSION:\n      default: 1.10\n      values: [1.10, 1.20]\n---\n```bash\necho $VERSION\n```\n",
    );
    assert_eq!(
        bound(&runbook, &[]),
        vec![("VERSION".to_owned(), Value::from("1.10"))]
    );
    // The value from a file is checked against the values as written.
    std::fs::write(runbook.dir.path().join("v.yaml"), "VERSION: 1.20\n").expect("write");
    assert_eq!(
        bound(&runbook, &["--vars", "v.yaml"]),
        vec![("VERSION".to_owned(), Value::from("1.20"))]
    );
}

#[test]
fn m14_vars_file_values_are_the_text_written() {
    let runbook = TempRunbook::new("file.md", script());
    let file: String = WRITTEN
        .iter()
        .map(|(name, yaml, _)| format!("{name}: {yaml}\n"))
        .collect();
    std::fs::write(runbook.dir.path().join("vars.yaml"), file).expect("write");
    assert_as_written(&bound(&runbook, &["--vars", "vars.yaml"]));
}

#[test]
fn m14_production_and_secret_are_still_booleans() {
    let runbook = TempRunbook::new(
        "flags.md",
        "---\nlitops:\n  production: true\n  vars:\n    TOKEN:\n      secret: true\n      default: 1.10\n---\n```bash\necho $TOKEN\n```\n",
    );
    let output = litops()
        .args(["plan", "--no-env", "--format", "json"])
        .arg(runbook.path())
        .output()
        .expect("runs");
    let plan: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(plan["runbook"]["production"], true, "{plan}");
    assert_eq!(plan["variables"][0]["secret"], true, "{plan}");
    assert_eq!(plan["variables"][0]["value"], "[REDACTED:TOKEN]", "{plan}");
}
