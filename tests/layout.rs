//! The written rules of ARCHITECTURE.md, checked: the library's modules
//! import each other without a cycle, one module declares every JS binding,
//! and the library knows nothing of the npm bindings or the demo page.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The library's modules (files of `src/` but `lib.rs`), with their code
/// (comment lines dropped, so doc links are not imports).
fn modules() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.extension().is_some_and(|e| e == "rs") && name != "lib" {
            let code: String = fs::read_to_string(&path)
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect();
            out.insert(name, code);
        }
    }
    out
}

/// The names `lib.rs` re-exports, with the module each comes from.
fn reexports() -> BTreeMap<String, String> {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let mut out = BTreeMap::new();
    for line in lib.lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.trim_end_matches(';').split_once("::") else {
            continue;
        };
        for name in names.trim_matches(|c| c == '{' || c == '}').split(',') {
            out.insert(name.trim().to_owned(), module.to_owned());
        }
    }
    out
}

/// `module -> the modules it refers to with crate::...`.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let names = reexports();
    let mut graph = BTreeMap::new();
    for (module, code) in &modules {
        let mut deps = BTreeSet::new();
        for (i, _) in code.match_indices("crate::") {
            let ident: String = code[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let target = if modules.contains_key(&ident) {
                Some(ident)
            } else {
                names.get(&ident).cloned()
            };
            if let Some(t) = target.filter(|t| t != module) {
                deps.insert(t);
            }
        }
        graph.insert(module.clone(), deps);
    }
    graph
}

/// A cycle in `graph`, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for dep in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(dep, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let g = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            graph
                .entry(a.to_string())
                .or_default()
                .insert(b.to_string());
            graph.entry(b.to_string()).or_default();
        }
        graph
    };
    assert_eq!(find_cycle(&g(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    assert_eq!(
        find_cycle(&g(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}

#[test]
fn library_modules_import_each_other_without_a_cycle() {
    let graph = import_graph();
    assert!(graph.len() >= 10, "found the modules: {graph:?}");
    assert!(graph["pipeline"].contains("transport"), "{graph:?}");
    assert!(graph["builder"].contains("client"), "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle in src/: {}", cycle.join(" -> "));
    }
}

#[test]
fn only_sys_declares_js_bindings() {
    for (module, code) in modules() {
        if module == "sys" {
            assert!(code.contains("extern \"C\""));
            continue;
        }
        assert!(
            !code.contains("extern \"C\"") && !code.contains("#[wasm_bindgen"),
            "src/{module}.rs declares JS bindings: they belong in src/sys.rs"
        );
    }
}

#[test]
fn the_library_knows_nothing_of_the_bindings_or_the_page() {
    for (module, code) in modules() {
        for word in [
            "feature = \"js\"",
            "feature = \"demo\"",
            "fanout_js",
            "fanout_demo",
        ] {
            assert!(!code.contains(word), "src/{module}.rs mentions {word}");
        }
    }
    let manifest =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let package = manifest.split("[package]").nth(1).unwrap();
    let deps = package.split("[dependencies]").nth(1).unwrap_or("");
    assert!(!deps.contains("path = \"js\"") && !deps.contains("path = \"www\""));

    // And cargo agrees: neither crate is in the library's dependency tree,
    // for wasm32 or natively.
    for target in ["wasm32-unknown-unknown", "all"] {
        let out = Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "tree",
                "-p",
                "fanout",
                "-e",
                "normal,build",
                "--prefix",
                "none",
            ])
            .args(["--target", target])
            .output()
            .expect("cargo tree runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8_lossy(&out.stdout);
        assert!(tree.starts_with("fanout v"), "{tree}");
        for line in tree.lines() {
            assert!(
                !line.starts_with("fanout-js") && !line.starts_with("fanout-demo"),
                "the library depends on {line}"
            );
        }
    }
}
