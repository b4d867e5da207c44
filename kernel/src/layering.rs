//! The layer rule, checked: every module of this crate uses only itself
//! and the modules of lower layers (the table in `lib.rs`).
//!
//! A host test, run by `make test`: it reads every source file under
//! `kernel/src`, finds every path that starts with `crate::` (in `use`
//! lines, `use crate::{a, b}` groups, and inline paths such as
//! `crate::println!`), maps each to the top-level module it names (an
//! exported macro such as `println!` to the module that defines it), and
//! fails on any use of a module in the same or a higher layer. Comments
//! are skipped: a doc link is not a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The layers, lowest first; the same order as the table in `lib.rs`.
const LAYERS: &[&[&str]] = &[
    &["account", "bootinfo", "cmdline", "elf", "layout", "string", "symbols", "ustar"],
    &["sync"],
    &["console"],
    &["arch"],
    &["memory"],
    &["process"],
    &["syscall"],
    &["selftest"],
    &["start", "panic"],
];

/// Files that are not a layer: the crate root, the binary, this check.
const NOT_A_LAYER: &[&str] = &["lib", "main", "layering"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `.rs` file under `dir`, as (path relative to `src`, contents).
fn sources(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = fs::read_dir(dir).expect("reading kernel/src").flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.is_dir() {
            sources(&path, &format!("{prefix}{name}/"), out);
        } else if name.ends_with(".rs") {
            let text = fs::read_to_string(&path).expect("reading a source file");
            out.push((format!("{prefix}{name}"), text));
        }
    }
}

/// The top-level module a file belongs to: `arch/idt.rs` -> `arch`.
fn module_of(file: &str) -> &str {
    let first = file.split('/').next().unwrap_or(file);
    first.strip_suffix(".rs").unwrap_or(first)
}

/// `text` without `//` comments (line, doc and inner doc comments).
fn code_only(text: &str) -> String {
    text.lines()
        .map(|line| line.find("//").map_or(line, |i| &line[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of every `crate::` path in `code`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        // `$crate::` (in macros) counts; `kernel_crate::` or the like not.
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d}`: the first segment of each item.
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        found.push(ident_at(&group[i..]).to_string());
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident_at(rest).to_string());
        }
    }
    found
}

/// Exported macros (which live at the crate root) and their modules.
fn exported_macros(files: &[(String, String)]) -> BTreeMap<String, String> {
    let mut macros = BTreeMap::new();
    for (file, text) in files {
        let mut exported = false;
        for line in text.lines().map(str::trim) {
            if line == "#[macro_export]" {
                exported = true;
            } else if let Some(rest) = line.strip_prefix("macro_rules!") {
                if exported {
                    macros.insert(ident_at(rest.trim()).to_string(), module_of(file).to_string());
                }
                exported = false;
            }
        }
    }
    macros
}

fn all_sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "", &mut files);
    files
}

/// One line per (file, module) use that breaks the rule.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let macros = exported_macros(files);
    let mut bad = BTreeSet::new();
    for (file, text) in files {
        let own = module_of(file);
        if NOT_A_LAYER.contains(&own) {
            continue;
        }
        let Some(own_layer) = layer_of(own) else {
            bad.insert(format!(
                "{file}: module `{own}` is in no layer (add it to LAYERS and lib.rs)"
            ));
            continue;
        };
        for used in crate_paths(&code_only(text)) {
            let used = macros.get(&used).map_or(used.as_str(), String::as_str);
            if used == own {
                continue;
            }
            let problem = match layer_of(used) {
                Some(layer) if layer < own_layer => continue,
                Some(layer) => format!(
                    "`{own}` (layer {own_layer}) uses `{used}` (layer {layer}), which is not below it"
                ),
                None => format!("uses `crate::{used}`, which is in no layer"),
            };
            bad.insert(format!("{file}: {problem}"));
        }
    }
    bad.into_iter().collect()
}

#[test]
fn every_module_uses_only_lower_layers() {
    let files = all_sources();
    assert!(files.len() > 40, "found only {} source files", files.len());
    let bad = violations(&files);
    assert!(bad.is_empty(), "layer rule broken:\n  {}", bad.join("\n  "));
}

#[test]
fn every_module_in_lib_rs_has_a_layer() {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("reading lib.rs");
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").or(l.trim().strip_prefix("mod ")))
        .map(|rest| rest.trim_end_matches(';'))
        .filter(|m| !NOT_A_LAYER.contains(m))
        .collect();
    assert!(declared.len() >= 10, "lib.rs declares only {declared:?}");
    for module in declared {
        assert!(layer_of(module).is_some(), "`{module}` is declared in lib.rs but in no layer");
    }
}

#[test]
fn the_check_sees_uses_in_every_form() {
    let code = "use crate::arch::cpu;\nuse crate::{ensure, memory::{self, heap}, println};\n\
                let x = crate::console::CONSOLE.lock(); $crate::sync::IrqMutex::new(0);\n\
                // crate::start in a comment";
    let found = crate_paths(&code_only(code));
    assert_eq!(found, ["arch", "ensure", "memory", "println", "console", "sync"]);
}

#[test]
fn an_upward_use_is_reported() {
    let files = vec![
        ("arch/exceptions.rs".to_string(), "use crate::memory;\ncrate::println!(\"\");".into()),
        ("console/mod.rs".to_string(), "#[macro_export]\nmacro_rules! println { () => {} }".into()),
        ("memory/mod.rs".to_string(), "use crate::arch;".into()),
    ];
    let bad = violations(&files);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].contains("`arch` (layer 3) uses `memory` (layer 4)"), "{}", bad[0]);
}
