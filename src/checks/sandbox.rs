//! Rhai's standard functions that a check could use to stall litops or to
//! allocate far past the sandbox's limits, replaced.
//!
//! Rhai checks the size limits on a function's result, after it was built:
//! `s.replace("a", s)` on a 200 KB string would allocate 40 GB (and abort
//! litops) before any check. The replacements compute the size first and
//! refuse with the error Rhai itself gives past a limit. Registered on the
//! engine, they are found before the packages' versions.

use rhai::{Array, Dynamic, EvalAltResult, INT, ImmutableString, Position};

use super::limits;

type Result<T> = std::result::Result<T, Box<EvalAltResult>>;

fn too_large(what: &str) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorDataTooLarge(
        what.to_owned(),
        Position::NONE,
    ))
}

/// Refuses an array of `items` before it is built.
pub(super) fn array_room(items: usize) -> Result<()> {
    if items > limits::ARRAY_ITEMS {
        return Err(too_large("Size of array/BLOB"));
    }
    Ok(())
}

/// `text` with every `find` replaced by `with`, refused before it is built
/// when it would be over the string limit.
fn replaced(text: &str, find: &str, with: &str) -> Result<ImmutableString> {
    // An empty pattern matches between characters and at both ends.
    let found = if find.is_empty() {
        text.chars().count() + 1
    } else {
        text.matches(find).count()
    };
    let len = (text.len() - found * find.len()).saturating_add(found.saturating_mul(with.len()));
    if len > limits::STRING_BYTES {
        return Err(too_large("Length of string"));
    }
    Ok(text.replace(find, with).into())
}

/// The pieces of `text` split at `delimiter`, at most `segments` of them,
/// counted before the array is built. An empty text, or one without the
/// delimiter, is one piece, as in Rhai's own `split`.
fn pieces<'a>(
    text: &'a str,
    delimiter: &str,
    segments: Option<usize>,
    reverse: bool,
) -> Result<Array> {
    if text.is_empty() || (!delimiter.is_empty() && !text.contains(delimiter)) {
        return Ok(vec![text.into()]);
    }
    let found = if delimiter.is_empty() {
        text.chars().count() + 2
    } else {
        text.matches(delimiter).count() + 1
    };
    array_room(segments.map_or(found, |n| n.min(found)))?;
    let into = |piece: &'a str| Dynamic::from(ImmutableString::from(piece));
    Ok(match (segments, reverse) {
        (None, false) => text.split(delimiter).map(into).collect(),
        (None, true) => text.rsplit(delimiter).map(into).collect(),
        (Some(n), false) => text.splitn(n, delimiter).map(into).collect(),
        (Some(n), true) => text.rsplitn(n, delimiter).map(into).collect(),
    })
}

/// `segments` as Rhai reads it: 1 or less is the whole text.
fn segments(n: INT) -> Option<usize> {
    Some(usize::try_from(n.max(1)).unwrap_or(usize::MAX))
}

pub(super) fn register(engine: &mut rhai::Engine) {
    // A check must not hold up the run: it has no clock to wait for.
    engine.register_fn("sleep", |_: INT| -> Result<()> { Err(no_sleep()) });
    engine.register_fn("sleep", |_: rhai::FLOAT| -> Result<()> { Err(no_sleep()) });

    engine.register_fn(
        "replace",
        |s: &mut ImmutableString, find: ImmutableString, with: ImmutableString| -> Result<()> {
            *s = replaced(s, &find, &with)?;
            Ok(())
        },
    );
    engine.register_fn(
        "replace",
        |s: &mut ImmutableString, find: ImmutableString, with: char| -> Result<()> {
            *s = replaced(s, &find, with.encode_utf8(&mut [0; 4]))?;
            Ok(())
        },
    );
    engine.register_fn(
        "replace",
        |s: &mut ImmutableString, find: char, with: ImmutableString| -> Result<()> {
            *s = replaced(s, find.encode_utf8(&mut [0; 4]), &with)?;
            Ok(())
        },
    );
    engine.register_fn(
        "replace",
        |s: &mut ImmutableString, find: char, with: char| -> Result<()> {
            *s = replaced(
                s,
                find.encode_utf8(&mut [0; 4]),
                with.encode_utf8(&mut [0; 4]),
            )?;
            Ok(())
        },
    );

    for (name, reverse) in [("split", false), ("split_rev", true)] {
        engine.register_fn(
            name,
            move |s: &mut ImmutableString, delimiter: ImmutableString| -> Result<Array> {
                pieces(s, &delimiter, None, reverse)
            },
        );
        engine.register_fn(
            name,
            move |s: &mut ImmutableString, delimiter: char| -> Result<Array> {
                pieces(s, delimiter.encode_utf8(&mut [0; 4]), None, reverse)
            },
        );
        engine.register_fn(
            name,
            move |s: &mut ImmutableString, delimiter: ImmutableString, n: INT| -> Result<Array> {
                pieces(s, &delimiter, segments(n), reverse)
            },
        );
        engine.register_fn(
            name,
            move |s: &mut ImmutableString, delimiter: char, n: INT| -> Result<Array> {
                pieces(s, delimiter.encode_utf8(&mut [0; 4]), segments(n), reverse)
            },
        );
    }
    engine.register_fn("split", |s: &mut ImmutableString| -> Result<Array> {
        if s.is_empty() {
            return Ok(vec![s.clone().into()]);
        }
        array_room(s.split_whitespace().count())?;
        Ok(s.split_whitespace()
            .map(|piece| Dynamic::from(ImmutableString::from(piece)))
            .collect())
    });
    engine.register_fn("to_chars", |s: &mut ImmutableString| -> Result<Array> {
        array_room(s.chars().count())?;
        Ok(s.chars().map(Dynamic::from).collect())
    });
}

/// A broken check, not a failed one: the check cannot work as written.
fn no_sleep() -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorFunctionNotFound(
        "sleep (checks cannot wait; use `until` and `interval`)".to_owned(),
        Position::NONE,
    ))
}
