//! The shape of the code, checked: no two source files of a crate import
//! each other, directly or around a cycle (`a` uses `b`, `b` uses `a`).
//! A file's imports are its `crate::…`, `super::…` and `self::…` paths and
//! the paths through the child modules it declares; comments and unit tests
//! at the end of a file (`#[cfg(test)] mod tests`) are not part of its
//! shape.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::root;

/// The module path of a source file, `""` for the crate root.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "lib" | "main" | "mod") {
        parts.push(stem.to_owned());
    }
    parts.join("::")
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}::{b}"),
    }
}

fn parent(m: &str) -> String {
    m.rsplit_once("::")
        .map_or(String::new(), |(p, _)| p.to_owned())
}

/// The paths written after `prefix::` at `text[i..]`: `a::b::C`, or each
/// item of a `{…}` group (nested groups flattened).
fn paths_at(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    if b.first() == Some(&b'{') {
        let mut depth = 0;
        let mut end = 0;
        for (k, c) in text.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inner = &text[1..end];
        let mut items = Vec::new();
        let (mut depth, mut start) = (0, 0);
        for (k, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(&inner[start..k]);
                    start = k + 1;
                }
                _ => {}
            }
        }
        items.push(&inner[start..]);
        let mut out = Vec::new();
        for it in items {
            let it = it.trim();
            if let Some((head, rest)) = it.split_once("::") {
                for p in paths_at(rest.trim_start()) {
                    out.push(join(head.trim(), &p));
                }
            } else if !it.is_empty() {
                out.push(it.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
        return out;
    }
    let path: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    vec![path.trim_end_matches(':').to_owned()]
}

/// The longest prefix of `path` that is a module; `None` for the crate root
/// itself.
fn resolve(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let segs: Vec<&str> = path.split("::").collect();
    (1..=segs.len())
        .rev()
        .map(|n| segs[..n].join("::"))
        .find(|m| modules.contains(m))
}

/// Who imports whom among the files of one crate.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = crate::rust_files(src);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let me = module_of(src, f);
        let mut text = std::fs::read_to_string(f).unwrap();
        if let Some(i) = text.find("#[cfg(test)]\nmod tests") {
            text.truncate(i);
        }
        // Comments (doc links name paths too) are not imports.
        let text: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        // Inline modules (`mod splice { … }`): a `self::` or `super::` in
        // one stays within this file.
        let inline = inline_modules(&text);
        let mut targets = BTreeSet::new();
        for (prefix, base) in [
            ("crate::", String::new()),
            ("self::", me.clone()),
            ("super::", parent(&me)),
        ] {
            for (i, _) in text.match_indices(prefix) {
                let before = text[..i].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                if prefix != "crate::" && inline.iter().any(|r| r.contains(&i)) {
                    continue;
                }
                for p in paths_at(&text[i + prefix.len()..]) {
                    if p == "*" || p.is_empty() {
                        targets.insert(base.clone());
                        continue;
                    }
                    if let Some(m) = resolve(&join(&base, &p), &modules) {
                        targets.insert(m);
                    } else {
                        targets.insert(base.clone());
                    }
                }
            }
        }
        // Paths through the child modules this file declares.
        let children: Vec<String> = text
            .lines()
            .filter_map(|l| {
                let l = l
                    .trim()
                    .trim_start_matches("pub ")
                    .trim_start_matches("pub(crate) ");
                l.strip_prefix("mod ")
                    .and_then(|r| r.strip_suffix(';'))
                    .map(str::to_owned)
            })
            .collect();
        for c in &children {
            let child = join(&me, c);
            for (i, _) in text.match_indices(&format!("{c}::")) {
                let before = text[..i].chars().last();
                if before.is_some_and(|ch| ch.is_alphanumeric() || ch == '_' || ch == ':') {
                    continue;
                }
                for p in paths_at(&text[i..]) {
                    if let Some(m) = resolve(&join(&me, &p), &modules) {
                        targets.insert(m);
                    }
                }
                targets.insert(child.clone());
            }
        }
        targets.remove(&me);
        edges.insert(me, targets);
    }
    edges
}

/// The byte ranges of the inline modules of a file (`mod name { … }`).
fn inline_modules(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut v = Vec::new();
    for (i, _) in text.match_indices("mod ") {
        let rest = &text[i + 4..];
        let name_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let after = rest[name_len..].trim_start();
        if name_len == 0 || !after.starts_with('{') {
            continue;
        }
        let open = text.len() - after.len();
        let mut depth = 0;
        for (k, c) in text[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        v.push(open..open + k);
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    v
}

/// A cycle in the graph, as the files around it.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_owned(), 1);
        stack.push(n.to_owned());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m).copied().unwrap_or(0) {
                1 => {
                    let i = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut c = stack[i..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, edges, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

fn crates() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

#[test]
fn no_two_files_import_each_other() {
    let mut cycles = Vec::new();
    for src in crates() {
        if let Some(c) = cycle(&graph(&src)) {
            let name = |m: &str| {
                if m.is_empty() {
                    "<root>".to_owned()
                } else {
                    m.to_owned()
                }
            };
            cycles.push(format!(
                "{}: {}",
                src.parent().unwrap().file_name().unwrap().to_string_lossy(),
                c.iter().map(|m| name(m)).collect::<Vec<_>>().join(" -> ")
            ));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_cycle_finder_finds_cycles() {
    // The checker itself, on a made-up crate: a -> b -> a, and through a
    // directory module's parent.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("up")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\nmod up;\n").unwrap();
    std::fs::write(src.join("a.rs"), "use crate::{b::Thing, up};\n").unwrap();
    std::fs::write(
        src.join("b.rs"),
        "pub struct Thing;\nfn f() { crate::a::g() }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("up/mod.rs"),
        "mod scenario;\nconst X: u8 = 1;\nfn run() { scenario::go() }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("up/scenario.rs"),
        "use super::X;\npub fn go() {}\n",
    )
    .unwrap();
    let g = graph(src);
    assert!(g["a"].contains("b") && g["b"].contains("a"), "{g:?}");
    assert!(g["up::scenario"].contains("up"), "{g:?}");
    assert!(g["up"].contains("up::scenario"), "{g:?}");
    let c = cycle(&g).expect("a cycle");
    assert!(c.len() >= 3, "{c:?}");
    // Without the back edges, none.
    std::fs::write(src.join("b.rs"), "pub struct Thing;\n").unwrap();
    std::fs::write(
        src.join("up/scenario.rs"),
        "pub fn go() {}\nmod inner {\n    use super::*;\n}\n#[cfg(test)]\nmod tests { use super::*; }\n",
    )
    .unwrap();
    assert_eq!(cycle(&graph(src)), None, "{:?}", graph(src));
}
