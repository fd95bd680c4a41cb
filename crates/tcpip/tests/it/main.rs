use zha_diag::SourceMap;
use zha_diag::render::{Style, render};
use zha_diag::symbols::Symbols;

#[test]
fn dump_corpus() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/tcpip");
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let mut sm = SourceMap::new();
        let id = sm.add(p.file_name().unwrap().to_string_lossy(), text.clone());
        let parsed = zha_tcpip::parse(id, &text, &Symbols::new());
        println!(
            "== {} : {} statements",
            p.display(),
            parsed.profile.statements.len()
        );
        for d in &parsed.diagnostics {
            println!("{}", render(d, &sm, Style::Plain));
        }
        let (stack, diags) = zha_tcpip::apply(parsed.profile.statements.iter());
        println!("{stack:?}");
        for d in &diags {
            println!("{}", render(d, &sm, Style::Plain));
        }
    }
}
