//! `#[ktest]`: registers a plain function as an in-kernel self-test.
//!
//! ```ignore
//! #[ktest]
//! fn frames_come_back() -> TestResult { ... }
//!
//! #[ktest(fault)]              // a scenario that must end in a fault or panic;
//! fn null_deref() -> TestResult { ... }   // booted on its own by the harness
//! ```
//!
//! The attribute leaves the function as it is and adds a `static` entry
//! (`kernel::selftest::Test`) in the `.ktests` linker section. The linker
//! script gathers the section between `__ktests_start` and `__ktests_end`,
//! and the runner walks it: no list to maintain by hand. Written against
//! `proc_macro` alone, without `syn`, because it only needs the name.

use proc_macro::{TokenStream, TokenTree};

/// See the crate documentation.
#[proc_macro_attribute]
pub fn ktest(attr: TokenStream, item: TokenStream) -> TokenStream {
    let kind = match attr.to_string().trim() {
        "" => "Test",
        "fault" => "Fault",
        other => return error(&format!("#[ktest] takes nothing or `fault`, not `{other}`")),
    };
    let mut tokens = item.clone().into_iter();
    let mut name = None;
    while let Some(token) = tokens.next() {
        if matches!(&token, TokenTree::Ident(i) if i.to_string() == "fn") {
            if let Some(TokenTree::Ident(ident)) = tokens.next() {
                name = Some(ident.to_string());
            }
            break;
        }
    }
    let Some(name) = name else {
        return error("#[ktest] goes on a function: `fn name() -> TestResult`");
    };
    let registration = format!(
        r#"
        #[used]
        #[allow(non_upper_case_globals)]
        #[unsafe(link_section = ".ktests")]
        static __ktest_{name}: crate::selftest::Test = crate::selftest::Test {{
            name: concat!(module_path!(), "::", "{name}"),
            kind: crate::selftest::Kind::{kind},
            run: {name},
        }};
        "#
    );
    let mut out = item;
    out.extend(registration.parse::<TokenStream>().expect("registration is valid Rust"));
    out
}

fn error(message: &str) -> TokenStream {
    format!("compile_error!({message:?});").parse().expect("compile_error! is valid Rust")
}
