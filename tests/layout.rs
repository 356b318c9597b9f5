//! The written rules of ARCHITECTURE.md, checked: the library's modules
//! import each other without a cycle and only downward, in the order of
//! the code map (a module imports only modules listed above it), one
//! module declares every JS binding, and the library knows nothing of the
//! npm bindings or the demo page.
//!
//! A module is a file of `src/` (but `lib.rs`) with the files of its
//! folder: `src/sse.rs` and `src/sse/*.rs` are the module `sse`, and so
//! are a folder's target-specific files (`sys/web/`, `response/native.rs`).
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file below `dir`, with its path.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The library's files (all of `src/` but `lib.rs`), each with its module
/// (the first part of its path under `src/`, without `.rs`), its path
/// under `src/`, and its code (comment lines dropped, so doc links are not
/// imports).
fn files() -> Vec<(String, String, String)> {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let rel = path.strip_prefix(src()).unwrap();
        let first = rel.components().next().unwrap().as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_owned();
        if module == "lib" {
            continue;
        }
        let code: String = fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        out.push((module, rel.to_string_lossy().into_owned(), code));
    }
    out
}

/// The library's modules, each with the code of all its files.
fn modules() -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (module, _, code) in files() {
        out.entry(module).or_default().push_str(&code);
    }
    out
}

/// The names after each `crate::` in `code`: `crate::a::b` gives `a`,
/// `crate::{A, b::C}` gives `A` and `b`.
fn crate_paths(code: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                out.extend(group.split(',').map(ident));
            }
            None => out.push(ident(rest)),
        }
    }
    out.retain(|s| !s.is_empty());
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
        for ident in crate_paths(code) {
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

/// The modules of ARCHITECTURE.md's code map, in its order: one entry a
/// bullet, with the modules its head names (`` `x.rs` `` or `` `x/` ``,
/// before the first `: `).
fn code_map() -> Vec<Vec<String>> {
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md")).unwrap();
    let section = doc
        .split("\n## Code map of the library")
        .nth(1)
        .expect("ARCHITECTURE.md has a code map");
    let section = section.split("\n## ").next().unwrap();
    let mut out = Vec::new();
    for line in section.lines() {
        let Some(bullet) = line.strip_prefix("- ") else {
            continue;
        };
        let head = bullet.split(": ").next().unwrap();
        let names: Vec<String> = head
            .split('`')
            .skip(1)
            .step_by(2)
            .filter_map(|n| n.strip_suffix(".rs").or_else(|| n.strip_suffix('/')))
            .filter(|n| !n.contains('/'))
            .map(str::to_owned)
            .collect();
        if !names.is_empty() {
            out.push(names);
        }
    }
    out
}

/// The imports of `graph` that go against `order` (a module's place in
/// the list): `(module, what it imports)` where the import is not listed
/// above the module.
fn upward_imports(
    graph: &BTreeMap<String, BTreeSet<String>>,
    order: &BTreeMap<String, usize>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (module, deps) in graph {
        for dep in deps {
            if order.get(dep) >= order.get(module) {
                out.push((module.clone(), dep.clone()));
            }
        }
    }
    out
}

#[test]
fn the_order_check_finds_upward_imports() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec![]), ("b", vec!["a"]), ("c", vec!["a", "b"])]
            .into_iter()
            .map(|(m, d)| (m.into(), d.into_iter().map(String::from).collect()))
            .collect();
    let order = |names: &[&str]| -> BTreeMap<String, usize> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), i))
            .collect()
    };
    assert_eq!(upward_imports(&graph, &order(&["a", "b", "c"])), []);
    assert_eq!(
        upward_imports(&graph, &order(&["a", "c", "b"])),
        [("c".to_string(), "b".to_string())]
    );
}

#[test]
fn the_code_map_lists_every_module_once() {
    let listed: Vec<String> = code_map().into_iter().flatten().collect();
    let unique: BTreeSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "listed twice: {listed:?}");
    let modules: BTreeSet<String> = modules().into_keys().collect();
    let listed: BTreeSet<String> = listed.into_iter().collect();
    assert_eq!(
        modules.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "modules of src/ missing from ARCHITECTURE.md's code map"
    );
    assert_eq!(
        listed.difference(&modules).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "ARCHITECTURE.md's code map lists modules that src/ does not have"
    );
}

#[test]
fn modules_import_only_modules_listed_above_them() {
    let order: BTreeMap<String, usize> = code_map()
        .into_iter()
        .enumerate()
        .flat_map(|(i, names)| names.into_iter().map(move |n| (n, i)))
        .collect();
    let graph = import_graph();
    assert!(graph["request"].contains("response"), "{graph:?}");
    let wrong = upward_imports(&graph, &order);
    assert!(
        wrong.is_empty(),
        "imports against ARCHITECTURE.md's code map (a module imports only \
         modules listed above it):\n{}",
        wrong
            .iter()
            .map(|(m, d)| format!("  {m} imports crate::{d}, listed below it (or beside it)"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn only_sys_web_declares_js_bindings() {
    let mut found = false;
    for (_, path, code) in files() {
        let binds = code.contains("extern \"C\"") || code.contains("#[wasm_bindgen");
        if path == "sys/web/mod.rs" {
            found = code.contains("extern \"C\"");
            continue;
        }
        assert!(
            !binds,
            "src/{path} declares JS bindings: they belong in src/sys/web/mod.rs"
        );
    }
    assert!(found, "src/sys/web/mod.rs declares the JS bindings");
}

#[test]
fn the_library_knows_nothing_of_the_bindings_or_the_page() {
    for (_, path, code) in files() {
        for word in [
            "feature = \"js\"",
            "feature = \"demo\"",
            "fanout_js",
            "fanout_demo",
        ] {
            assert!(!code.contains(word), "src/{path} mentions {word}");
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
