//! A menu on one line, answered with one key: `Step: [r]un  [s]kip  [e]dit
//! …  [q]uit`, as `git add -p` asks. Someone stepping through fifty steps
//! presses `r` fifty times rather than reading a list each time; the arrows
//! and Enter work too, and Enter takes the highlighted entry (the default
//! until the arrows move it).

use dialoguer::console::{Key, Term, style};

/// An entry: the key that picks it and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub key: char,
    pub label: &'static str,
}

impl Entry {
    pub const fn new(key: char, label: &'static str) -> Entry {
        Entry { key, label }
    }
}

/// The entry picked, or `None` when the terminal cannot be read, or on
/// Ctrl-C or Esc (the caller's "quit").
pub fn pick(prompt: &str, entries: &[Entry], default: usize, color: bool) -> Option<usize> {
    let term = Term::stderr();
    if !term.is_term() || entries.is_empty() {
        return None;
    }
    let mut at = default.min(entries.len() - 1);
    let _ = term.hide_cursor();
    let picked = loop {
        let _ = term.clear_line();
        let _ = term.write_str(&line(prompt, entries, at, color));
        // Raw: Ctrl-C is an answer here (quit), not a signal to the run.
        match term.read_key_raw() {
            Ok(Key::Enter) => break Some(at),
            Ok(Key::ArrowLeft | Key::ArrowUp | Key::BackTab) => {
                at = (at + entries.len() - 1) % entries.len();
            }
            Ok(Key::ArrowRight | Key::ArrowDown | Key::Tab) => at = (at + 1) % entries.len(),
            Ok(Key::Char(c)) => {
                if let Some(i) = index_of(entries, c) {
                    break Some(i);
                }
            }
            Ok(Key::Escape | Key::CtrlC) | Err(_) => break None,
            Ok(_) => {}
        }
    };
    let _ = term.clear_line();
    let answer = picked.map_or("(quit)", |i| entries[i].label);
    let _ = term.write_line(&format!("{prompt}: {answer}"));
    let _ = term.show_cursor();
    picked
}

/// The entry a key picks (either case).
fn index_of(entries: &[Entry], key: char) -> Option<usize> {
    let key = key.to_ascii_lowercase();
    entries.iter().position(|e| e.key == key)
}

/// `Step: [r]un  [s]kip  …`, the highlighted entry marked.
fn line(prompt: &str, entries: &[Entry], at: usize, color: bool) -> String {
    let mut out = format!("{prompt}: ");
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            out.push_str("  ");
        }
        let text = keyed(entry);
        if i != at {
            out.push_str(&text);
        } else if color {
            out.push_str(&style(text).reverse().to_string());
        } else {
            out.push_str(&format!(">{text}<"));
        }
    }
    out
}

/// The label with its key in brackets: `[r]un`, `open a [s]hell`, or the
/// key before it when the label lacks the letter.
fn keyed(entry: &Entry) -> String {
    let label = entry.label;
    match label
        .char_indices()
        .find(|(_, c)| c.to_ascii_lowercase() == entry.key)
    {
        Some((i, c)) => format!(
            "{}[{}]{}",
            &label[..i],
            c.to_ascii_lowercase(),
            &label[i + c.len_utf8()..]
        ),
        None => format!("[{}] {label}", entry.key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRIES: &[Entry] = &[
        Entry::new('r', "Run"),
        Entry::new('s', "Skip"),
        Entry::new('o', "Open a shell here"),
        Entry::new('a', "All remaining steps, without asking"),
        Entry::new('q', "Quit"),
    ];

    #[test]
    fn each_entry_shows_its_key_and_the_highlighted_one_is_marked() {
        assert_eq!(
            line("Step", ENTRIES, 0, false),
            "Step: >[r]un<  [s]kip  [o]pen a shell here  [a]ll remaining steps, without asking  [q]uit"
        );
        assert_eq!(keyed(&Entry::new('x', "Done")), "[x] Done");
    }

    #[test]
    fn a_key_picks_its_entry_in_either_case() {
        assert_eq!(index_of(ENTRIES, 'S'), Some(1));
        assert_eq!(index_of(ENTRIES, 'q'), Some(4));
        assert_eq!(index_of(ENTRIES, 'z'), None);
    }
}
