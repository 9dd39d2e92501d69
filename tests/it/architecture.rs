//! The house has one direction: each module of `src/` belongs to a layer (see `src/lib.rs`),
//! and a file may use only its own module, and modules of lower layers. Nor may the files
//! use one another in a cycle (a module's own child files aside: a parent declares them).
//!
//! The test reads the source: every `crate::`, `super::` and `self::` path (comments and
//! string literals left out, `{...}` groups expanded) is resolved to the file it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may use modules of its own layer only if it is the
/// same module.
const LAYERS: &[&[&str]] = &[
    &["json", "rng", "intern", "index", "fsutil"],
    &["scenario", "lessons"],
    &["bus", "fold"],
    &["model"],
    &["trace"],
    &["sim", "analysis"],
    &["timeline"],
    &["run"],
    &["tap"],
    &["diff", "export", "bridge"],
    &["report", "tui", "explore"],
    &["cli"],
];

fn layer(module: &str) -> usize {
    LAYERS.iter().position(|l| l.contains(&module)).unwrap_or_else(|| {
        panic!("src/{module}: a module in no layer: add it to LAYERS here and to the list in src/lib.rs")
    })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("readable").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's module path: `src/sim/consumer.rs` → `["sim", "consumer"]`.
fn module_of(file: &str) -> Vec<String> {
    let inner = file.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = inner.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] { Vec::new() } else { parts }
}

/// The source without comments and with string and char literals emptied.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') || (bytes.get(i + 1) == Some(&b'\\')) => {
                // A char literal ('x' or '\n'); lifetimes ('a) are left alone.
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("' '");
            }
            _ => {
                let ch = text[i..].chars().next().expect("in range");
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// The paths of a `use`-like path starting at `text[i..]` (after `crate::`), with `{...}`
/// groups expanded: each as its segments.
fn paths_at(text: &str, mut i: usize) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let mut segments: Vec<String> = Vec::new();
    let mut out = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > start {
            segments.push(text[start..i].to_owned());
        }
        if !text[i..].starts_with("::") {
            break;
        }
        i += 2;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) == Some(&b'{') {
            let (mut depth, mut item) = (0, i + 1);
            let mut k = i;
            while k < bytes.len() {
                match bytes[k] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' if depth == 1 => {
                        out.extend(paths_at(&text[item..k], 0).into_iter().map(|p| [segments.clone(), p].concat()));
                        item = k + 1;
                    }
                    _ => {}
                }
                k += 1;
            }
            out.extend(
                paths_at(&text[item..k.min(bytes.len())], 0).into_iter().map(|p| [segments.clone(), p].concat()),
            );
            break;
        }
    }
    out.push(segments);
    out
}

/// The file a module path names (its longest prefix that is a file).
fn resolve(files: &BTreeSet<String>, segments: &[String]) -> Option<String> {
    (1..=segments.len()).rev().find_map(|n| {
        let base = segments[..n].join("/");
        [format!("src/{base}.rs"), format!("src/{base}/mod.rs")].into_iter().find(|f| files.contains(f))
    })
}

/// Each file's uses of other files (a parent's uses of its own child files left out).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    rust_files(&root.join("src"), &mut paths);
    let files: BTreeSet<String> = paths
        .iter()
        .map(|p| p.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/"))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let code = code_only(&std::fs::read_to_string(root.join(file)).expect("readable"));
        let me = module_of(file);
        for prefix in ["crate::", "super::", "self::"] {
            let mut from = 0;
            while let Some(found) = code[from..].find(prefix) {
                let at = from + found;
                from = at + prefix.len();
                let boundary =
                    at == 0 || !code.as_bytes()[at - 1].is_ascii_alphanumeric() && code.as_bytes()[at - 1] != b'_';
                if !boundary {
                    continue;
                }
                for mut segments in paths_at(&code, at + prefix.len()) {
                    let mut base: Vec<String> = match prefix {
                        "crate::" => Vec::new(),
                        "super::" => me[..me.len().saturating_sub(1)].to_vec(),
                        _ => me.clone(),
                    };
                    while segments.first().is_some_and(|s| s == "super") {
                        base.pop();
                        segments.remove(0);
                    }
                    let full = [base.clone(), segments].concat();
                    let target = resolve(&files, &full).or_else(|| resolve(&files, &base));
                    if let Some(target) = target.filter(|t| t != file)
                        && !module_of(&target).starts_with(&me)
                    {
                        edges.entry(file.clone()).or_default().insert(target);
                    }
                }
            }
        }
    }
    edges
}

#[test]
fn no_module_uses_a_higher_layer() {
    let mut wrong = Vec::new();
    for (file, targets) in graph() {
        let Some(from) = module_of(&file).first().cloned() else { continue };
        for target in targets {
            let Some(to) = module_of(&target).first().cloned() else { continue };
            if from != to && layer(&to) >= layer(&from) {
                wrong.push(format!("{file} uses {target} ({from} is not above {to})"));
            }
        }
    }
    assert!(wrong.is_empty(), "uses against the layers:\n{}", wrong.join("\n"));
}

// Tarjan's strongly connected components.
struct Search<'a> {
    edges: &'a BTreeMap<String, BTreeSet<String>>,
    index: BTreeMap<&'a str, usize>,
    low: BTreeMap<&'a str, usize>,
    stack: Vec<&'a str>,
    cycles: Vec<Vec<&'a str>>,
}
impl<'a> Search<'a> {
    fn visit(&mut self, v: &'a str) {
        let n = self.index.len();
        self.index.insert(v, n);
        self.low.insert(v, n);
        self.stack.push(v);
        for w in self.edges.get(v).into_iter().flatten() {
            if !self.index.contains_key(w.as_str()) {
                self.visit(w);
                let low = self.low[v].min(self.low[w.as_str()]);
                self.low.insert(v, low);
            } else if self.stack.contains(&w.as_str()) {
                let low = self.low[v].min(self.index[w.as_str()]);
                self.low.insert(v, low);
            }
        }
        if self.low[v] == self.index[v] {
            let at = self.stack.iter().rposition(|&x| x == v).expect("on the stack");
            let component = self.stack.split_off(at);
            if component.len() > 1 {
                self.cycles.push(component);
            }
        }
    }
}

#[test]
fn no_files_use_each_other_in_a_cycle() {
    let edges = graph();
    let mut search =
        Search { edges: &edges, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), cycles: Vec::new() };
    for v in edges.keys() {
        if !search.index.contains_key(v.as_str()) {
            search.visit(v);
        }
    }
    let cycles: Vec<String> = search.cycles.iter().map(|c| c.join(" ↔ ")).collect();
    assert!(cycles.is_empty(), "files that use each other:\n{}", cycles.join("\n"));
}

#[test]
fn the_reader_sees_the_uses_it_should() {
    // The parser itself: known uses are found, comments and strings are not uses.
    let edges = graph();
    let uses = |from: &str, to: &str| edges.get(from).is_some_and(|t| t.contains(to));
    assert!(uses("src/sim.rs", "src/trace.rs"));
    assert!(uses("src/sim/consumer.rs", "src/sim.rs"), "super:: to the parent");
    assert!(uses("src/trace/jsonl.rs", "src/model.rs"));
    assert!(!uses("src/sim.rs", "src/sim/consumer.rs"), "a parent's own child files are left out");
    assert_eq!(paths_at("a::{b, c::{d, e}}", 0).len(), 5, "a::b, a::c::d, a::c::e, a::c and a");
    assert!(!code_only("// crate::tui\nlet s = \"crate::cli\";").contains("crate::"));
}
