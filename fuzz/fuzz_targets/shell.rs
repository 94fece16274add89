//! The bash reader (lexer, grouping, placeholders, risk rules) and value
//! quoting: any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litops::plan::quote::quote;
use litops::shell::{self, Quoting};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let script = shell::read(&text);
    for command in &script.commands {
        let _ = text.get(command.span.start..command.span.end).expect("command spans are in bounds");
    }
    for q in [Quoting::Unquoted, Quoting::Double, Quoting::Single, Quoting::AnsiC, Quoting::Heredoc] {
        let _ = quote(&text, q, Some("EOF"));
    }
});
