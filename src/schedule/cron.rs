//! Five-field cron expressions (`0 3 * * 0`, `@daily`): read, validated,
//! turned into systemd `OnCalendar=` lines, and asked when they last fired
//! (for `litops status`).

use jiff::civil::DateTime;

/// A parsed expression: the allowed values of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    pub text: String,
    minutes: Vec<u8>,
    hours: Vec<u8>,
    days: Vec<u8>,
    months: Vec<u8>,
    /// 0 = Sunday … 6 = Saturday.
    weekdays: Vec<u8>,
    /// Whether day-of-month and day-of-week were restricted (a field that
    /// starts with `*`, `*/2` included, is not): cron runs when either
    /// matches if both are, and when both match otherwise.
    days_restricted: bool,
    weekdays_restricted: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const SYSTEMD_WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, String> {
        // The text is written as is into crontabs and unit files, where a
        // newline or a tab inside would start a line or a field: only
        // spaces separate the fields.
        if text.trim().contains(|c: char| c.is_control()) {
            return Err(format!(
                "{text:?} holds a control character; separate the fields with spaces"
            ));
        }
        let expanded = match text.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other if other.starts_with('@') => {
                return Err(format!(
                    "{other:?} is not a cron macro (@hourly, @daily, @weekly, @monthly, @yearly)"
                ));
            }
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields.as_slice() else {
            return Err(format!(
                "{text:?} has {} fields; cron needs 5: minute hour day-of-month month day-of-week",
                fields.len()
            ));
        };
        let mut weekdays = field(weekday, "day of week", 0, 7, &WEEKDAYS)?;
        // 7 is Sunday too.
        if weekdays.contains(&7) {
            weekdays.retain(|&d| d != 7);
            if !weekdays.contains(&0) {
                weekdays.insert(0, 0);
            }
        }
        Ok(Cron {
            text: text.trim().to_owned(),
            minutes: field(minute, "minute", 0, 59, &[])?,
            hours: field(hour, "hour", 0, 23, &[])?,
            days: field(day, "day of month", 1, 31, &[])?,
            months: field(month, "month", 1, 12, &MONTHS)?,
            weekdays,
            days_restricted: !day.starts_with('*'),
            weekdays_restricted: !weekday.starts_with('*'),
        })
    }

    /// `OnCalendar=` values with the same meaning (two when both day fields
    /// are restricted: cron ORs them, systemd ANDs the parts of one line).
    pub fn on_calendar(&self) -> Vec<String> {
        let list = |values: &[u8], all: std::ops::RangeInclusive<u8>| {
            if values.len() == all.clone().count() {
                "*".to_owned()
            } else {
                values
                    .iter()
                    .map(|v| format!("{v:02}"))
                    .collect::<Vec<_>>()
                    .join(",")
            }
        };
        let time = format!(
            "{}:{}:00",
            list(&self.hours, 0..=23),
            list(&self.minutes, 0..=59)
        );
        let months = list(&self.months, 1..=12);
        let days = list(&self.days, 1..=31);
        let weekdays: Vec<&str> = self
            .weekdays
            .iter()
            .map(|&d| SYSTEMD_WEEKDAYS[usize::from(d)])
            .collect();
        let weekdays = weekdays.join(",");
        let all_weekdays = self.weekdays.len() == 7;
        let line = |dow: Option<&str>, days: &str| match dow {
            Some(dow) => format!("{dow} *-{months}-{days} {time}"),
            None => format!("*-{months}-{days} {time}"),
        };
        if self.days_restricted && self.weekdays_restricted {
            // Either: two lines (systemd ANDs the parts of one).
            vec![line(None, &days), line(Some(&weekdays), "*")]
        } else {
            // Both: one line (a `*/2` day field and a weekday, say).
            let dow = (!all_weekdays).then_some(weekdays.as_str());
            vec![line(dow, &days)]
        }
    }

    fn matches(&self, t: DateTime) -> bool {
        let day_ok = self.days.contains(&(t.day() as u8));
        let weekday = t.weekday().to_sunday_zero_offset() as u8;
        let weekday_ok = self.weekdays.contains(&weekday);
        let day_matches = if self.days_restricted && self.weekdays_restricted {
            day_ok || weekday_ok
        } else {
            day_ok && weekday_ok
        };
        day_matches
            && self.months.contains(&(t.month() as u8))
            && self.hours.contains(&(t.hour() as u8))
            && self.minutes.contains(&(t.minute() as u8))
    }

    /// The last time it fired at or before `now` (civil time, minute
    /// precision), looking back up to a year and a day.
    pub fn previous(&self, now: DateTime) -> Option<DateTime> {
        let mut t = now.with().second(0).subsec_nanosecond(0).build().ok()?;
        for _ in 0..(366 * 24 * 60 + 1) {
            if self.matches(t) {
                return Some(t);
            }
            t = t.checked_sub(jiff::Span::new().minutes(1)).ok()?;
        }
        None
    }
}

