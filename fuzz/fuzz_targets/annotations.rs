//! The annotation dialect: info strings, `<!-- litops: -->` comments, Runme
//! JSON, and their validation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litops::model::annotations;
use litops::source::MappedText;
use litops::syntax::attrs;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut diagnostics = Vec::new();
    let info = attrs::parse_info(&MappedText::contiguous(&text, 7), &mut diagnostics);
    let _ = annotations::read(&info.attrs, &mut diagnostics);
    let comment = format!("<!-- litops: {text} -->");
    if let Some(found) = attrs::parse_comment(&MappedText::contiguous(&comment, 0), &mut diagnostics) {
        let _ = annotations::read(&found, &mut diagnostics);
    }
});
