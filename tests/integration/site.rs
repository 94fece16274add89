//! `litops render` and `check --render`: the rendered seed page as a
//! snapshot, links between runbooks, themes, the dialect staying invisible,
//! and the site in a real browser (Debian's Chromium, driven by
//! playwright-core: `tests/browser/site.mjs`).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use crate::support::{TempRunbook, litops, repo, stderr, stdout};

fn render(args: &[&str], out: &Path) -> std::process::Output {
    litops()
        .arg("render")
        .args(args)
        .arg("-o")
        .arg(out)
        .output()
        .expect("runs")
}

#[test]
fn the_seed_page_renders_as_expected() {
    let out = tempfile::tempdir().expect("tempdir");
    let output = render(&["runbooks/kubernetes-operations.md"], out.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let html =
        std::fs::read_to_string(out.path().join("kubernetes-operations.html")).expect("page");
    // Annotations never reach the page; steps carry their ids; a gated step shows its gate.
    assert!(!html.contains("litops:"));
    assert!(html.contains("data-step=\"deployment-procedures/rollback-deployment\""));
    assert!(html.contains("id=\"deployment-procedures/rollback-deployment\""));
    assert!(html.contains("class=\"badge gate\""));
    assert!(html.contains("class=\"badge overdue\">review overdue (327 days)"));
    assert!(
        !html.contains("src=\"http") && !html.contains("stylesheet\" href=\"http"),
        "no remote assets"
    );
    insta::assert_snapshot!("seed_page", html);
}

#[test]
fn links_between_runbooks_wiki_links_and_aliases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, text).expect("write");
    };
    write(
        "index.md",
        "---\ntitle: Operations\naliases: [ops-home]\n---\n# Operations\n\nSee [deploy](db/deploy.md#rollback), [[deploy|Deploying]], [[Backups]] and [gone](missing.md).\n",
    );
    write(
        "db/deploy.md",
        "---\ntitle: Deploy\narea: databases\ntags: [db]\n---\n# Deploy\n\n## Rollback\n\n```bash\nkubectl rollout undo deployment/db\n```\n\n[[ops-home|← Back]]\n",
    );
    write(
        "db/backups.md",
        "---\ntitle: Backups\naliases: [backup]\n---\n# Backups\n",
    );
    let out = dir.path().join("site");
    let output = render(&[dir.path().to_str().expect("utf-8")], &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("index.md:7:") && err.contains("broken link: `missing.md`"),
        "{err}"
    );
    assert!(err.contains("rendered 3 runbooks"), "{err}");
    let index = std::fs::read_to_string(out.join("index.html")).expect("index");
    assert!(
        index.contains("<h2>databases</h2>") && index.contains("id=\"tag-db\""),
        "{index}"
    );
    assert!(index.contains("href=\"db/deploy.html\""), "{index}");
    // The site's index owns index.html; the runbook called index is home.html.
    let rendered: Vec<PathBuf> = walk(&out);
    assert!(
        rendered.iter().any(|p| p.ends_with("home.html")),
        "{rendered:?}"
    );
    let home = std::fs::read_to_string(out.join("home.html")).expect("home");
    assert!(
        home.contains("<a href=\"db/deploy.html#rollback\">deploy</a>"),
        "{home}"
    );
    assert!(
        home.contains("<a class=\"wiki\" href=\"db/deploy.html\">Deploying</a>"),
        "{home}"
    );
    assert!(
        home.contains("<a class=\"wiki\" href=\"db/backups.html\">Backups</a>"),
        "{home}"
    );
    let deploy = std::fs::read_to_string(out.join("db/deploy.html")).expect("deploy");
    assert!(
        deploy.contains("<a class=\"wiki\" href=\"../home.html\">← Back</a>"),
        "{deploy}"
    );
    assert!(deploy.contains("href=\"../assets/site.css\""));
    // `litops check` resolves wiki links by file name, title or alias too…
    let check = litops()
        .args(["check", "--format", "short"])
        .arg(dir.path())
        .output()
        .expect("runs");
    for link in ["[[Backups]]", "[[deploy]]", "[[ops-home"] {
        assert!(!stdout(&check).contains(link), "{}", stdout(&check));
    }
    // …and reports the same broken link as render, with its place.
    let check = litops()
        .args(["check", "--format", "short"])
        .arg(dir.path().join("index.md"))
        .output()
        .expect("runs");
    assert!(
        stdout(&check).contains("index.md:7:") && stdout(&check).contains("warning[link-broken]"),
        "{}",
        stdout(&check)
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_theme_directory_replaces_the_built_in_files() {
    let theme = tempfile::tempdir().expect("theme");
    std::fs::write(
        theme.path().join("site.css"),
        "/* company theme */ body { color: teal; }",
    )
    .expect("css");
    std::fs::write(
        theme.path().join("page.html"),
        "<!DOCTYPE html><title>{{title}} · ACME</title><link rel=\"stylesheet\" href=\"{{root}}assets/site.css\">{{toc}}<main>{{content}}</main>",
    )
    .expect("page");
    let out = tempfile::tempdir().expect("out");
    let output = litops()
        .args(["render", "runbooks/getting-started.md", "--theme"])
        .arg(theme.path())
        .arg("-o")
        .arg(out.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let css = std::fs::read_to_string(out.path().join("assets/site.css")).expect("css");
    assert!(css.starts_with("/* company theme */"));
    let page = std::fs::read_to_string(out.path().join("getting-started.html")).expect("page");
    assert!(
        page.starts_with("<!DOCTYPE html><title>Getting Started with litops · ACME</title>"),
        "{page}"
    );
    // The built-in script is still written.
    assert!(out.path().join("assets/site.js").is_file());
}

#[test]
fn i15_theme_page_html_is_a_minijinja_template() {
    let theme = tempfile::tempdir().expect("theme");
    std::fs::write(
        theme.path().join("page.html"),
        "{% set brand = \"ACME\" %}<title>{{ title }}</title>{% if toc %}<aside>{{ toc }}</aside>{% else %}<p>{% for part in [brand, \"NO\", \"TOC\"] %}{{ part }}{% if not loop.last %}-{% endif %}{% endfor %}</p>{% endif %}<main>{{ content }}</main>{# a comment #}\n",
    )
    .expect("page");
    // A title that looks like a template and holds `<` and `&`: it stays text.
    let runbook = TempRunbook::new(
        "odd.md",
        "# {{content}} a < b & c\n\nText.\n\n```bash\necho hi\n```\n",
    );
    let out = tempfile::tempdir().expect("out");
    let output = litops()
        .arg("render")
        .arg(&runbook.path)
        .arg("--theme")
        .arg(theme.path())
        .arg("-o")
        .arg(out.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = std::fs::read_to_string(out.path().join("odd.html")).expect("page");
    assert!(
        page.starts_with("<title>{{content}} a &lt; b &amp; c</title><p>ACME-NO-TOC</p><main>"),
        "{page}"
    );
    assert!(page.ends_with("</main>\n"), "{page}");
    let index = std::fs::read_to_string(out.path().join("index.html")).expect("index");
    assert!(
        index.starts_with("<title>Runbooks</title><p>ACME-NO-TOC</p>"),
        "{index}"
    );
}

#[test]
fn i15_a_broken_theme_template_is_refused_with_its_file_and_line() {
    let theme = tempfile::tempdir().expect("theme");
    let page = theme.path().join("page.html");
    std::fs::write(
        &page,
        "<title>{{ title }}</title>\n<main>{{ content }</main>\n",
    )
    .expect("page");
    let out = tempfile::tempdir().expect("out");
    let output = render(
        &[
            "runbooks/getting-started.md",
            "--theme",
            theme.path().to_str().expect("utf-8"),
        ],
        out.path(),
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        format!(
            "error: {}:2: syntax error: unexpected `}}`, expected end of variable block\n",
            page.display()
        )
    );
    assert!(!out.path().join("getting-started.html").exists());
    // A variable the template does not get is named, not left empty.
    std::fs::write(&page, "<title>{{ title }}</title>\n\n{{ description }}\n").expect("page");
    let output = render(
        &[
            "runbooks/getting-started.md",
            "--theme",
            theme.path().to_str().expect("utf-8"),
        ],
        out.path(),
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        format!("error: {}:3: undefined value\n", page.display())
    );
}

#[test]
fn i15_gitignored_runbooks_are_neither_rendered_nor_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(&path, "# Runbook\n\n```bash\necho hi\n```\n").expect("write");
    };
    for name in [
        "ops/deploy.md",
        "drafts/idea.md",
        "ops/scratch.md",
        ".obsidian/x.md",
        "target/y.md",
    ] {
        write(name);
    }
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    std::fs::write(dir.path().join(".gitignore"), "drafts/\nscratch.md\n").expect("gitignore");

    let check = litops()
        .args(["check", "--format", "short"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert_eq!(
        stdout(&check),
        "checked 1 runbook: 0 errors, 0 warnings\n",
        "{}",
        stderr(&check)
    );

    let out = tempfile::tempdir().expect("out");
    let output = render(&[dir.path().to_str().expect("utf-8")], out.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut pages: Vec<String> = walk(out.path())
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .map(|p| {
            p.strip_prefix(out.path())
                .expect("inside")
                .display()
                .to_string()
        })
        .collect();
    pages.sort();
    assert_eq!(pages, ["index.html", "ops/deploy.html"]);
    // Named on the command line, an ignored file is still taken.
    let output = render(
        &[dir.path().join("drafts/idea.md").to_str().expect("utf-8")],
        out.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(out.path().join("idea.html").is_file());
}

#[test]
fn check_render_finds_annotations_a_reader_would_see() {
    let output = litops()
        .args(["check", "--render", "--format", "short", "runbooks"])
        .output()
        .expect("runs");
    assert!(
        !stdout(&output).contains("annotation-visible"),
        "{}",
        stdout(&output)
    );
    let bad = TempRunbook::new(
        "bad.md",
        "# T\n\nText.\n\n    <!-- litops: name=x confirm -->\n\n```bash\necho hi\n```\n",
    );
    let output = litops()
        .args(["check", "--render", "--format", "short"])
        .arg(bad.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("error[annotation-visible]"),
        "{}",
        stdout(&output)
    );
}

/// Serves `dir` over HTTP on a free port until the test ends.
fn serve(dir: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]);
                let path = request
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .split(['?', '#'])
                    .next()
                    .unwrap_or("/")
                    .trim_start_matches('/')
                    .to_owned();
                let path = if path.is_empty() {
                    "index.html".to_owned()
                } else {
                    path
                };
                let file = dir.join(percent_decode(&path));
                let (status, body) = match std::fs::read(&file) {
                    Ok(body) if !path.contains("..") => ("200 OK", body),
                    _ => ("404 Not Found", b"not found".to_vec()),
                };
                let kind = match file.extension().and_then(|e| e.to_str()) {
                    Some("html") => "text/html; charset=utf-8",
                    Some("css") => "text/css",
                    Some("js") => "text/javascript",
                    _ => "application/octet-stream",
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            });
        }
    });
    port
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn the_site_works_in_a_real_browser() {
    let site = tempfile::tempdir().expect("tempdir");
    let output = render(&["runbooks"], site.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let port = serve(site.path().to_owned());
    let artefacts = repo().join("target/browser");
    std::fs::create_dir_all(&artefacts).expect("artefacts");
    let screenshot = artefacts.join("seed-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let node = std::process::Command::new("node")
        .arg(repo().join("tests/browser/site.mjs"))
        .arg(format!("http://127.0.0.1:{port}/"))
        .arg(&screenshot)
        .output()
        .expect("node (scripts/test-deps installs Chromium and playwright-core)");
    let report = stdout(&node);
    assert!(node.status.success(), "{report}\n{}", stderr(&node));
    let report: serde_json::Value = serde_json::from_str(report.trim()).expect("one JSON line");
    assert_eq!(report["ok"], true, "{report}");
    assert!(
        report["facts"]["anchors"].as_u64().unwrap_or(0) > 50,
        "{report}"
    );
    assert!(
        std::fs::metadata(&screenshot).map(|m| m.len()).unwrap_or(0) > 10_000,
        "a screenshot was saved at {}",
        screenshot.display()
    );
}

#[test]
fn mkdocs_tabs_and_admonitions_render_their_steps() {
    let runbook = TempRunbook::new(
        "tabs.md",
        "# Provision\n\n## Create\n\n=== \"GKE\"\n\n    <!-- litops: name=gke-create confirm=\"creates a cluster\" -->\n    ```bash\n    gcloud container clusters create \"$CLUSTER_NAME\"\n    ```\n\n=== \"EKS\"\n\n    ```bash\n    eksctl create cluster\n    ```\n\n!!! warning \"Costs\"\n\n    A cluster costs money.\n",
    );
    let out = tempfile::tempdir().expect("out");
    let output = render(&[runbook.path().to_str().expect("utf-8")], out.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let html = std::fs::read_to_string(out.path().join("tabs.html")).expect("page");
    assert!(
        html.contains("<div class=\"container tab\"><p class=\"container-title\">GKE</p>"),
        "{html}"
    );
    assert!(
        html.contains("data-step=\"gke-create\"") && html.contains("class=\"badge gate\""),
        "{html}"
    );
    assert!(
        html.contains("<div class=\"container admonition warning\">"),
        "{html}"
    );
    assert!(!html.contains("litops:") && !html.contains("```"), "{html}");
}

/// Killercoda's closers close their blocks on the page as in `plan` (the
/// rest of the page was one code block), and an inline `{{exec}}` is
/// Killercoda's button, not text.
#[test]
fn killercoda_closers_and_inline_exec_render_as_killercoda_shows_them() {
    let runbook = TempRunbook::new(
        "step1.md",
        "# Step one\n\n```\nkubectl get nodes\n```{{exec}}\n\nThen copy:\n\n```\nsome text\n```{{copy}}\n\nRun `echo inline`{{exec}} too.\n\n## Next\n\nMore prose.\n",
    );
    let out = tempfile::tempdir().expect("out");
    let output = render(&[runbook.path().to_str().expect("utf-8")], out.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let html = std::fs::read_to_string(out.path().join("step1.html")).expect("page");
    let main = &html[html.find("<main>").expect("main")..html.find("</main>").expect("end")];
    assert_eq!(
        main,
        "<main>\n<h1 id=\"step-one\">Step one</h1>\n<div class=\"step\" data-step=\"step-one\"><div class=\"step-head\"><a class=\"step-id\" href=\"#step-one\">step-one</a></div><div class=\"code\"><button class=\"copy\" type=\"button\" data-copy=\"kubectl get nodes\" aria-label=\"Copy the command\">Copy</button><pre><code class=\"language-text\">kubectl get nodes</code></pre></div></div>\n<p>Then copy:</p>\n<pre><code class=\"language-text\">some text</code></pre>\n<p>Run <code>echo inline</code> too.</p>\n<h2 id=\"next\">Next</h2>\n<p>More prose.</p>\n\n"
    );
}

/// 1.4 MB of unmatched emphasis marks and 40,000 headings: `check`,
/// `check --render`, `render` and `list` must stay linear. Each run gets a
/// 30 s limit (the process is killed past it), a bound that cannot be
/// flaky: each takes about a second on a slow debug build, and took about
/// 45 s each when joining text and finding headings were quadratic. A
/// timing ratio between two sizes would be the sharper test, but on a
/// shared machine it is noise.
#[test]
fn large_emphasis_and_heading_files_check_and_render_in_linear_time() {
    let emphasis = TempRunbook::new(
        "emphasis.md",
        format!("# Emphasis\n\n{}\n", "*a ".repeat(1400 * 1024 / 3)),
    );
    let headings: String = (0..40_000).map(|i| format!("## Heading {i}\n\n")).collect();
    let headings = TempRunbook::new("headings.md", format!("# Headings\n\n{headings}"));
    let limit = std::time::Duration::from_secs(30);
    for runbook in [&emphasis, &headings] {
        let out = tempfile::tempdir().expect("out");
        for args in [
            vec!["check", "--format", "short"],
            vec!["check", "--render", "--format", "short"],
            vec!["list"],
            vec!["render", "-o", out.path().to_str().expect("utf-8")],
        ] {
            let output = litops()
                .args(&args)
                .arg(runbook.path())
                .timeout(limit)
                .output()
                .expect("runs");
            assert_eq!(
                output.status.code(),
                Some(0),
                "{args:?} on {} did not finish within {limit:?}: {}",
                runbook.path().display(),
                stderr(&output)
            );
        }
    }
}

/// A runbook's raw HTML and links to script are shown on its page, never
/// run: a published site is read by people with more access than the
/// runbook's authors.
#[test]
fn raw_html_and_script_links_in_a_runbook_are_shown_not_run() {
    let runbook = TempRunbook::new(
        "xss.md",
        "---\ntitle: \"Pwn </script><script>alert('title')</script> {{content}}\"\n---\n# Pwn\n\n<script>alert('block')</script>\n\n<iframe src=\"https://evil.example\"></iframe>\n\nInline <img src=x onerror=alert('inline')> and <b onclick=\"alert('b')\">bold</b>.\n\n[click](javascript:alert('link')) [spaced]( JAVASCRIPT:alert('case')) <javascript:alert('auto')> [vb](vbscript:msgbox) ![pic](data:text/html,<script>alert('img')</script>) [doc](data:text/html;base64,PHNjcmlwdD4=)\n\n![ok](data:image/png;base64,iVBORw0KGgo=) [fine](https://example.com/)\n\n- item <svg onload=alert('list')>\n\n> <img src=y onerror=alert('quote')>\n\n=== \"Tab\"\n\n    <script>alert('tab')</script>\n\n## Step\n\n```bash\necho '<script>alert(\"code\")</script>'\n```\n",
    );
    let out = tempfile::tempdir().expect("out");
    let output = render(&[runbook.path().to_str().expect("utf-8")], out.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let html = std::fs::read_to_string(out.path().join("xss.html")).expect("page");
    for active in [
        "<script>alert",
        "<iframe",
        "<img src=x",
        "<img src=y",
        "<b onclick",
        "<svg",
        "href=\"javascript:",
        "href=\"%20JAVASCRIPT",
        "href=\" JAVASCRIPT",
        "href=\"vbscript:",
        "href=\"data:text",
        "src=\"data:text",
    ] {
        assert!(!html.contains(active), "{active} reached the page:\n{html}");
    }
    // Shown as the runbook wrote it, as text.
    assert!(
        html.contains("&lt;script&gt;alert(&#39;block&#39;)&lt;/script&gt;")
            || html.contains("&lt;script&gt;alert('block')&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("&lt;img src=x onerror="), "{html}");
    assert!(
        html.contains("<img src=\"data:image/png;base64,iVBORw0KGgo=\""),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"https://example.com/\">fine</a>"),
        "{html}"
    );
    // The tab is still a tab, and the page's own scripts are still there.
    assert!(html.contains("<div class=\"container tab\">"), "{html}");
    assert!(html.contains("<script src=\"assets/site.js\" data-root=\"\"></script>"));
    // The title is text in <title> and in the search index, never markup, and
    // a placeholder in it is not filled.
    assert!(
        html.contains("<title>Pwn &lt;/script&gt;&lt;script&gt;"),
        "{html}"
    );
    assert_eq!(html.matches("<main>").count(), 1, "{html}");
    let index = std::fs::read_to_string(out.path().join("assets/search-index.js")).expect("index");
    assert!(
        !index.contains("</script>") && !index.contains('<'),
        "{index}"
    );
    let value = index
        .trim()
        .strip_prefix("window.LITOPS_SEARCH = ")
        .and_then(|v| v.strip_suffix(';'))
        .expect("the index script");
    let entries: serde_json::Value = serde_json::from_str(value).expect("JSON");
    assert!(
        entries[0]["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Pwn </script>")),
        "{entries}"
    );
}

/// `<!-- litops: … -->` comments (which may hold internal notes) never
/// reach a page, wherever they sit and however they are spread.
#[test]
fn annotation_comments_never_reach_the_page() {
    let cases = [
        (
            "inline",
            "Text <!-- litops: name=x note=internal-note --> more.\n",
        ),
        (
            "multi-line",
            "<!-- litops:\n  name=a\n  note=internal-note\n-->\n```bash\necho a\n```\n",
        ),
        (
            "inline multi-line",
            "Text <!-- litops: name=x\nnote=internal-note --> more.\n",
        ),
        (
            "list",
            "- one\n  <!-- litops:\n  note=internal-note -->\n  ```bash\n  echo b\n  ```\n- two <!--litops: internal-note -->\n",
        ),
        (
            "quote",
            "> <!-- litops: note=internal-note\n> -->\n> ```bash\n> echo c\n> ```\n",
        ),
        (
            "tab",
            "=== \"GKE\"\n\n    <!-- litops:\n    name=gke note=internal-note -->\n    ```bash\n    echo d\n    ```\n",
        ),
        (
            "admonition",
            "!!! note \"Careful <!-- litops: internal-note -->\"\n\n    Text <!--  litops: internal-note -->\n\n    <!--\n    litops: internal-note\n    -->\n",
        ),
        (
            "unclosed",
            "Text\n\n<!-- litops: internal-note\n\nnever closed\n",
        ),
        (
            "in html",
            "<div>\n<!-- litops: internal-note --><p>x</p>\n</div>\n",
        ),
    ];
    for (name, body) in cases {
        let runbook = TempRunbook::new("notes.md", format!("# Notes\n\n{body}"));
        let out = tempfile::tempdir().expect("out");
        let output = render(&[runbook.path().to_str().expect("utf-8")], out.path());
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let html = std::fs::read_to_string(out.path().join("notes.html")).expect("page");
        assert!(
            !html.contains("internal-note") && !html.contains("litops:"),
            "{name}: the annotation reached the page:\n{html}"
        );
    }
}