/// One field: `*`, `5`, `1-5`, `*/15`, `1-30/5`, `mon,wed`, lists of these.
fn field(text: &str, name: &str, min: u8, max: u8, names: &[&str]) -> Result<Vec<u8>, String> {
    let value = |v: &str| -> Result<u8, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            // Months are named from 1, weekdays from 0: both from `min`.
            return Ok(i as u8 + min);
        }
        match v.parse::<u8>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!("{v:?} is not a {name} ({min}–{max})")),
        }
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => match s.parse::<u8>() {
                Ok(s) if s > 0 => (r, s),
                _ => {
                    return Err(format!(
                        "{part:?}: the step after / must be a positive number"
                    ));
                }
            },
            None => (part, 1),
        };
        let (from, to) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            // `5/15` means from 5 to the end, every 15.
            (v, if step > 1 { max } else { v })
        };
        if from > to {
            return Err(format!("{part:?}: {from} is after {to}"));
        }
        out.extend((from..=to).step_by(usize::from(step)));
    }
    if text.is_empty() || out.is_empty() {
        return Err(format!("the {name} field is empty"));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_become_on_calendar_lines() {
        let cases = [
            ("0 3 * * 0", vec!["Sun *-*-* 03:00:00"]),
            ("30 2 * * *", vec!["*-*-* 02:30:00"]),
            ("*/15 * * * *", vec!["*-*-* *:00,15,30,45:00"]),
            (
                "0 9-17/4 * * mon-fri",
                vec!["Mon,Tue,Wed,Thu,Fri *-*-* 09,13,17:00:00"],
            ),
            ("0 0 1 jan *", vec!["*-01-01 00:00:00"]),
            ("@weekly", vec!["Sun *-*-* 00:00:00"]),
            (
                "0 4 1,15 * 7",
                vec!["*-*-01,15 04:00:00", "Sun *-*-* 04:00:00"],
            ),
            // `*/2` counts as unrestricted: odd days that are Mondays, as cron does.
            (
                "0 4 */2 * mon",
                vec!["Mon *-*-01,03,05,07,09,11,13,15,17,19,21,23,25,27,29,31 04:00:00"],
            ),
        ];
        for (cron, want) in cases {
            let got = Cron::parse(cron).expect(cron).on_calendar();
            assert_eq!(got, want, "{cron}");
        }
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        for (cron, says) in [
            ("0 3 * *", "5"),
            ("61 * * * *", "minute"),
            ("0 3 * * 8", "day of week"),
            ("*/0 * * * *", "step"),
            ("0 5-3 * * *", "after"),
            ("@sometimes", "macro"),
            ("0 3 * * *\n* * * * *", "control character"),
            ("0\n3 * * *", "control character"),
            ("0\t3 * * *", "control character"),
        ] {
            let err = Cron::parse(cron).expect_err(cron);
            assert!(err.contains(says), "{cron}: {err}");
        }
    }

    #[test]
    fn previous_firing() {
        let cron = Cron::parse("0 3 * * 0").expect("parse");
        // 2026-11-24 is a Tuesday; the Sunday before is the 22nd.
        let now: DateTime = "2026-11-24T12:00".parse().expect("time");
        assert_eq!(
            cron.previous(now),
            Some("2026-11-22T03:00".parse().expect("time"))
        );
        let exact: DateTime = "2026-11-22T03:00:30".parse().expect("time");
        assert_eq!(
            cron.previous(exact),
            Some("2026-11-22T03:00".parse().expect("time"))
        );
    }
}
